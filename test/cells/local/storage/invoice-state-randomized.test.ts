import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StuckReport } from '../../../../cells/local/monitoring/stuck-answer.js';
import {
  type LatestByInvoiceRow,
  localLatestByInvoiceSql,
} from '../../../../cells/local/storage/monitoring-queries.js';
import { readSlaRollups } from '../../../../cells/local/storage/sla-rollup-reader.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import type { SlaCounts } from '../../../../consumers/monitoring/sla-outcome.js';
import {
  countStuckByStage,
  findStuckInvoices,
  latestFromRows,
  type StuckInvoice,
} from '../../../../consumers/monitoring/stuck.js';
import type { InvoiceRecord } from '../../../../consumers/record.js';
import { renderLocalSql } from '../../../../dashboards/renderers/local-sql.js';
import { openTestCellDb, type TestCellDb } from '../../../dashboards/support/cell-db.js';
import { BASE_MS, DAY, HOUR, randomLifecycles, SPAN_DAYS } from './support/invoice-lifecycles.js';

// The proof of the invoice state and SLA tables: for a random set of lifecycles (late events,
// duplicates, terminal statuses, skipped stages, shuffled arrival) written through the cell's
// record store (createRecordStore, so through the hooks), `/stuck` read from the deadline index
// equals `findStuckInvoices` over the raw latest-by-invoice scan of all history, and the `sla`
// panel read from the SLA rollups equals the raw reference SQL, at several times and windows; and
// the tables do not depend on the order records arrived in.

const MINUTE = 60_000;
const LOOKBACK_SEC = 7 * 86_400;
const ALL_HISTORY = -1e15;
const NOWS = [
  BASE_MS + DAY + 7 * HOUR + 13 * MINUTE + 456,
  BASE_MS + 4 * DAY + 15 * MINUTE,
  BASE_MS + 6 * DAY + 23 * HOUR + 59 * MINUTE + 59_999,
  BASE_MS + (SPAN_DAYS + 2) * DAY,
  BASE_MS + (SPAN_DAYS + 9) * DAY + 3 * HOUR,
];
const WINDOWS: readonly (readonly [string, number, number])[] = [
  ['everything', BASE_MS - 30 * DAY, BASE_MS + 60 * DAY],
  [
    'odd edges',
    BASE_MS + 2 * DAY + 3 * HOUR + 17 * MINUTE + 5,
    BASE_MS + 5 * DAY + 11 * HOUR + 2 * MINUTE + 9,
  ],
  ['49 minutes', BASE_MS + 3 * DAY + 7 * HOUR + 11 * MINUTE, BASE_MS + 3 * DAY + 8 * HOUR],
  ['one day', BASE_MS + 8 * DAY, BASE_MS + 9 * DAY],
];

async function writeAll(cell: TestCellDb, records: readonly InvoiceRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 50) {
    cell.clock.set(BASE_MS + i);
    const { rejected } = await cell.store.writeRecords(records.slice(i, i + 50));
    expect(rejected).toEqual([]);
  }
}

function rawStuck(cell: TestCellDb, nowMs: number, lookbackSec: number): StuckInvoice[] {
  const rows = cell.db
    .prepare<{ fromMs: number; cell: null }, LatestByInvoiceRow>(localLatestByInvoiceSql(CELL_TOPOLOGY))
    .all({ fromMs: ALL_HISTORY, cell: null });
  return findStuckInvoices(latestFromRows(rows), CELL_TOPOLOGY, nowMs).filter(
    (s) => s.enteredAtMs >= nowMs - lookbackSec * 1000,
  );
}

function rawSla(cell: TestCellDb, fromMs: number, toMs: number, nowMs: number): SlaCounts[] {
  const { sql } = renderLocalSql({ source: 'sla' }, CELL_TOPOLOGY);
  type Row = Omit<SlaCounts, 'stage'> & { stage: string };
  const rows = cell.db.prepare<object, Row>(sql).all({ cell: null, fromMs, toMs, nowMs });
  const byStage = new Map(rows.map((r) => [r.stage, r]));
  return CELL_TOPOLOGY.stages
    .filter((s) => s.slaSec > 0)
    .map((s) => {
      const r = byStage.get(s.name);
      return {
        stage: s.name,
        met: r?.met ?? 0,
        missed: r?.missed ?? 0,
        pending: r?.pending ?? 0,
        ended: r?.ended ?? 0,
        value: r?.value ?? null,
      };
    });
}

