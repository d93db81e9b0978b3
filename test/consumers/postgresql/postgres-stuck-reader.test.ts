import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StuckReport } from '../../../cells/local/monitoring/stuck-answer.js';
import { localLatestByInvoiceSql } from '../../../cells/local/storage/monitoring-queries.js';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import {
  countStuckByStage,
  findStuckInvoices,
  type LatestByInvoiceRow,
  latestFromRows,
} from '../../../consumers/monitoring/stuck.js';
import { PostgresStuckReader } from '../../../consumers/postgresql/postgres-stuck-reader.js';
import {
  POSTGRESQL_STUCK_COUNTS_SQL,
  POSTGRESQL_STUCK_INVOICES_SQL,
} from '../../../consumers/postgresql/queries/stuck-state-sql.js';
import type { InvoiceRecord } from '../../../consumers/record.js';
import { randomLifecycles } from '../../cells/local/storage/support/invoice-lifecycles.js';
import { openTestCellDb, type TestCellDb } from '../../dashboards/support/cell-db.js';
import { openTestPgStore, type TestPgStore } from './support/pg-store.js';

// The Aurora stuck read (`invoice_state` by its deadline index) against the local cell's stuck
// logic on the same records, written through each store's own write path (so each keeps its own
// invoice state): the local cell's `StuckReport` (the same range read on SQLite) and the reference
// rule, `findStuckInvoices` over a scan of every record.

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;
/** Monday 2026-11-16, where `randomLifecycles` starts. */
const LIFECYCLES_MS = Date.UTC(2026, 10, 16);
const ALL_HISTORY_SEC = 100 * 365 * 86_400;

/** Two seeds of lifecycles (terminal statuses, skipped stages, moves exactly at the SLA), deduplicated. */
function lifecycleRecords(): InvoiceRecord[] {
  const seen = new Set<string>();
  return [...randomLifecycles(11, 250), ...randomLifecycles(29, 100)].filter((r) => {
    const id = r.dimensions.eventId;
    return !seen.has(id) && Boolean(seen.add(id));
  });
}

/** Both stores, the same batches of ≤ 10 at the same stored-at times. */
async function writeBoth(sqlite: TestCellDb, pg: TestPgStore, records: readonly InvoiceRecord[]) {
  for (let i = 0; i < records.length; i += 10) {
    const batch = records.slice(i, i + 10);
    const storedAtMs = (batch[0]?.measures.receivedAtMs ?? 0) + (i % 7) * 1_000;
    sqlite.clock.set(storedAtMs);
    pg.clock.set(storedAtMs);
    const [local, aurora] = await Promise.all([
      sqlite.store.writeRecords(batch),
      pg.store.writeRecords(batch),
    ]);
    expect(aurora).toEqual(local);
    expect(local.rejected).toEqual([]);
  }
}

const NOWS = [
  LIFECYCLES_MS + 20 * MINUTE,
  LIFECYCLES_MS + DAY + 7 * HOUR + 13 * MINUTE + 456,
  LIFECYCLES_MS + 3 * DAY,
  LIFECYCLES_MS + 6 * DAY + 23 * HOUR,
  LIFECYCLES_MS + 12 * DAY,
  LIFECYCLES_MS + 40 * DAY,
];
const LOOKBACKS_SEC = [ALL_HISTORY_SEC, 7 * 86_400, 2 * 86_400, 6 * 3_600];

