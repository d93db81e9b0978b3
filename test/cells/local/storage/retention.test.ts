import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../cells/local/logger.js';
import type { FifoQueue } from '../../../../cells/local/messaging/fifo-queue.js';
import { openStageQueues } from '../../../../cells/local/messaging/stage-queues.js';
import { type DatabaseHandle, openCellDatabase, WriteBatcher } from '../../../../cells/local/storage/db.js';
import { createRecordStore } from '../../../../cells/local/storage/record-store.js';
import {
  oldestRetainedMs,
  RetentionPruner,
  type RetentionPrunerOptions,
  readRollupRetention,
} from '../../../../cells/local/storage/retention.js';
import { resolveRetention } from '../../../../cells/local/storage/retention-options.js';
import type { SqliteStore } from '../../../../cells/local/storage/sqlite-store.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';
import { ManualClock } from '../../../../consumers/clock.js';
import type { RollupRecord } from '../../../../dashboards/rollups/contributions.js';
import { tempDataDir } from '../helpers/cell-process.js';
import { capturingLogger, type LogLine, writeRecords } from './support/hook-data.js';

const DAY = 86_400_000;
const topology = CELL_TOPOLOGY;
const [stage, nextStage] = topology.stages as [StageTopology, StageTopology];
const NOW = Date.UTC(2027, 5, 1);
const retention = resolveRetention({}, topology.settings);

/** A record first written at `storedAtMs` (`write` stamps a 10-record batch with its first one's), of business time `timeMs` (default: 1 s before). */
function rec(eventId: string, storedAtMs: number, timeMs = storedAtMs - 1_000, invoiceId = `inv-${eventId}`) {
  const r: RollupRecord = {
    eventId,
    invoiceId,
    stage: stage.name,
    stageOrder: stage.order,
    status: 'RECEIVED',
    currency: 'EUR',
    vendorId: 'vendor-1',
    amountMinor: 1_000n,
    paymentTermsDays: null,
    dueDateMs: null,
    timeMs,
    storedAtMs,
    receivedAtMs: storedAtMs - 500,
  };
  return r;
}