function tables(cell: TestCellDb): unknown[] {
  return [
    cell.db.prepare('SELECT * FROM invoice_state ORDER BY invoice_id').all(),
    cell.db.prepare('SELECT * FROM sla_entries ORDER BY invoice_id, stage_order').all(),
    cell.db.prepare('SELECT * FROM sla_bins ORDER BY tier, stage_order, bin_start_ms').all(),
  ];
}

describe.each([11, 2026])('invoice state and SLA rollups, seed %i', (seed) => {
  let cell: TestCellDb;
  let arrivals: InvoiceRecord[];

  beforeAll(async () => {
    arrivals = randomLifecycles(seed, 600);
    cell = openTestCellDb();
    await writeAll(cell, arrivals);
  });

  afterAll(() => {
    cell?.close();
  });

  it('lists the same stuck invoices as findStuckInvoices over the raw latest state, at every time', () => {
    // Prepare
    const report = new StuckReport(cell.db, CELL_TOPOLOGY, LOOKBACK_SEC);
    const forever = new StuckReport(cell.db, CELL_TOPOLOGY, 3_650 * 86_400);
    let listed = 0;

    for (const nowMs of NOWS) {
      // Act
      const fromTable = report.invoices(nowMs, undefined, 1_000_000);
      const allHistory = forever.invoices(nowMs, undefined, 1_000_000);

      // Assess
      const expected = rawStuck(cell, nowMs, LOOKBACK_SEC);
      expect(fromTable, `now ${nowMs}`).toEqual(expected);
      expect(allHistory, `now ${nowMs}, no look-back`).toEqual(rawStuck(cell, nowMs, 3_650 * 86_400));
      expect(report.counts(nowMs)).toEqual(countStuckByStage(expected, CELL_TOPOLOGY));
      listed += fromTable.length;
    }
    // The data exercise the comparison: stuck invoices exist, and the look-back leaves some out.
    expect(listed).toBeGreaterThan(50);
    expect(forever.invoices(NOWS[4] as number).length).toBeGreaterThan(
      report.invoices(NOWS[4] as number).length,
    );
  });

  it('reads the sla panel from the rollups as the raw reference SQL computes it, for every window', () => {
    let judged = 0;
    for (const nowMs of NOWS) {
      for (const [name, fromMs, toMs] of WINDOWS) {
        // Act
        const read = readSlaRollups(cell.db, CELL_TOPOLOGY, { fromMs, toMs, nowMs });

        // Assess: the rollups answer for the window snapped to minute bins.
        expect(read.fromMs).toBe(Math.floor(fromMs / MINUTE) * MINUTE);
        expect(read.toMs).toBe(Math.ceil(toMs / MINUTE) * MINUTE);
        expect(read.rows, `${name} at ${nowMs}`).toEqual(rawSla(cell, read.fromMs, read.toMs, nowMs));
        judged += read.rows.reduce((n, r) => n + r.met + r.missed, 0);
      }
    }
    const everything = readSlaRollups(cell.db, CELL_TOPOLOGY, {
      fromMs: BASE_MS - 30 * DAY,
      toMs: BASE_MS + 60 * DAY,
      nowMs: NOWS[2] as number,
    });
    // Every outcome occurs in the data.
    for (const outcome of ['met', 'missed', 'pending', 'ended'] as const) {
      expect(
        everything.rows.some((r) => r[outcome] > 0),
        outcome,
      ).toBe(true);
    }
    expect(judged).toBeGreaterThan(0);
  });

  it('holds the same tables whatever order the records arrived in', async () => {
    // Prepare
    const reversed = openTestCellDb();
    try {
      // Act
      await writeAll(reversed, [...arrivals].reverse());

      // Assess
      expect(tables(reversed)).toEqual(tables(cell));
    } finally {
      reversed.close();
    }
  });
});
