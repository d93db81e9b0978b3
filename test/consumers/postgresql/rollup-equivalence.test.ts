import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../cells/local/storage/db.js';
import type { SqlExecutor } from '../../../consumers/postgresql/sql-executor.js';
import type { InvoiceRecord } from '../../../consumers/record.js';
import type { TimeseriesStore, WriteResult } from '../../../consumers/store.js';
import type { RollupRecord } from '../../../dashboards/rollups/contributions.js';
import { int, mixSeed, mulberry32 } from '../../../scripts/ops/seeded-random.js';
import { invoiceRecordOf } from '../../cells/local/storage/support/rollup-load.js';
import { randomStream } from '../../dashboards/rollups/support/random-records.js';
import { openTestCellDb, type TestCellDb } from '../../dashboards/support/cell-db.js';
import { openTestPgStore, type TestPgStore } from './support/pg-store.js';

/**
 * The PostgreSQL store keeps the same rollups and invoice states as the local cell's SQLite store
 * (`createRecordStore`): the same generated records, in the same batches with the same stored-at
 * times, go through both, and every rollup row, latest-state row and invoice state must match.
 *
 * The stream keeps identical duplicates (retries, replays) but not the "same eventId, other values"
 * arrivals of `randomStream`: SQLite keys records on their whole identity (time included) and
 * stores such a record as a second one, while PostgreSQL keys on event_id and refuses it (the
 * documented difference of 0001_records.sql; its rejection is tested in postgres-store.test.ts).
 */

type Row = readonly string[];

const ROLLUP_KEY = 'spec_id, tier, bin_start_ms, key_values, bucket, count';
const LATEST_COLUMNS =
  'scope_id, partition_key, event_id, invoice_id, stage, stage_order, status, currency, vendor_id, ' +
  'amount_minor, payment_terms_days, due_date_ms, time_ms, stored_at_ms, received_at_ms';
const STATE_COLUMNS =
  'invoice_id, stage_order, status, status_time_ms, status_event_id, vendor_id, entered_ms, deadline_ms';

const text = (value: unknown): string => (value === null ? 'NULL' : String(value));
const sorted = (rows: Row[]): Row[] => rows.sort((a, b) => (a.join('|') < b.join('|') ? -1 : 1));

function sqliteRows(db: DatabaseHandle, sql: string): Row[] {
  const rows = db.prepare<[], Record<string, unknown>>(sql).safeIntegers(true).all();
  return sorted(rows.map((r) => Object.values(r).map(text)));
}

async function pgRows(executor: SqlExecutor, sql: string): Promise<Row[]> {
  const { rows } = await executor.execute(sql);
  return sorted(rows.map((r) => Object.values(r).map(text)));
}

/** Rollup rows with money as one exact integer (SQLite splits it as hi * 1e9 + lo). */
function sqliteTables(db: DatabaseHandle): Record<string, Row[]> {
  return {
    rollupRows: sqliteRows(
      db,
      `SELECT ${ROLLUP_KEY}, CAST(money_hi AS TEXT) || ':' || CAST(money_lo AS TEXT) AS money, value_sum
       FROM rollup_rows`,
    ).map((r) => {
      const [hi, lo] = (r[6] as string).split(':').map(BigInt) as [bigint, bigint];
      return [...r.slice(0, 6), (hi * 1_000_000_000n + lo).toString(), r[7] as string];
    }),
    latest: sqliteRows(db, `SELECT ${LATEST_COLUMNS} FROM rollup_latest`),
    invoiceState: sqliteRows(db, `SELECT ${STATE_COLUMNS} FROM invoice_state`),
  };
}

async function pgTables(executor: SqlExecutor): Promise<Record<string, Row[]>> {
  return {
    rollupRows: await pgRows(executor, `SELECT ${ROLLUP_KEY}, money_minor, value_sum FROM rollup_rows`),
    latest: await pgRows(executor, `SELECT ${LATEST_COLUMNS} FROM rollup_latest`),
    invoiceState: await pgRows(executor, `SELECT ${STATE_COLUMNS} FROM invoice_state`),
  };
}

/** The stream's arrivals without same-eventId-other-values records (see the file comment). */
function arrivalsOf(seed: number, invoices: number): RollupRecord[] {
  const first = new Map<string, string>();
  return randomStream(seed, invoices).arrivals.filter((r) => {
    const values = JSON.stringify(invoiceRecordOf(r));
    const known = first.get(r.eventId);
    if (known === undefined) first.set(r.eventId, values);
    return known === undefined || known === values;
  });
}