describe('PostgresStuckReader', () => {
  let pg: TestPgStore;
  let sqlite: TestCellDb;

  beforeAll(async () => {
    pg = await openTestPgStore();
    sqlite = openTestCellDb();
    await writeBoth(sqlite, pg, lifecycleRecords());
  }, 120_000);

  afterAll(async () => {
    sqlite?.close();
    await pg?.close();
  });

  function reference(nowMs: number): ReturnType<typeof findStuckInvoices> {
    const rows = sqlite.db
      .prepare<{ fromMs: number; cell: null }, LatestByInvoiceRow>(localLatestByInvoiceSql(CELL_TOPOLOGY))
      .all({ fromMs: -1e15, cell: null });
    return findStuckInvoices(latestFromRows(rows), CELL_TOPOLOGY, nowMs);
  }

  describe('invoices and counts', () => {
    it('name the same invoices, in the same order, as the local cell at every time and look-back', async () => {
      let listed = 0;
      let boundedByLookback = 0;
      for (const nowMs of NOWS) {
        for (const lookbackSec of LOOKBACKS_SEC) {
          // Prepare
          const local = new StuckReport(sqlite.db, CELL_TOPOLOGY, lookbackSec);
          const aurora = new PostgresStuckReader(pg.executor, CELL_TOPOLOGY, { lookbackSec });

          // Act
          const actual = await aurora.invoices(nowMs);
          const counts = await aurora.counts(nowMs);

          // Assess
          const expected = local.invoices(nowMs);
          expect(actual).toEqual(expected);
          expect(counts).toEqual(local.counts(nowMs));
          expect(counts).toEqual(countStuckByStage(actual, CELL_TOPOLOGY));
          listed += actual.length;
          if (actual.length < reference(nowMs).length) boundedByLookback++;
        }
      }
      expect(listed).toBeGreaterThan(100);
      // Some look-backs left invoices out: the bound is exercised, not only "everything".
      expect(boundedByLookback).toBeGreaterThan(0);
    });

    it('equals the reference rule over every record when the look-back covers all history', async () => {
      const aurora = new PostgresStuckReader(pg.executor, CELL_TOPOLOGY, { lookbackSec: ALL_HISTORY_SEC });
      for (const nowMs of NOWS) {
        // Act
        const actual = await aurora.invoices(nowMs);

        // Assess
        expect(actual).toEqual(reference(nowMs));
      }
    });

    it('filters by stage and limits the list to the most overdue, as the local cell does', async () => {
      // Prepare
      const nowMs = LIFECYCLES_MS + 12 * DAY;
      const local = new StuckReport(sqlite.db, CELL_TOPOLOGY, ALL_HISTORY_SEC);
      const aurora = new PostgresStuckReader(pg.executor, CELL_TOPOLOGY, { lookbackSec: ALL_HISTORY_SEC });

      for (const stage of CELL_TOPOLOGY.stages) {
        // Act
        const actual = await aurora.invoices(nowMs, stage.name, 7);

        // Assess
        expect(actual).toEqual(local.invoices(nowMs, stage.name, 7));
        expect(actual.every((s) => s.stage === stage.name)).toBe(true);
      }
      expect((await aurora.invoices(nowMs, undefined, 5)).length).toBe(5);
    });
  });

  describe('read', () => {
    it('counts every stuck invoice and lists only the most overdue', async () => {
      // Prepare
      const nowMs = LIFECYCLES_MS + 12 * DAY;
      const aurora = new PostgresStuckReader(pg.executor, CELL_TOPOLOGY, {
        lookbackSec: ALL_HISTORY_SEC,
        listed: 10,
      });
      const expected = reference(nowMs);

      // Act
      const reading = await aurora.read(nowMs);

      // Assess
      expect(expected.length).toBeGreaterThan(10);
      expect(reading.total).toBe(expected.length);
      expect(reading.stuck).toEqual(expected.slice(0, 10));
      expect(reading.counts).toEqual(countStuckByStage(expected, CELL_TOPOLOGY));
    });

    it('reads the counts only when nothing is stuck', async () => {
      // Prepare: before the first record
      const aurora = new PostgresStuckReader(pg.executor, CELL_TOPOLOGY, { lookbackSec: ALL_HISTORY_SEC });
      pg.executor.statements.length = 0;

      // Act
      const reading = await aurora.read(LIFECYCLES_MS - DAY);

      // Assess
      expect(reading).toEqual({
        rows: 0,
        stuck: [],
        total: 0,
        counts: new Map([
          ['ingestion', 0],
          ['reconciliation', 0],
          ['authorization', 0],
        ]),
      });
      expect(pg.executor.statements.map((s) => s.sql)).toEqual([POSTGRESQL_STUCK_COUNTS_SQL]);
    });
  });

  describe('SQL', () => {
    it('reads the deadline index by range, never the records table', async () => {
      // Act
      const plan = await pg.executor.execute(
        `EXPLAIN ${POSTGRESQL_STUCK_INVOICES_SQL.replaceAll(
          /CAST\(:(\w+) AS bigint\)/g,
          (_m, name: string) =>
            name === 'stage_order' ? 'CAST(NULL AS bigint)' : name === 'limit' ? '100' : '1700000000000',
        )}`,
      );

      // Assess
      expect(POSTGRESQL_STUCK_INVOICES_SQL).not.toMatch(/\brecords\b/);
      expect(POSTGRESQL_STUCK_COUNTS_SQL).not.toMatch(/\brecords\b/);
      expect(POSTGRESQL_STUCK_INVOICES_SQL).toMatch(/deadline_ms < CAST\(:now_ms AS bigint\)/);
      expect(POSTGRESQL_STUCK_INVOICES_SQL).toMatch(/LIMIT CAST\(:limit AS bigint\)$/);
      expect(plan.rows.length).toBeGreaterThan(0);
    });
  });
});
