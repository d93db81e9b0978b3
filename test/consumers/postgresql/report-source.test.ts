import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localReportSource } from '../../../cells/local/reports/local-report-source.js';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { PostgresReportSource, REPORT_SNAPSHOT_SQL } from '../../../consumers/postgresql/report-source.js';
import type { InvoiceRecord } from '../../../consumers/record.js';
import { buildMonthlyReport, type MonthlyReportData } from '../../../consumers/reports/monthly-report.js';
import { REPORT_FORMATS, renderReport } from '../../../consumers/reports/render-report.js';
import { monthRange } from '../../../consumers/reports/report-month.js';
import type { ReportRange } from '../../../consumers/reports/report-source.js';
import { invoiceRecordOf } from '../../cells/local/storage/support/rollup-load.js';
import { randomStream } from '../../dashboards/rollups/support/random-records.js';
import { openTestCellDb, type TestCellDb } from '../../dashboards/support/cell-db.js';
import { openTestPgStore, type TestPgStore } from './support/pg-store.js';

/**
 * The Aurora report source gives `buildMonthlyReport` the same data as the local cell's source: one
 * generated load (duplicates and replays included) is written through the SQLite cell store and
 * through `PostgresStore` on PGlite with the same stored-at times, and every month asked, in
 * several zones, gives the same report — figures, vendor names, money exact, in every rendering.
 * One part is not the store's and is set alike on both sides: the reconciliation (on AWS it comes
 * from CloudWatch, not from the database).
 */

const SEED = 7;
const INVOICES = 120;

const RECONCILIATION: MonthlyReportData['reconciliation'] = {
  complete: true,
  stages: [
    {
      stage: 'ingestion',
      accepted: 3,
      stored: 3,
      inDlqNow: 0,
      inFlightNow: 0,
      missing: 0,
      unexpected: 0,
      balanced: true,
    },
  ],
};

/** Arrivals without same-eventId-other-values records (SQLite and PostgreSQL key them differently). */
function arrivals(): InvoiceRecord[] {
  const first = new Map<string, string>();
  return randomStream(SEED, INVOICES)
    .arrivals.map(invoiceRecordOf)
    .filter((r) => {
      const values = JSON.stringify(r);
      const known = first.get(r.dimensions.eventId);
      if (known === undefined) first.set(r.dimensions.eventId, values);
      return known === undefined || known === values;
    });
}

async function loadBoth(sqlite: TestCellDb, pg: TestPgStore): Promise<number> {
  const records = arrivals();
  for (let i = 0; i < records.length; i += 7) {
    const batch = records.slice(i, i + 7);
    const storedAtMs = (batch[0]?.measures.receivedAtMs ?? 0) + (i % 5) * 1_000;
    sqlite.clock.set(storedAtMs);
    pg.clock.set(storedAtMs);
    const [local, aurora] = await Promise.all([
      sqlite.store.writeRecords(batch),
      pg.store.writeRecords(batch),
    ]);
    expect(aurora).toEqual(local);
    expect(local.rejected).toEqual([]);
  }
  return records.length;
}

/** The local data with what is not the store's set as the Aurora source sets it. */
function comparable(local: MonthlyReportData): MonthlyReportData {
  const storeNotes = local.notes.filter((n) => !n.startsWith('reconciliation'));
  return {
    ...local,
    reconciliation: RECONCILIATION,
    notes: storeNotes,
  };
}

describe('PostgresReportSource', () => {
  let pg: TestPgStore;
  let sqlite: TestCellDb;
  let written = 0;

  beforeAll(async () => {
    pg = await openTestPgStore();
    sqlite = openTestCellDb();
    written = await loadBoth(sqlite, pg);
  }, 120_000);

  afterAll(async () => {
    sqlite.close();
    await pg.close();
  });

  describe('readMonth', () => {
    const cases = [
      // A whole month, and a month so far as of a time off the minute (the open book reads to its end).
      { zone: 'UTC', month: '2026-01', nowMs: Date.parse('2026-03-01T00:00:00Z') },
      { zone: 'UTC', month: '2026-02', nowMs: Date.parse('2026-02-09T13:37:12.345Z') },
      { zone: 'Asia/Kolkata', month: '2026-01', nowMs: Date.parse('2026-03-01T00:00:00Z') },
      { zone: 'Asia/Kolkata', month: '2026-02', nowMs: Date.parse('2026-02-11T05:01:00.001Z') },
      { zone: 'America/Los_Angeles', month: '2026-01', nowMs: Date.parse('2026-03-01T00:00:00Z') },
    ];

    it.each(cases)('gives the local source’s report for $month in $zone as of $nowMs', async (c) => {
      // Prepare
      const { fromMs, toMs } = monthRange(c.month, c.zone);
      const range: ReportRange = { month: c.month, fromMs, toMs, asOfMs: Math.min(toMs, c.nowMs) };
      const meta = {
        month: c.month,
        timeZone: c.zone,
        cell: 'c1',
        fromMs,
        toMs,
        asOfMs: range.asOfMs,
        generatedAtMs: c.nowMs,
      };
      const source = new PostgresReportSource({
        executor: pg.executor,
        topology: CELL_TOPOLOGY,
        reconciler: { read: async () => ({ reconciliation: RECONCILIATION, notes: [] }) },
      });

      // Act
      const local = await localReportSource(sqlite.db, CELL_TOPOLOGY, { now: () => c.nowMs }).readMonth(
        range,
      );
      const aurora = await source.readMonth(range);

      // Assess: the data, then every rendering of the report built from it.
      const expected = comparable(local);
      expect(aurora).toEqual(expected);
      for (const format of REPORT_FORMATS) {
        expect(renderReport(buildMonthlyReport(aurora, meta), format)).toBe(
          renderReport(buildMonthlyReport(expected, meta), format),
        );
      }
      // The month is far from empty: several currencies, money past 2^53 would still be exact (bigint).
      expect(written).toBeGreaterThan(400);
      expect(aurora.received.length).toBeGreaterThan(10);
      expect(new Set(aurora.received.map((r) => r.currency)).size).toBeGreaterThan(2);
      expect(aurora.posted.length).toBeGreaterThan(0);
      expect(aurora.open.length).toBeGreaterThan(0);
      expect(aurora.received.every((r) => typeof r.minor === 'bigint')).toBe(true);
      expect(local.vendorNames.size).toBeGreaterThan(0);
    });

    it('reads every figure in one read-only repeatable-read transaction and never reads records', async () => {
      // Prepare
      pg.executor.statements.length = 0;
      const { fromMs, toMs } = monthRange('2026-01', 'UTC');
      const source = new PostgresReportSource({
        executor: pg.executor,
        topology: CELL_TOPOLOGY,
        reconciler: { read: async () => ({ reconciliation: RECONCILIATION, notes: ['r'] }) },
      });

      // Act
      const data = await source.readMonth({ month: '2026-01', fromMs, toMs, asOfMs: toMs });

      // Assess
      const sql = pg.executor.statements.map((s) => s.sql);
      expect(sql[0]).toBe(REPORT_SNAPSHOT_SQL);
      expect(sql.some((s) => /\bFROM records\b/.test(s))).toBe(false);
      expect(sql.filter((s) => /FROM rollup_rows/.test(s)).length).toBeGreaterThan(3);
      expect(sql.some((s) => /FROM invoice_state/.test(s))).toBe(true);
      expect(data.notes).toEqual(['r']);
      expect(data.reconciliation).toBe(RECONCILIATION);
    });
  });
});
