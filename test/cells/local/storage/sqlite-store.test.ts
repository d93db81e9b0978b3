import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openCellDatabase, WriteBatcher } from '../../../../cells/local/storage/db.js';
import { SqliteStore, toStoreWriteError } from '../../../../cells/local/storage/sqlite-store.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';
import { ManualClock } from '../../../../consumers/clock.js';
import { TransientStoreError } from '../../../../consumers/store.js';
import { tempDataDir } from '../helpers/cell-process.js';
import { record, T0 } from './support/records.js';

const topology = CELL_TOPOLOGY;
const [firstStage, secondStage] = topology.stages as [StageTopology, StageTopology];

describe('SqliteStore', () => {
  let dir: string;
  let db: DatabaseHandle;
  let clock: ManualClock;
  let store: SqliteStore;

  beforeEach(() => {
    dir = tempDataDir('sqlite-store-');
    db = openCellDatabase({ file: path.join(dir, 'cell.sqlite'), synchronous: 'NORMAL', role: 'api' });
    clock = new ManualClock(T0 + 10_000);
    store = new SqliteStore(db, { topology, clock });
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const count = () => (db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n;

  describe('writeRecords', () => {
    it('writes a record once and treats an identical rewrite as a no-op', async () => {
      // Prepare
      const r = record({ eventId: 'e1' });
      await store.writeRecords([r]);

      // Act
      const again = await store.writeRecords([r]);

      // Assess
      expect(again.rejected).toEqual([]);
      expect(count()).toBe(1);
    });

    it('keeps the stored-at time of the first write', async () => {
      // Prepare
      const r = record({ eventId: 'e1' });
      await store.writeRecords([r]);

      // Act
      clock.advance(60_000);
      await store.writeRecords([r]);

      // Assess
      expect(store.timelineWithMetadata('INV-1')[0]?.storedAtMs).toBe(T0 + 10_000);
    });

    it('rejects a different record with the same identity, not retryable, and keeps the first', async () => {
      // Prepare
      await store.writeRecords([record({ eventId: 'e1', status: 'RECEIVED' })]);

      // Act
      const result = await store.writeRecords([record({ eventId: 'e1', status: 'CAPTURED' })]);

      // Assess
      expect(result.rejected).toEqual([
        { index: 0, reason: expect.stringContaining('same identity'), retryable: false },
      ]);
      expect((await store.timeline('INV-1')).map((x) => x.measures.status)).toEqual(['RECEIVED']);
    });

    it('refuses the later records of an invoice after one of its records is refused in the same call', async () => {
      // Prepare
      await store.writeRecords([record({ eventId: 'e1', status: 'RECEIVED' })]);

      // Act
      const result = await store.writeRecords([
        record({ eventId: 'e1', status: 'CAPTURED' }),
        record({ eventId: 'e2', timeMs: T0 + 1 }),
        record({ eventId: 'x1', invoiceId: 'INV-2' }),
      ]);

      // Assess
      expect(result.rejected.map((r) => r.index)).toEqual([0, 1]);
      expect(count()).toBe(2);
    });

    it('stores money as INTEGER minor units, exactly, beyond 2^53', async () => {
      // Prepare
      const big = '9007199254740993'; // 2^53 + 1: not representable as a double

      // Act
      await store.writeRecords([record({ eventId: 'e1', amountMinor: big })]);

      // Assess
      const row = db
        .prepare('SELECT typeof(amount_minor) AS t, CAST(amount_minor AS TEXT) AS v FROM records')
        .get();
      expect(row).toEqual({ t: 'integer', v: big });
      expect((await store.timeline('INV-1'))[0]?.measures.amountMinor).toBe(big);
    });

    it('rejects an amount outside the BIGINT range instead of rounding it', async () => {
      const result = await store.writeRecords([
        record({ eventId: 'e1', amountMinor: '99999999999999999999' }),
      ]);
      expect(result.rejected[0]).toMatchObject({
        index: 0,
        retryable: false,
        reason: expect.stringContaining('BIGINT'),
      });
      expect(count()).toBe(0);
    });

    it('writes calls made in the same turn in one commit', async () => {
      // Prepare
      const batcher = new WriteBatcher(db);
      const grouped = new SqliteStore(db, { topology, clock, batcher });

      // Act
      await Promise.all(
        [1, 2, 3].map((n) => grouped.writeRecords([record({ eventId: `e${n}`, invoiceId: `INV-${n}` })])),
      );

      // Assess
      expect(batcher.stats).toEqual({ commits: 1, largestCommit: 3 });
      expect(count()).toBe(3);
    });

    it('reports a database another connection keeps busy as a TransientStoreError', async () => {
      // Prepare: a second connection holds the write lock past the batcher's wait.
      const other = new Database(path.join(dir, 'cell.sqlite'));
      other.prepare('BEGIN IMMEDIATE').run();
      const impatient = new SqliteStore(db, {
        topology,
        clock,
        batcher: new WriteBatcher(db, { maxWaitMs: 20 }),
      });

      // Act
      const act = impatient.writeRecords([record({ eventId: 'e1' })]);

      // Assess
      try {
        await expect(act).rejects.toBeInstanceOf(TransientStoreError);
        await expect(act).rejects.toThrow(/^record write failed: database stayed busy/);
      } finally {
        other.prepare('ROLLBACK').run();
        other.close();
      }
      expect(count()).toBe(0);
    });
  });

  describe('toStoreWriteError', () => {
    it.each([
      ['SQLITE_BUSY', Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })],
      ['another write failure', Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' })],
    ])('maps %s to a TransientStoreError with the cause kept', (_label, error) => {
      // Act
      const mapped = toStoreWriteError(error);

      // Assess
      expect(mapped).toBeInstanceOf(TransientStoreError);
      expect(mapped.message).toBe(`record write failed: ${error.message}`);
      expect(mapped.cause).toBe(error);
    });
  });

  describe('timeline', () => {
    it('lists an invoice in lifecycle order: by time, then by stage order', async () => {
      // Prepare: written out of order; two records share a time.
      await store.writeRecords([
        record({ eventId: 'late', stage: secondStage, timeMs: T0 + 60_000 }),
        record({ eventId: 'tie-second', stage: secondStage, timeMs: T0 }),
        record({ eventId: 'tie-first', stage: firstStage, timeMs: T0 }),
        record({ eventId: 'other', invoiceId: 'INV-2' }),
      ]);

      // Act
      const timeline = await store.timeline('INV-1');

      // Assess
      expect(timeline.map((r) => r.dimensions.eventId)).toEqual(['tie-first', 'tie-second', 'late']);
    });
  });

  describe('aggregate', () => {
    it('counts and sums per time bin, stage and currency over [from, to)', async () => {
      // Prepare
      await store.writeRecords([
        record({ eventId: 'a', invoiceId: 'I-a', timeMs: T0, amountMinor: '100' }),
        record({ eventId: 'b', invoiceId: 'I-b', timeMs: T0 + 59_000, amountMinor: '250' }),
        record({ eventId: 'c', invoiceId: 'I-c', timeMs: T0 + 60_000, amountMinor: '5', currency: 'EUR' }),
        record({ eventId: 'd', invoiceId: 'I-d', timeMs: T0 + 60_000, amountMinor: '7', stage: secondStage }),
        record({ eventId: 'e', invoiceId: 'I-e', timeMs: T0 + 120_000, amountMinor: '1' }),
      ]);

      // Act
      const rows = await store.aggregate({ fromMs: T0, toMs: T0 + 120_000, binSec: 60, byCurrency: true });
      const oneStage = await store.aggregate({
        fromMs: T0,
        toMs: T0 + 120_000,
        binSec: 60,
        stage: secondStage.name,
      });

      // Assess
      expect(rows).toEqual([
        { binStartMs: T0, stage: firstStage.name, currency: 'USD', events: 2, amountMinorSum: '350' },
        { binStartMs: T0 + 60_000, stage: firstStage.name, currency: 'EUR', events: 1, amountMinorSum: '5' },
        { binStartMs: T0 + 60_000, stage: secondStage.name, currency: 'USD', events: 1, amountMinorSum: '7' },
      ]);
      expect(oneStage).toEqual([
        { binStartMs: T0 + 60_000, stage: secondStage.name, events: 1, amountMinorSum: '7' },
      ]);
    });

    it('sums beyond 64 bits without overflowing', async () => {
      // Prepare
      const max = (2n ** 63n - 1n).toString();
      await store.writeRecords([
        record({ eventId: 'a', invoiceId: 'I-a', amountMinor: max }),
        record({ eventId: 'b', invoiceId: 'I-b', amountMinor: max }),
      ]);

      // Act
      const [row] = await store.aggregate({ fromMs: T0, toMs: T0 + 1, binSec: 60 });

      // Assess
      expect(row?.amountMinorSum).toBe(((2n ** 63n - 1n) * 2n).toString());
    });
  });
});
