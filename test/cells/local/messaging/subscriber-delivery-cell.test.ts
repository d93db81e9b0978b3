import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../../cells/local/local-cell.js';
import { verifyNotification } from '../../../../cells/local/messaging/subscriber-delivery-signing.js';
import { SampleEvents } from '../../../../cells/local/sample-events.js';
import { buildTopology, STAGE_SETTINGS, type StageTopology } from '../../../../cells/topology.js';
import type {
  DlqAnswer,
  ErrorAnswer,
  RedriveStatusAnswer,
  SigningKeyAnswer,
  SubscriberMessagesAnswer,
} from '../../../../schemas/api/index.js';
import type { InvoiceEvent, StageMessage } from '../../../../schemas/types.js';
import { CellClient } from '../helpers/cell-client.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from '../helpers/cell-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

/** Billify's per-upload notification: every RECEIVED ingestion event of business unit BU-7. */
const BILLIFY_POLICY = { event: { status: ['RECEIVED'], metadata: { businessUnit: ['BU-7'] } } };

describe('startLocalCell', () => {
  let cell: LocalCell | undefined;
  let dataDir: string | undefined;
  let receiver: WebhookReceiver | undefined;

  /** A cell whose ingestion stage has Billify's subscriber, pushing to `receiver`. */
  async function startBillifyCell(extra: Partial<Parameters<typeof startLocalCell>[0]> = {}) {
    const url = (receiver as WebhookReceiver).url;
    const topology = buildTopology({}, STAGE_SETTINGS, {
      ingestion: [{ id: 'billify', filterPolicy: BILLIFY_POLICY, endpoint: url }],
    });
    const ingestion = topology.stages[0] as StageTopology;
    const samples = new SampleEvents(topology);
    const eventOf = (invoiceId: string, status: string, businessUnit: string): InvoiceEvent =>
      ({ ...samples.event(ingestion, { invoiceId }), status, metadata: { businessUnit } }) as InvoiceEvent;
    dataDir = tempDataDir('cell-subscriber-push-');
    cell = await startLocalCell({
      dataDir,
      port: 0,
      apiKey: TEST_API_KEY,
      operatorKey: TEST_OPERATOR_KEY,
      logLevel: 'silent',
      topology,
      ...extra,
    });
    return { client: new CellClient(cell.url), ingestion, eventOf };
  }

  afterEach(async () => {
    await cell?.close();
    await receiver?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    cell = undefined;
    receiver = undefined;
  });

  describe('subscriber HTTP push', () => {
    it('POSTs only the messages the filter policy matches, signed with the key of GET /subscribers/signing-key', async () => {
      // Prepare
      receiver = await startWebhookReceiver(() => 204);
      const { client, ingestion, eventOf } = await startBillifyCell();
      const events = [
        eventOf('INV-PUSH-1', 'RECEIVED', 'BU-7'),
        eventOf('INV-PUSH-2', 'RECEIVED', 'BU-9'),
        eventOf('INV-PUSH-3', 'REJECTED', 'BU-7'),
        eventOf('INV-PUSH-4', 'RECEIVED', 'BU-7'),
      ];

      // Act
      for (const event of events) expect((await client.post(ingestion.routePath, event)).status).toBe(200);
      const pushed = await waitFor(() => receiver?.accepted().length === 2 && receiver.accepted(), {
        what: 'the two matching events pushed',
        describe: () => receiver?.pushes.length,
      });
      const key = await fetch(`${client.url}/subscribers/signing-key`);
      const keyBody = (await key.json()) as SigningKeyAnswer;
      const peek = await client.get<SubscriberMessagesAnswer>('/subscribers/ingestion/billify/messages');

      // Assess
      const messages = pushed.map((p) => JSON.parse(p.Message) as StageMessage);
      expect(messages.map((m) => m.event.invoiceId).sort()).toEqual(['INV-PUSH-1', 'INV-PUSH-4']);
      expect(messages.map((m) => m.stage)).toEqual(['ingestion', 'ingestion']);
      expect(pushed.map((p) => p.MessageGroupId).sort()).toEqual(['INV-PUSH-1', 'INV-PUSH-4']);
      expect(pushed.map((p) => p.TopicArn)).toEqual([
        'local:local:IngestionTopic',
        'local:local:IngestionTopic',
      ]);
      expect(key.status).toBe(200);
      expect(keyBody).toMatchObject({ algorithm: 'ed25519', signatureVersion: 'ed25519-1' });
      expect(pushed.every((p) => p.SigningKeyId === keyBody.keyId)).toBe(true);
      expect(pushed.every((p) => verifyNotification(p, keyBody.publicKeyPem))).toBe(true);
      expect(peek.body.depth).toBe(0);
    });

    it('dead-letters what an always-failing receiver refuses; the dlq routes list it and redrive it to one delivery', async () => {
      // Prepare: 1 s visibility, 1 receive of 2 attempts, then the DLQ
      receiver = await startWebhookReceiver(() => 503);
      const { client, ingestion, eventOf } = await startBillifyCell({
        visibilityTimeoutSec: 1,
        maxReceiveCount: 1,
        subscriberDelivery: {
          attemptsPerReceive: 2,
          minDelayMs: 1,
          maxDelayMs: 5,
          timeoutMs: 300,
          pollIntervalMs: 20,
        },
      });
      const event = eventOf('INV-PUSH-DLQ', 'RECEIVED', 'BU-7');

      // Act
      expect((await client.post(ingestion.routePath, event)).status).toBe(200);
      const dead = await waitFor(
        async () => {
          const res = await client.get<DlqAnswer>('/dlq/ingestion?subscriber=billify');
          return res.body.total === 1 ? res : undefined;
        },
        { what: 'the message in the subscriber DLQ' },
      );
      const refused = receiver.pushes.length;
      const stageDlq = await client.get<DlqAnswer>('/dlq/ingestion');
      const unknown = await client.get<ErrorAnswer>('/dlq/ingestion?subscriber=nobody');
      receiver.setRespond(() => 200);
      const started = await client.post<RedriveStatusAnswer>('/dlq/ingestion/redrive', {
        subscriber: 'billify',
      });
      await waitFor(() => receiver?.accepted().length === 1, { what: 'the redriven message pushed' });
      const status = await client.get<RedriveStatusAnswer>('/dlq/ingestion/redrive?subscriber=billify');
      const after = await client.get<DlqAnswer>('/dlq/ingestion?subscriber=billify');

      // Assess
      expect(dead.body).toMatchObject({
        stage: 'ingestion',
        subscriber: 'billify',
        dlq: 'IngestionBillifySubscriberDlq',
      });
      expect(dead.body.messages.map((m) => m.invoiceId)).toEqual(['INV-PUSH-DLQ']);
      expect(refused).toBe(2);
      expect(stageDlq.body.total).toBe(0);
      expect(unknown.status).toBe(404);
      expect(unknown.body.message).toBe('no subscriber nobody on stage ingestion; declared: billify');
      expect(started.status).toBe(202);
      expect(started.body).toMatchObject({ stage: 'ingestion', subscriber: 'billify', total: 1 });
      expect(status.body).toMatchObject({ subscriber: 'billify', state: 'completed', moved: 1 });
      expect(after.body.total).toBe(0);
      expect(receiver.accepted().map((a) => JSON.parse(a.Message).event.eventId)).toEqual([event.eventId]);
      expect(new Set(receiver.pushes.map((p) => p.notification.MessageId)).size).toBe(1);
      expect(
        (await client.get<SubscriberMessagesAnswer>('/subscribers/ingestion/billify/messages')).body.depth,
      ).toBe(0);
    });
  });
});
