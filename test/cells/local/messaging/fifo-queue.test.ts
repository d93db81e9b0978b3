import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneDedup } from '../../../../cells/local/messaging/dedup-window.js';
import {
  FifoQueue,
  type FifoQueueConfig,
  type ReceivedMessage,
} from '../../../../cells/local/messaging/fifo-queue.js';
import { type DatabaseHandle, openCellDatabase } from '../../../../cells/local/storage/db.js';
import { ManualClock } from '../../../../consumers/clock.js';
import { tempDataDir } from '../helpers/cell-process.js';

const CONFIG: FifoQueueConfig = {
  name: 'TestQueue',
  dlqName: 'TestDlq',
  visibilityTimeoutSec: 30,
  maxReceiveCount: 3,
  dedupWindowSec: 300,
};

/** A message builder: group = invoice, dedup id = event id, body names both. */
function msg(groupId: string, n: number) {
  return { groupId, dedupId: `${groupId}-e${n}`, body: JSON.stringify({ groupId, n }) };
}

const bodies = (batch: readonly ReceivedMessage[]) =>
  batch.map((m) => JSON.parse(m.body) as { groupId: string; n: number });

describe('FifoQueue', () => {
  let dir: string;
  let db: DatabaseHandle;
  let clock: ManualClock;
  let queue: FifoQueue;

  beforeEach(() => {
    dir = tempDataDir('fifo-queue-');
    db = openCellDatabase({ file: path.join(dir, 'cell.sqlite'), synchronous: 'NORMAL', role: 'api' });
    clock = new ManualClock(Date.parse('2026-11-20T09:00:00Z'));
    queue = new FifoQueue(db, CONFIG, clock);
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('receive', () => {
    it('delivers the messages of one group in send order', () => {
      // Prepare
      queue.send([msg('A', 1), msg('A', 2), msg('A', 3)]);

      // Act
      const batch = queue.receive(10);

      // Assess
      expect(bodies(batch).map((b) => b.n)).toEqual([1, 2, 3]);
      expect(batch.map((m) => m.receiveCount)).toEqual([1, 1, 1]);
    });

    it('delivers nothing more of a group while one of its messages is in flight', () => {
      // Prepare
      queue.send([msg('A', 1), msg('A', 2)]);
      const first = queue.receive(1);

      // Act
      const second = queue.receive(10);

      // Assess
      expect(bodies(first)).toEqual([{ groupId: 'A', n: 1 }]);
      expect(second).toEqual([]);
    });

    it('delivers other groups while one group is blocked', () => {
      // Prepare
      queue.send([msg('A', 1), msg('A', 2), msg('B', 1)]);
      queue.receive(1); // A1 in flight

      // Act
      const batch = queue.receive(10);

      // Assess
      expect(bodies(batch)).toEqual([{ groupId: 'B', n: 1 }]);
    });

    it('never puts one group into two batches of the same receive', () => {
      // Prepare
      for (let n = 1; n <= 4; n++) queue.send([msg('A', n), msg('B', n), msg('C', n)]);

      // Act
      const batches = queue.receiveBatches(5, 3);

      // Assess
      const groupsPerBatch = batches.map((b) => new Set(b.map((m) => m.groupId)));
      const all = batches.flatMap((b) => b.map((m) => m.groupId));
      for (const group of ['A', 'B', 'C']) {
        expect(groupsPerBatch.filter((g) => g.has(group)).length).toBeLessThanOrEqual(1);
      }
      expect(all.length).toBeLessThanOrEqual(9);
      expect(batches.every((b) => b.length <= 3)).toBe(true);
    });

    it('frees the group once its in-flight messages are deleted', () => {
      // Prepare
      queue.send([msg('A', 1), msg('A', 2)]);
      const first = queue.receive(1);

      // Act
      queue.deleteMessages(first.map((m) => m.receiptHandle));
      const second = queue.receive(10);

      // Assess
      expect(bodies(second)).toEqual([{ groupId: 'A', n: 2 }]);
    });
  });

  describe('visibility timeout', () => {
    it('redelivers an undeleted message after the timeout, with its receive count', () => {
      // Prepare
      queue.send([msg('A', 1)]);
      queue.receive();

      // Act
      clock.advance(29_999);
      const early = queue.receive();
      clock.advance(1);
      const again = queue.receive();

      // Assess
      expect(early).toEqual([]);
      expect(bodies(again)).toEqual([{ groupId: 'A', n: 1 }]);
      expect(again[0]?.receiveCount).toBe(2);
    });

    it('ignores a delete with the receipt handle of an earlier receive', () => {
      // Prepare
      queue.send([msg('A', 1)]);
      const [stale] = queue.receive();
      clock.advance(30_000);
      queue.receive();

      // Act
      const deleted = queue.deleteMessages([stale?.receiptHandle ?? '']);

      // Assess
      expect(deleted).toBe(0);
      expect(queue.counts()).toMatchObject({ inFlight: 1 });
    });
  });

  describe('deduplication', () => {
    it('drops a repeated deduplication id within the window, even after the first was deleted', () => {
      // Prepare
      const [original] = queue.send([msg('A', 1)]);
      queue.deleteMessages(queue.receive().map((m) => m.receiptHandle));

      // Act
      clock.advance(299_999);
      const [repeat] = queue.send([msg('A', 1)]);

      // Assess
      expect(repeat).toEqual({ messageId: original?.messageId, duplicate: true });
      expect(queue.receive()).toEqual([]);
    });

    it('accepts the deduplication id again once the window has passed', () => {
      // Prepare
      queue.send([msg('A', 1)]);
      queue.deleteMessages(queue.receive().map((m) => m.receiptHandle));

      // Act
      clock.advance(300_000);
      const [again] = queue.send([msg('A', 1)]);

      // Assess
      expect(again?.duplicate).toBe(false);
      expect(bodies(queue.receive())).toEqual([{ groupId: 'A', n: 1 }]);
    });

    it('prunes only expired entries', () => {
      // Prepare
      queue.send([msg('A', 1)]);
      clock.advance(200_000);
      queue.send([msg('B', 1)]);

      // Act
      const pruned = pruneDedup(db, clock.now() + 100_000);

      // Assess
      expect(pruned).toBe(1);
      expect(queue.send([msg('B', 1)])[0]?.duplicate).toBe(true);
    });
  });

  describe('dead-letter queue', () => {
    it('moves a message to the DLQ instead of receiving it a fourth time, and frees its group', () => {
      // Prepare: A1 fails three times (maxReceiveCount 3); A2 waits behind it.
      queue.send([msg('A', 1)]);
      queue.send([msg('A', 2)]);
      for (let i = 0; i < 3; i++) {
        const batch = queue.receive(1);
        expect(bodies(batch)).toEqual([{ groupId: 'A', n: 1 }]);
        clock.advance(30_000);
      }

      // Act
      const next = queue.receive(10);

      // Assess
      expect(bodies(next)).toEqual([{ groupId: 'A', n: 2 }]);
      expect(queue.dlqDepth()).toBe(1);
      expect(queue.listDlq()).toMatchObject([{ groupId: 'A', dedupId: 'A-e1', receiveCount: 3 }]);
      expect(queue.deadLetteredCount).toBe(1);
    });

    it('redrives one invoice to the end of the queue and leaves other invoices in the DLQ', () => {
      // Prepare: A1 and B1 dead-lettered; A2 queued meanwhile.
      queue.send([msg('A', 1), msg('B', 1)]);
      for (let i = 0; i < 3; i++) {
        queue.receive(10);
        clock.advance(30_000);
      }
      queue.receive(10); // moves both to the DLQ
      queue.send([msg('A', 2)]);

      // Act
      const moved = queue.redrive({ groupId: 'A', limit: 100 });
      const batch = queue.receive(10);

      // Assess: redriven A1 lost its place: it comes after A2, with a fresh receive count.
      expect(moved).toBe(1);
      expect(queue.dlqDepth()).toBe(1);
      expect(queue.dlqDepth('B')).toBe(1);
      expect(bodies(batch)).toEqual([
        { groupId: 'A', n: 2 },
        { groupId: 'A', n: 1 },
      ]);
      expect(batch[1]?.receiveCount).toBe(1);
    });
  });

  describe('restart', () => {
    it('makes in-flight messages visible again and keeps their receive counts', () => {
      // Prepare
      queue.send([msg('A', 1), msg('B', 1)]);
      queue.receive(10);

      // Act: a new instance on the same database, as after a crash.
      const reopened = new FifoQueue(db, CONFIG, clock);
      const batch = reopened.receive(10);

      // Assess
      expect(
        bodies(batch)
          .map((b) => b.groupId)
          .sort(),
      ).toEqual(['A', 'B']);
      expect(batch.map((m) => m.receiveCount)).toEqual([2, 2]);
    });
  });
});