/** Batches of 1–10 with now and then a poison record (an amount beyond BIGINT) refused by both. */
function batchesOf(arrivals: readonly RollupRecord[], seed: number): InvoiceRecord[][] {
  const random = mulberry32(mixSeed(seed, 4_242));
  const batches: InvoiceRecord[][] = [];
  for (let i = 0; i < arrivals.length; ) {
    const size = int(random, 1, 10);
    const batch = arrivals.slice(i, i + size).map(invoiceRecordOf);
    if (random() < 0.1) {
      const victim = batch[0] as InvoiceRecord;
      const poison = {
        ...victim,
        dimensions: { ...victim.dimensions, eventId: `poison-${i}` },
        measures: { ...victim.measures, amountMinor: '99999999999999999999' },
      };
      batch.splice(int(random, 0, batch.length), 0, poison);
    }
    batches.push(batch);
    i += size;
  }
  return batches;
}

interface Twin {
  readonly sqlite: TestCellDb;
  readonly pg: TestPgStore;
}

/** Writes one call to both stores at the same stored-at time; both must answer alike. */
async function writeBoth(
  twin: Twin,
  batch: readonly InvoiceRecord[],
  storedAtMs: number,
): Promise<WriteResult> {
  twin.sqlite.clock.set(storedAtMs);
  twin.pg.clock.set(storedAtMs);
  const stores: TimeseriesStore[] = [twin.sqlite.store, twin.pg.store];
  const [local, aurora] = await Promise.all(stores.map((s) => s.writeRecords(batch)));
  expect(aurora).toEqual(local);
  return local as WriteResult;
}

/** The pipeline's load: batches, redelivery of what a poison record held back, then replays. */
async function load(twin: Twin, seed: number, invoices: number) {
  const arrivals = arrivalsOf(seed, invoices);
  const batches = batchesOf(arrivals, seed);
  const heldBack: InvoiceRecord[] = [];
  let poisoned = 0;
  for (const [b, batch] of batches.entries()) {
    const storedAtMs = Math.max(0, (batch[0]?.measures.receivedAtMs ?? 0) + (b % 7) * 1_000);
    const result = await writeBoth(twin, batch, storedAtMs);
    for (const r of result.rejected) {
      const record = batch[r.index] as InvoiceRecord;
      if (record.dimensions.eventId.startsWith('poison-')) poisoned++;
      else heldBack.push(record);
    }
  }
  const replays = arrivals.filter((_, i) => i % 17 === 0).map(invoiceRecordOf);
  const lastMs = Math.max(...arrivals.map((r) => r.receivedAtMs)) + 60_000;
  for (const again of [heldBack, replays]) {
    for (let i = 0; i < again.length; i += 10) {
      const result = await writeBoth(twin, again.slice(i, i + 10), lastMs + i);
      expect(result.rejected).toEqual([]);
    }
  }
  return { batches: batches.length, poisoned, heldBack: heldBack.length, replays: replays.length };
}

describe('PostgresStore rollups', () => {
  let pg: TestPgStore;
  let sqlite: TestCellDb;

  beforeAll(async () => {
    pg = await openTestPgStore();
  });

  afterAll(async () => {
    await pg.close();
  });

  beforeEach(async () => {
    await pg.reset();
    sqlite = openTestCellDb();
  });

  afterEach(() => {
    sqlite.close();
  });

  it.each([7, 31])(
    'equal the SQLite cell store’s rollup rows, latest rows and invoice states (seed %i)',
    async (seed) => {
      // Act
      const stats = await load({ sqlite, pg }, seed, 90);

      // Assess
      const local = sqliteTables(sqlite.db);
      const aurora = await pgTables(pg.executor);
      expect(aurora.rollupRows).toEqual(local.rollupRows);
      expect(aurora.latest).toEqual(local.latest);
      expect(aurora.invoiceState).toEqual(local.invoiceState);
      // The load exercised what it is meant to, and the tables are far from empty.
      expect(stats.poisoned).toBeGreaterThan(0);
      expect(stats.heldBack).toBeGreaterThan(0);
      expect(local.rollupRows?.length).toBeGreaterThan(1_000);
      expect(local.latest?.length).toBeGreaterThan(300);
      expect(local.invoiceState).toHaveLength(90);
    },
  );
});
