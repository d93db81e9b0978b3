import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../cells/local/logger.js';
import { FifoQueue, type FifoQueueConfig } from '../../../../cells/local/messaging/fifo-queue.js';
import {
  type DeliveryPolicy,
  SubscriberDelivery,
} from '../../../../cells/local/messaging/subscriber-delivery.js';
import {
  type SigningKey,
  subscriberSigningKey,
  verifyNotification,
} from '../../../../cells/local/messaging/subscriber-delivery-signing.js';
import { type DatabaseHandle, openCellDatabase } from '../../../../cells/local/storage/db.js';
import { buildTopology, STAGE_SETTINGS, type StageTopology } from '../../../../cells/topology.js';
import { ManualClock } from '../../../../consumers/clock.js';
import type { SubscriberNotification } from '../../../../schemas/api/index.js';
import { tempDataDir } from '../helpers/cell-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const topology = buildTopology({}, STAGE_SETTINGS, {
  ingestion: [{ id: 'hook', filterPolicy: { stage: ['ingestion'] }, endpoint: 'http://127.0.0.1:9/hook' }],
});
const stage = topology.stages[0] as StageTopology;
const subscriber = stage.subscribers[0] as StageTopology['subscribers'][number];
const KEY = 'ingestion/hook';
const VISIBILITY_MS = 60_000;

/** Fast retries so a test runs in milliseconds; the worst receive stays far below the visibility timeout. */
const FAST: Partial<DeliveryPolicy> = {
  attemptsPerReceive: 3,
  minDelayMs: 1,
  maxDelayMs: 5,
  timeoutMs: 5_000,
  concurrency: 4,
  pollIntervalMs: 10,
};

const message = (groupId: string, n: number) => ({
  groupId,
  dedupId: `${groupId}-e${n}`,
  body: JSON.stringify({ invoiceId: groupId, n }),
});
const nOf = (notification: SubscriberNotification) => (JSON.parse(notification.Message) as { n: number }).n;