describe('RetentionPruner', () => {
  let dir: string;
  let db: DatabaseHandle;
  let clock: ManualClock;
  let store: SqliteStore;
  let queues: Map<string, FifoQueue>;
  let lines: LogLine[];

  beforeEach(() => {
    dir = tempDataDir('retention-');
    db = openCellDatabase({ file: path.join(dir, 'cell.sqlite'), synchronous: 'NORMAL', role: 'api' });
    clock = new ManualClock(NOW);
    store = createRecordStore(db, { topology, clock });
    queues = openStageQueues(db, topology, clock);
    lines = [];
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const pruner = (options: Partial<RetentionPrunerOptions> = {}) =>
    new RetentionPruner({
      db,
      batcher: new WriteBatcher(db),
      clock,
      logger: capturingLogger(lines),
      retention,
      queueIds: [...queues.values()].flatMap((q) => [q.queueId, q.dlqId]),
      maxFutureSkewMs: 300_000,
      topology,
      chunkRows: 7,
      ...options,
    });

  const eventIds = (table: string) =>
    (db.prepare(`SELECT event_id FROM ${table} ORDER BY event_id`).all() as { event_id: string }[]).map(
      (r) => r.event_id,
    );

  async function write(records: readonly RollupRecord[]): Promise<void> {
    await writeRecords(store, clock, records);
    clock.set(NOW);
  }

  describe('prune', () => {
    it('deletes records first written before the retention, in chunks, and keeps late events written since', async () => {
      // Prepare: 20 records written 401 days ago; a late event (time 500 days ago) written 10 days ago.
      const old = Array.from({ length: 20 }, (_, i) =>
        rec(`old-${String(i).padStart(2, '0')}`, NOW - 401 * DAY + i),
      );
      await write(old);
      await write([rec('late', NOW - 10 * DAY, NOW - 500 * DAY)]);
      await write([rec('recent', NOW - DAY)]);

      // Act
      const removed = await pruner().prune();

      // Assess
      expect(removed.records).toBe(20);
      expect(eventIds('records')).toEqual(['late', 'recent']);
      expect(lines).toContainEqual({
        level: 'info',
        msg: 'retention pruned',
        fields: { target: 'records', removed: 20 },
      });
    });

    it('deletes the reconcile bins of pruned records first, leaving no kept bin short of its records', async () => {
      // Prepare
      await write(Array.from({ length: 12 }, (_, i) => rec(`old-${i}`, NOW - 401 * DAY + i * 60_000)));
      await write([rec('recent', NOW - DAY)]);

      // Act
      const removed = await pruner().prune();

      // Assess
      expect(removed.reconcile_bins).toBeGreaterThan(0);
      const bins = db.prepare('SELECT bin_start_ms AS t, stored FROM reconcile_bins').all() as {
        t: number;
        stored: number;
      }[];
      expect(bins.every((b) => b.t >= NOW - 400 * DAY && b.stored >= 0)).toBe(true);
      expect(bins.reduce((n, b) => n + b.stored, 0)).toBe(1);
    });

    it('keeps the records of events that still have a message in a stage queue or DLQ', async () => {
      // Prepare: a message sent 402 days ago is still queued (e.g. in a DLQ): records written
      // after it may be its event's and must stay, so a redrive does not store it as new.
      await write([rec('a', NOW - 403 * DAY)]);
      clock.set(NOW - 402 * DAY);
      await new WriteBatcher(db).run(() =>
        queues.get(nextStage.name)?.send([{ groupId: 'inv-b', dedupId: 'b', body: '{}' }]),
      );
      await write([rec('b', NOW - 401 * DAY)]);

      // Act
      const removed = await pruner().prune();

      // Assess
      expect(removed.records).toBe(1);
      expect(eventIds('records')).toEqual(['b']);
    });

    it('deletes the latest-state rows of pruned records and keeps the bins they contributed to', async () => {
      // Prepare
      await write([rec('old', NOW - 401 * DAY)]);
      await write([rec('new', NOW - DAY)]);
      const binsBefore = db.prepare("SELECT count(*) AS n FROM rollup_rows WHERE tier = '1d'").get();

      // Act
      const removed = await pruner().prune();

      // Assess
      expect(removed.rollup_latest).toBeGreaterThan(0);
      expect(eventIds('rollup_latest').every((id) => id === 'new')).toBe(true);
      expect(eventIds('rollup_latest')).toContain('new');
      expect(db.prepare("SELECT count(*) AS n FROM rollup_rows WHERE tier = '1d'").get()).toEqual(binsBefore);
    });

    it("keeps a partition's latest-state rows when a newer record of it is kept", async () => {
      // Prepare: one invoice with an old record (pruned) and a newer one at the next stage (kept):
      // the invoice-wide rows now hold the newer record, the old stage's own rows the old one.
      const old = rec('old', NOW - 401 * DAY, NOW - 401 * DAY, 'inv-x');
      await write([old]);
      await write([
        {
          ...old,
          eventId: 'newer',
          stage: nextStage.name,
          stageOrder: nextStage.order,
          storedAtMs: NOW - DAY,
          timeMs: NOW - DAY,
        },
      ]);
      const latestOf = () =>
        db.prepare('SELECT scope_id, partition_key, event_id FROM rollup_latest ORDER BY 1, 2').all() as {
          partition_key: string;
          event_id: string;
        }[];
      const before = latestOf();

      // Act
      const removed = await pruner().prune();

      // Assess: exactly the rows that still held the pruned record went.
      const held = before.filter((r) => r.event_id === 'old');
      expect(held.length).toBeGreaterThan(0);
      expect(removed.rollup_latest).toBe(held.length);
      expect(latestOf()).toEqual(before.filter((r) => r.event_id !== 'old'));
      expect(latestOf().some((r) => r.event_id === 'newer')).toBe(true);
    });

    it('deletes settled SLA entries of pruned records and keeps the SLA bins they were counted in', async () => {
      // Prepare: an invoice that moved on long ago (its first stage's entry is settled) and a recent one.
      const old = rec('old-1', NOW - 401 * DAY, NOW - 401 * DAY, 'inv-old');
      await write([old, { ...old, eventId: 'old-2', stage: nextStage.name, stageOrder: nextStage.order }]);
      await write([rec('new', NOW - DAY, NOW - DAY, 'inv-new')]);
      const entries = () =>
        db.prepare('SELECT invoice_id AS id, stage_order AS s FROM sla_entries ORDER BY 1, 2').all();
      // Day bins outlive the records (3,650 days); finer tiers have their own retention.
      const bins = () => db.prepare("SELECT * FROM sla_bins WHERE tier = '1d' ORDER BY 1, 2, 3").all();
      const binsBefore = bins();
      expect(entries()).toContainEqual({ id: 'inv-old', s: stage.order });

      // Act
      const removed = await pruner().prune();

      // Assess
      expect(removed.sla_entries).toBeGreaterThan(0);
      expect(entries()).not.toContainEqual({ id: 'inv-old', s: stage.order });
      expect(entries()).toContainEqual({ id: 'inv-new', s: stage.order });
      expect(bins()).toEqual(binsBefore);
    });

    it('deletes rollup bins of each tier older than the tier retention', async () => {
      // Prepare: records written recently (so kept) with business times 40, 900 and 4,000 days ago.
      await write([
        rec('d40', NOW - DAY, NOW - 40 * DAY),
        rec('d900', NOW - DAY, NOW - 900 * DAY),
        rec('d4000', NOW - DAY, NOW - 4_000 * DAY),
        rec('d1', NOW - DAY),
      ]);
      const oldest = () =>
        Object.fromEntries(
          (
            db.prepare('SELECT tier, min(bin_start_ms) AS t FROM rollup_rows GROUP BY tier').all() as {
              tier: string;
              t: number;
            }[]
          ).map((r) => [r.tier, Math.floor((NOW - r.t) / DAY)]),
        );
      const before = oldest();

      // Act
      await pruner().prune();

      // Assess: minute bins keep 35 days, hour bins 800, day bins 3,650.
      expect(before['1m']).toBe(4_000);
      const after = oldest();
      expect(after['1m']).toBe(1);
      expect(after['1h']).toBe(40);
      expect(after['1d']).toBe(900);
      expect(lines).toContainEqual(
        expect.objectContaining({ fields: expect.objectContaining({ target: 'rollup_rows' }) }),
      );
    });

    it('deletes archived events received before the archive retention', async () => {
      // Prepare
      const archive = db.prepare(
        `INSERT INTO archive (event_id, bus_event_id, detail_type, invoice_id, received_at_ms, body)
         VALUES (?, ?, 'x', 'inv', ?, '{}')`,
      );
      for (let i = 0; i < 10; i++) archive.run(`old-${i}`, `b-old-${i}`, NOW - 366 * DAY);
      archive.run('kept', 'b-kept', NOW - 364 * DAY);

      // Act
      const removed = await pruner().prune();

      // Assess
      expect(removed.archive).toBe(10);
      expect(eventIds('archive')).toEqual(['kept']);
    });

    it('records what the tiers hold, and from when every record is still stored', async () => {
      // Prepare
      await write([rec('old', NOW - 401 * DAY)]);

      // Act
      await pruner().prune();

      // Assess
      expect(readRollupRetention(db)).toEqual(oldestRetainedMs(retention, NOW));
      const complete = db.prepare("SELECT value FROM meta WHERE key = 'records_complete_from_ms'").get();
      expect(complete).toEqual({ value: String(NOW - 400 * DAY + 300_000) });
    });

    it('deletes nothing and logs nothing when nothing is past its retention', async () => {
      // Prepare
      await write([rec('recent', NOW - DAY)]);

      // Act
      const removed = await pruner().prune();

      // Assess
      expect(Object.values(removed).every((n) => n === 0)).toBe(true);
      expect(lines).toEqual([]);
      expect(eventIds('records')).toEqual(['recent']);
    });

    it('returns after the chunk under way when stopped, leaving the rest to the next run', async () => {
      // Prepare
      await write(Array.from({ length: 30 }, (_, i) => rec(`old-${i}`, NOW - 401 * DAY + i)));
      const job = pruner({ logger: createLogger({ level: 'silent' }) });

      // Act
      const running = job.prune();
      job.stop();
      const stopped = await running;
      const next = await pruner().prune();

      // Assess
      expect(Object.values(stopped).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(7);
      expect((stopped.records ?? 0) + (next.records ?? 0)).toBe(30);
      expect(eventIds('records')).toEqual([]);
    });
  });
});

describe('oldestRetainedMs', () => {
  it('gives each tier the first bin at or after its retention, raised to a rebuild floor', () => {
    // Act
    const plain = oldestRetainedMs(retention, NOW + 30_000);
    const floored = oldestRetainedMs(retention, NOW + 30_000, NOW - 100 * DAY + 1);

    // Assess
    expect(plain).toEqual({
      '1m': NOW - 35 * DAY + 60_000,
      '5m': NOW - 35 * DAY + 300_000,
      '1h': NOW - 800 * DAY + 3_600_000,
      '1d': NOW - 3_650 * DAY + DAY,
    });
    expect(floored['1m']).toBe(NOW - 35 * DAY + 60_000);
    expect(floored['1h']).toBe(NOW - 100 * DAY + 3_600_000);
    expect(floored['1d']).toBe(NOW - 100 * DAY + DAY);
  });
});
