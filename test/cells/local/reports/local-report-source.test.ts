import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localReportSource } from '../../../../cells/local/reports/local-report-source.js';
import { META_ROLLUP_RETAINED_FROM } from '../../../../cells/local/storage/retention.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import type { MonthlyReportData } from '../../../../consumers/reports/monthly-report.js';
import { endedStatuses } from '../../../../consumers/reports/monthly-report.js';
import { monthRange } from '../../../../consumers/reports/report-month.js';
import { generateMonthlyReport, type ReportRange } from '../../../../consumers/reports/report-source.js';
import {
  archiveEvent,
  enqueueMessage,
  openTestCellDb,
  type TestCellDb,
} from '../../../dashboards/support/cell-db.js';
import { reportMonthData } from './support/report-month-data.js';
import {
  referenceOpen,
  referencePaymentTerms,
  referencePosted,
  referenceReceived,
  referenceReconciliation,
  referenceStuck,
  type Window,
} from './support/report-reference.js';

// The proof of the local report source: a generated month written through the cell's real store
// (rollups, invoice state and reconciliation counters maintained by its write hooks) with late
// events, duplicates, replays and events on both sides of every month edge; each figure equals the
// raw SQL of `report-reference.ts` over the stored records, in UTC and in two other zones.

const SEED = 20_261_013;
const NOW = Date.parse('2026-11-20T08:00:00Z');
const [first, , , last] = CELL_TOPOLOGY.stages;
const ENDED = [...endedStatuses(CELL_TOPOLOGY.stages)];