describe('SubscriberDelivery', () => {
  let dir: string;
  let db: DatabaseHandle;
  let clock: ManualClock;
  let signingKey: SigningKey;
  let receiver: WebhookReceiver | undefined;
  const deliveries: SubscriberDelivery[] = [];

  const queueConfig = (maxReceiveCount: number): FifoQueueConfig => ({
    name: subscriber.ids.queue,
    dlqName: subscriber.ids.dlq,
    visibilityTimeoutSec: VISIBILITY_MS / 1000,
    maxReceiveCount,
    dedupWindowSec: 300,
  });

  function startDelivery(queue: FifoQueue, url: string, policy: Partial<DeliveryPolicy> = FAST) {
    const delivery = new SubscriberDelivery({
      db,
      logger: createLogger({ level: 'silent' }),
      signingKey,
      cellName: 'test',
      targets: [{ stage, subscriber: { ...subscriber, endpoint: url }, queue }],
      policy,
    });
    deliveries.push(delivery);
    delivery.start();
    return delivery;
  }

  beforeEach(() => {
    dir = tempDataDir('subscriber-delivery-');
    db = openCellDatabase({ file: path.join(dir, 'cell.sqlite'), synchronous: 'NORMAL', role: 'api' });
    clock = new ManualClock(Date.parse('2026-11-20T09:00:00Z'));
    signingKey = subscriberSigningKey(db);
  });

  afterEach(async () => {
    for (const delivery of deliveries.splice(0)) await delivery.stop();
    await receiver?.close();
    receiver = undefined;
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pushes every message once, in order per invoice, as a signed SNS-style envelope', async () => {
    // Prepare
    receiver = await startWebhookReceiver(() => 200);
    const queue = new FifoQueue(db, queueConfig(5), clock);
    const sent = queue.send([1, 2, 3, 4, 5].flatMap((n) => [message('INV-A', n), message('INV-B', n)]));

    // Act
    startDelivery(queue, receiver.url);
    const accepted = await waitFor(() => receiver?.accepted().length === 10 && receiver.accepted(), {
      what: 'all 10 messages pushed',
    });

    // Assess
    for (const invoice of ['INV-A', 'INV-B']) {
      expect(accepted.filter((a) => a.MessageGroupId === invoice).map(nOf), invoice).toEqual([1, 2, 3, 4, 5]);
    }
    expect(new Set(accepted.map((a) => a.MessageId))).toEqual(new Set(sent.map((s) => s.messageId)));
    expect(accepted[0]).toMatchObject({
      Type: 'Notification',
      TopicArn: 'local:test:IngestionTopic',
      Subscription: 'ingestion/hook',
      Timestamp: '2026-11-20T09:00:00.000Z',
      SignatureVersion: 'ed25519-1',
      SigningKeyId: signingKey.answer.keyId,
    });
    expect(accepted.every((a) => verifyNotification(a, signingKey.answer.publicKeyPem))).toBe(true);
    expect(receiver.pushes[0]?.headers['x-amz-sns-message-type']).toBe('Notification');
    expect(queue.depth()).toBe(0);
  });

  it('verifies no envelope whose signed fields were changed, nor one checked with another key', async () => {
    // Prepare
    receiver = await startWebhookReceiver(() => 200);
    const queue = new FifoQueue(db, queueConfig(5), clock);
    queue.send([message('INV-A', 1)]);
    startDelivery(queue, receiver.url);
    const [pushed] = await waitFor(() => receiver?.accepted().length === 1 && receiver.accepted(), {
      what: 'one push',
    });
    const envelope = pushed as SubscriberNotification;
    const otherDir = tempDataDir('subscriber-delivery-other-');
    const otherDb = openCellDatabase({
      file: path.join(otherDir, 'cell.sqlite'),
      synchronous: 'NORMAL',
      role: 'api',
    });
    const otherKey = subscriberSigningKey(otherDb).answer.publicKeyPem;
    otherDb.close();
    fs.rmSync(otherDir, { recursive: true, force: true });

    // Act
    const tampered = [
      { ...envelope, Message: envelope.Message.replace('"n":1', '"n":2') },
      { ...envelope, MessageGroupId: 'INV-Z' },
      { ...envelope, Timestamp: '2026-11-20T09:00:01.000Z' },
    ];

    // Assess
    expect(verifyNotification(envelope, signingKey.answer.publicKeyPem)).toBe(true);
    expect(tampered.map((t) => verifyNotification(t, signingKey.answer.publicKeyPem))).toEqual([
      false,
      false,
      false,
    ]);
    expect(verifyNotification(envelope, otherKey)).toBe(false);
    expect(subscriberSigningKey(db).answer).toEqual(signingKey.answer);
  });

  it('retries a receiver that fails twice, then delivers once, without overtaking the invoice', async () => {
    // Prepare
    receiver = await startWebhookReceiver((_, n) => (n <= 2 ? 500 : 200));
    const queue = new FifoQueue(db, queueConfig(5), clock);
    queue.send([message('INV-A', 1), message('INV-A', 2)]);

    // Act
    const delivery = startDelivery(queue, receiver.url);
    await waitFor(() => receiver?.accepted().length === 2, { what: 'both messages pushed' });

    // Assess
    expect(receiver.pushes.map((p) => [nOf(p.notification), p.status])).toEqual([
      [1, 500],
      [1, 500],
      [1, 200],
      [2, 200],
    ]);
    expect(delivery.counts()[KEY]).toEqual({ delivered: 2, failedAttempts: 2, exhausted: 0 });
    expect(queue.depth()).toBe(0);
  });

  it('dead-letters a message its receiver always refuses; a redrive after recovery delivers it exactly once', async () => {
    // Prepare: 2 attempts per receive, 2 receives
    receiver = await startWebhookReceiver(() => 503);
    const queue = new FifoQueue(db, queueConfig(2), clock);
    const [sent] = queue.send([message('INV-X', 1)]);
    const delivery = startDelivery(queue, receiver.url, { ...FAST, attemptsPerReceive: 2 });
    const exhausted = (n: number) => () => delivery.counts()[KEY]?.exhausted === n;

    // Act: two receives fail on every attempt; the third receive moves it to the DLQ
    await waitFor(exhausted(1), { what: 'first receive exhausted' });
    clock.advance(VISIBILITY_MS + 1);
    await waitFor(exhausted(2), { what: 'second receive exhausted' });
    clock.advance(VISIBILITY_MS + 1);
    await waitFor(() => queue.dlqDepth() === 1, { what: 'the message in the DLQ' });
    const refusedBeforeRedrive = receiver.pushes.length;
    receiver.setRespond(() => 200);
    const redriven = db.transaction(() => queue.redrive({ limit: 10 })).immediate();
    await waitFor(() => receiver?.accepted().length === 1, { what: 'the redriven message pushed' });

    // Assess
    expect(refusedBeforeRedrive).toBe(4);
    expect(redriven).toBe(1);
    expect(receiver.accepted().map((a) => a.MessageId)).toEqual([sent?.messageId]);
    expect(new Set(receiver.pushes.map((p) => p.notification.MessageId))).toEqual(new Set([sent?.messageId]));
    expect([queue.depth(), queue.dlqDepth()]).toEqual([0, 0]);
    expect(delivery.counts()[KEY]).toEqual({ delivered: 1, failedAttempts: 4, exhausted: 2 });
  });

  it('re-delivers the message in flight when delivery dies mid-push, before the rest of its invoice', async () => {
    // Prepare: the receiver takes the first push and never answers it
    receiver = await startWebhookReceiver((_, n) => (n === 1 ? 'hang' : 200));
    const queue = new FifoQueue(db, queueConfig(5), clock);
    queue.send([1, 2, 3].map((n) => message('INV-A', n)));
    const first = startDelivery(queue, receiver.url);
    await waitFor(() => receiver?.pushes.length === 1, { what: 'the first push in flight' });

    // Act: the process dies (in-flight state is memory only) and a new one starts on the same data
    await first.stop();
    const restarted = new FifoQueue(db, queueConfig(5), clock);
    startDelivery(restarted, receiver.url);
    await waitFor(() => receiver?.accepted().length === 3, { what: 'all pushed after the restart' });

    // Assess: at least once, and still in order
    expect(receiver.pushes.map((p) => nOf(p.notification))).toEqual([1, 1, 2, 3]);
    expect(receiver.pushes[1]?.notification.MessageId).toBe(receiver.pushes[0]?.notification.MessageId);
    expect(restarted.depth()).toBe(0);
  });
});
