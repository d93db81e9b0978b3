import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../../../cells/local/api/http-error.js';
import { FifoQueue } from '../../../../cells/local/messaging/fifo-queue.js';
import {
  ackRequestOf,
  receiveRequestOf,
  SubscriberPull,
} from '../../../../cells/local/messaging/subscriber-pull.js';
import { type DatabaseHandle, openCellDatabase } from '../../../../cells/local/storage/db.js';
import { ManualClock } from '../../../../consumers/clock.js';
import { tempDataDir } from '../helpers/cell-process.js';

/**
 * Pull consumption of a subscriber queue on a real database with a manual clock: per-invoice
 * order, visibility timeout (the queue's or the receive's), max receives → DLQ, acks per handle,
 * and the request checks.
 */

const CONFIG = {
  name: 'SubQueue',
  dlqName: 'SubDlq',
  visibilityTimeoutSec: 30,
  maxReceiveCount: 2,
  dedupWindowSec: 300,
};

function msg(invoiceId: string, n: number) {
  return { groupId: invoiceId, dedupId: `${invoiceId}-e${n}`, body: JSON.stringify({ invoiceId, n }) };
}

function errorOf(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('no error thrown');
}

describe('SubscriberPull', () => {
  let dir: string;
  let db: DatabaseHandle;
  let clock: ManualClock;
  let queue: FifoQueue;
  let pull: SubscriberPull;

  beforeEach(() => {
    dir = tempDataDir('subscriber-pull-');
    db = openCellDatabase({ file: path.join(dir, 'cell.sqlite'), synchronous: 'NORMAL', role: 'api' });
    clock = new ManualClock(Date.parse('2026-11-20T09:00:00Z'));
    queue = new FifoQueue(db, CONFIG, clock);
    pull = new SubscriberPull(db, queue);
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('holds an invoice while its message is in flight, lets other invoices flow, and releases it on ack', async () => {
    // Prepare
    queue.send([msg('INV-A', 1), msg('INV-A', 2), msg('INV-B', 1)]);

    // Act
    const first = await pull.receive({ maxMessages: 1 });
    const second = await pull.receive({ maxMessages: 10 });
    const acked = await pull.ack(first.map((m) => m.receiptHandle));
    const third = await pull.receive({ maxMessages: 10 });

    // Assess
    expect(first.map((m) => m.dedupId)).toEqual(['INV-A-e1']);
    expect(second.map((m) => m.dedupId)).toEqual(['INV-B-e1']);
    expect(acked).toEqual({ acked: [first[0]?.receiptHandle], failed: [] });
    expect(third.map((m) => m.dedupId)).toEqual(['INV-A-e2']);
    expect(queue.depth()).toBe(2);
  });

  it('makes a message receivable again after the receive’s visibility timeout, with receiveCount + 1 and a new handle', async () => {
    // Prepare
    queue.send([msg('INV-A', 1)]);
    const [first] = await pull.receive({ maxMessages: 10, visibilityTimeoutSec: 5 });

    // Act
    clock.advance(4_999);
    const early = await pull.receive({ maxMessages: 10 });
    clock.advance(1);
    const [again] = await pull.receive({ maxMessages: 10 });
    const ackStale = await pull.ack([first?.receiptHandle as string]);
    const ackCurrent = await pull.ack([again?.receiptHandle as string]);

    // Assess
    expect(early).toEqual([]);
    expect(again?.messageId).toBe(first?.messageId);
    expect([first?.receiveCount, again?.receiveCount]).toEqual([1, 2]);
    expect(again?.receiptHandle).not.toBe(first?.receiptHandle);
    expect(ackStale.acked).toEqual([]);
    expect(ackStale.failed).toEqual([
      { receiptHandle: first?.receiptHandle, reason: expect.stringMatching(/^not in flight/) },
    ]);
    expect(ackCurrent).toEqual({ acked: [again?.receiptHandle], failed: [] });
    expect(queue.depth()).toBe(0);
  });

  it('uses the queue’s visibility timeout when the receive names none', async () => {
    queue.send([msg('INV-A', 1)]);
    await pull.receive({ maxMessages: 10 });

    clock.advance(CONFIG.visibilityTimeoutSec * 1000 - 1);
    const early = await pull.receive({ maxMessages: 10 });
    clock.advance(1);
    const late = await pull.receive({ maxMessages: 10 });

    expect(pull.visibilityTimeoutOf({ maxMessages: 10 })).toBe(CONFIG.visibilityTimeoutSec);
    expect(early).toEqual([]);
    expect(late.map((m) => m.receiveCount)).toEqual([2]);
  });

  it('moves a message received maxReceiveCount times without an ack to the DLQ, freeing its invoice', async () => {
    // Prepare
    queue.send([msg('INV-A', 1), msg('INV-A', 2)]);
    const handles: string[] = [];

    // Act: receive the head twice (maxReceiveCount 2), letting it time out each time
    for (let i = 0; i < CONFIG.maxReceiveCount; i++) {
      const batch = await pull.receive({ maxMessages: 1, visibilityTimeoutSec: 1 });
      handles.push(...batch.map((m) => m.receiptHandle));
      clock.advance(1_000);
    }
    const next = await pull.receive({ maxMessages: 1 });
    const lateAck = await pull.ack(handles.slice(-1));

    // Assess
    expect(handles).toHaveLength(2);
    expect(next.map((m) => [m.dedupId, m.receiveCount])).toEqual([['INV-A-e2', 1]]);
    expect(queue.dlqDepth()).toBe(1);
    expect(queue.listDlq().map((m) => [m.dedupId, m.receiveCount])).toEqual([['INV-A-e1', 2]]);
    expect(lateAck.failed.map((f) => f.receiptHandle)).toEqual(handles.slice(-1));
  });

  it('answers each handle of an ack: a malformed one and a repeated one fail, the rest are acked', async () => {
    queue.send([msg('INV-A', 1), msg('INV-B', 1)]);
    const batch = await pull.receive({ maxMessages: 10 });
    const [a, b] = batch.map((m) => m.receiptHandle) as [string, string];

    const result = await pull.ack([a, 'garbage', a, b]);

    expect(result.acked).toEqual([a, b]);
    expect(result.failed).toEqual([
      { receiptHandle: 'garbage', reason: 'not a receipt handle of this cell' },
      { receiptHandle: a, reason: expect.stringMatching(/^not in flight/) },
    ]);
    expect(queue.depth()).toBe(0);
  });
});

describe('receiveRequestOf', () => {
  it('defaults to 10 messages and the queue’s timeout', () => {
    expect(receiveRequestOf(undefined)).toEqual({ maxMessages: 10 });
    expect(receiveRequestOf({ maxMessages: 3, visibilityTimeoutSec: 43_200 })).toEqual({
      maxMessages: 3,
      visibilityTimeoutSec: 43_200,
    });
  });

  it.each([
    [{ maxMessages: 0 }, '/maxMessages must be an integer from 1 to 10'],
    [{ maxMessages: 11 }, '/maxMessages must be an integer from 1 to 10'],
    [{ maxMessages: '5' }, '/maxMessages must be an integer from 1 to 10'],
    [{ visibilityTimeoutSec: 0 }, '/visibilityTimeoutSec must be an integer from 1 to 43200'],
    [{ visibilityTimeoutSec: 43_201 }, '/visibilityTimeoutSec must be an integer from 1 to 43200'],
    [{ visibilityTimeoutSec: 1.5 }, '/visibilityTimeoutSec must be an integer from 1 to 43200'],
    [{ max: 1 }, '/max is not an allowed field'],
  ])('refuses %j with 400 naming the field', (body, message) => {
    const error = errorOf(() => receiveRequestOf(body));

    expect(error.statusCode).toBe(400);
    expect(error.message).toBe(`invalid request: ${message}`);
  });
});

describe('ackRequestOf', () => {
  it('takes 1 to 10 handles', () => {
    expect(ackRequestOf({ receiptHandles: ['1.1'] })).toEqual({ receiptHandles: ['1.1'] });
  });

  it.each([
    [{}, '/receiptHandles is required'],
    [{ receiptHandles: [] }, '/receiptHandles must be a list of 1 to 10 receipt handles (non-empty strings)'],
    [
      { receiptHandles: Array.from({ length: 11 }, (_, i) => `${i}.1`) },
      '/receiptHandles must be a list of 1 to 10 receipt handles (non-empty strings)',
    ],
    [
      { receiptHandles: ['1.1', 2] },
      '/receiptHandles must be a list of 1 to 10 receipt handles (non-empty strings)',
    ],
    [
      { receiptHandles: '1.1' },
      '/receiptHandles must be a list of 1 to 10 receipt handles (non-empty strings)',
    ],
  ])('refuses %j with 400 naming the field', (body, message) => {
    const error = errorOf(() => ackRequestOf(body));

    expect(error.statusCode).toBe(400);
    expect(error.message).toBe(`invalid request: ${message}`);
  });
});