function key(row: object): string {
  return JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

function sorted<T extends object>(rows: readonly T[]): string[] {
  return rows.map(key).sort();
}

function rangeOf(month: string, timeZone: string, nowMs = NOW): ReportRange {
  const { fromMs, toMs } = monthRange(month, timeZone);
  return { month, fromMs, toMs, asOfMs: Math.min(toMs, nowMs) };
}

function expectTruth(cell: TestCellDb, data: MonthlyReportData, range: ReportRange, openAsOfMs: number) {
  const w: Window = { fromMs: range.fromMs, toMs: range.toMs };
  expect(sorted(data.received)).toEqual(sorted(referenceReceived(cell.db, first?.name ?? '', w)));
  expect(sorted(data.posted)).toEqual(sorted(referencePosted(cell.db, last?.name ?? '', w)));
  expect(sorted(data.paymentTerms)).toEqual(sorted(referencePaymentTerms(cell.db, first?.name ?? '', w)));
  expect(sorted(data.open)).toEqual(sorted(referenceOpen(cell.db, ENDED, openAsOfMs)));
  expect(data.stuck).toEqual(referenceStuck(cell.db, CELL_TOPOLOGY, range.asOfMs));
  expect(data.reconciliation?.stages).toEqual(referenceReconciliation(cell.db, CELL_TOPOLOGY, w));
}

describe('localReportSource', () => {
  let cell: TestCellDb;
  const data = reportMonthData(SEED, 560);
  const source = () => localReportSource(cell.db, CELL_TOPOLOGY, { now: () => NOW });

  beforeAll(async () => {
    cell = openTestCellDb();
    const stageOf = new Map(CELL_TOPOLOGY.stages.map((s) => [s.name, s]));
    for (const r of [...data.records, ...data.unstored.map((u) => u.record)]) {
      archiveEvent(cell.db, {
        eventId: r.dimensions.eventId,
        invoiceId: r.dimensions.invoiceId,
        detailType: stageOf.get(r.dimensions.stage)?.detailType ?? '',
        receivedAtMs: r.measures.receivedAtMs,
      });
    }
    for (const { record: r, where } of data.unstored) {
      const stage = stageOf.get(r.dimensions.stage);
      if (!stage || where === 'lost') continue;
      enqueueMessage(cell.db, where === 'dlq' ? stage.ids.dlq : stage.ids.queue, {
        eventId: r.dimensions.eventId,
        invoiceId: r.dimensions.invoiceId,
        stage: stage.name,
        receivedAtMs: r.measures.receivedAtMs,
      });
    }
    for (const r of data.writes) await cell.write(r);
  });

  afterAll(() => {
    cell.close();
  });

  it('loads a small month with late events, duplicates, replays, edge events and unstored events', () => {
    // Assess
    const stored = cell.db.prepare('SELECT count(*) AS n FROM records').get() as { n: number };
    expect(stored.n).toBe(data.records.length);
    expect(data.writes.length).toBeLessThanOrEqual(3_000);
    expect(data.duplicates).toBeGreaterThan(100);
    expect(data.late).toBeGreaterThan(20);
    expect(data.nearEdges).toBeGreaterThan(50);
    expect(new Set(data.unstored.map((u) => u.where))).toEqual(new Set(['dlq', 'queue', 'lost']));
  });

  for (const timeZone of ['UTC', 'Europe/Paris', 'Asia/Kolkata']) {
    it(`reads every figure of October 2026 in ${timeZone} as the raw SQL over the records`, async () => {
      // Prepare
      const range = rangeOf('2026-10', timeZone);

      // Act
      const month = await source().readMonth(range);

      // Assess
      expectTruth(cell, month, range, range.toMs);
      expect(month.received.length).toBeGreaterThan(20);
      expect(month.open.length).toBeGreaterThan(5);
      expect(month.stuck.some((s) => s.invoices > 0)).toBe(true);
      expect(month.reconciliation?.complete).toBe(true);
      expect(month.reconciliation?.stages.some((s) => !s.balanced && s.missing > 0)).toBe(true);
      expect(month.notes).toEqual([]);
      for (const r of month.received) expect(month.vendorNames.get(r.vendorId)).toBe(`Vendor ${r.vendorId}`);
    });
  }

  it('reads the month so far as of now: open book to the as-of minute, stuck at now', async () => {
    // Prepare
    const nowMs = Date.parse('2026-11-10T12:34:56.789Z');
    const range = rangeOf('2026-11', 'Europe/Paris', nowMs);

    // Act
    const month = await source().readMonth(range);

    // Assess
    expect(range.asOfMs).toBe(nowMs);
    expectTruth(cell, month, range, Date.parse('2026-11-10T12:35:00Z'));
    expect(month.notes).toEqual([
      'value still open: read to the end of the as-of minute, 2026-11-10T12:35:00.000Z (rollups keep minutes)',
    ]);
  });

  it('reads the open book from the oldest day kept, without a note, once retention has pruned', async () => {
    // Prepare: retention kept minutes and hours from 2026-01-01 and days from 2016-12-03 (before any record).
    const range = rangeOf('2026-10', 'UTC');
    const before = await source().readMonth(range);
    const kept = {
      '1m': Date.parse('2026-01-01T00:00:00Z'),
      '1h': Date.parse('2026-01-01T00:00:00Z'),
      '1d': Date.parse('2016-12-03T00:00:00Z'),
    };
    cell.db
      .prepare('INSERT INTO meta (key, value) VALUES (?, ?)')
      .run(META_ROLLUP_RETAINED_FROM, JSON.stringify(kept));
    try {
      // Act
      const month = await source().readMonth(range);

      // Assess
      expect(month.notes).toEqual([]);
      expect(sorted(month.open)).toEqual(sorted(before.open));
    } finally {
      cell.db.prepare('DELETE FROM meta WHERE key = ?').run(META_ROLLUP_RETAINED_FROM);
    }
  });

  it('never counts a duplicate or replay twice: the report totals equal distinct invoices', async () => {
    // Act
    const report = await generateMonthlyReport(source(), {
      month: '2026-10',
      timeZone: 'UTC',
      cell: 'local',
      nowMs: NOW,
      topVendors: 5,
    });

    // Assess
    const w = rangeOf('2026-10', 'UTC');
    const truth = referenceReceived(cell.db, first?.name ?? '', w);
    for (const c of report.currencies) {
      const rows = truth.filter((r) => r.currency === c.currency);
      expect(c.received.invoices).toBe(rows.reduce((n, r) => n + r.invoices, 0));
      expect(c.received.value.minor).toBe(rows.reduce((n, r) => n + BigInt(r.minor ?? 0), 0n).toString());
      expect(c.vendors.top.length).toBeLessThanOrEqual(5);
      const shown = c.vendors.top.reduce((n, v) => n + v.invoices, 0);
      expect(shown + c.vendors.other.invoices).toBe(c.received.invoices);
    }
    expect(report.currencies.map((c) => c.currency)).toEqual(['EUR', 'JPY', 'USD']);
  });
});
