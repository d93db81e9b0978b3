import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localLatestByInvoiceSql } from '../../../../cells/local/storage/monitoring-queries.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { sortTimeline } from '../../../../consumers/aws/timestream-record-queries.js';
import { binStartOf } from '../../../../consumers/monitoring/reconcile-bins.js';
import {
  findStuckInvoices,
  type LatestByInvoiceRow,
  latestFromRows,
} from '../../../../consumers/monitoring/stuck.js';
import { postgresqlLatestByInvoiceSql } from '../../../../consumers/postgresql/queries/latest-by-invoice-sql.js';
import { postgresqlReconcileStoredSql } from '../../../../consumers/postgresql/queries/reconcile-stored-sql.js';
import {
  type PostgresqlTimelineRow,
  postgresqlTimelineSql,
  timelineRecordOf,
} from '../../../../consumers/postgresql/queries/timeline-sql.js';
import { randomLifecycles } from '../../../cells/local/storage/support/invoice-lifecycles.js';
import { MAIN_CELL, panelRecords } from '../../../dashboards/renderers/postgresql/support/panel-records.js';
import {
  openTwinStores,
  type StoredInvoiceRecord,
  type TwinStores,
} from '../../../dashboards/renderers/postgresql/support/twin-stores.js';
import { BASE_MS, DAY } from '../../../dashboards/rollups/support/random-records.js';

// The Aurora store's monitoring reads against the local cell's on the same records: the
// latest-by-invoice rows (and so the stuck invoices, with and without `overdueOnly`), the stored
// counts per reconcile bin, and every invoice's timeline. Two data sets in one store: the panel
// records (two cells, late events, money past 2^63) and the SLA lifecycles (terminal statuses,
// skipped stages, moves exactly at the SLA, equal times).

const HOUR = 3_600_000;
const MINUTE = 60_000;
const ALL_HISTORY = -1e15;
/** Monday 2026-11-16, where `randomLifecycles` starts. */
const LIFECYCLES_MS = Date.UTC(2026, 10, 16);

function lifecycleRecords(): StoredInvoiceRecord[] {
  const seen = new Set<string>();
  return randomLifecycles(11, 500)
    .filter((r) => !seen.has(r.dimensions.eventId) && seen.add(r.dimensions.eventId))
    .map((record, i) => ({ record, storedAtMs: record.measures.receivedAtMs + (i % 7) * 1_000 }));
}

const records = [...panelRecords(3, 250).records, ...lifecycleRecords()];

/** A window from one record's received time to a later one's, both inside (not at) their minute. */
function edgesThroughBins(): [number, number] {
  const inside = records
    .map((r) => r.record.measures.receivedAtMs)
    .filter((ms) => ms % MINUTE !== 0)
    .sort((a, b) => a - b);
  return [inside[Math.floor(inside.length / 4)] as number, inside[Math.floor(inside.length / 2)] as number];
}

describe('PostgreSQL monitoring queries equal the local cell on the same records', () => {
  let twin: TwinStores;

  beforeAll(async () => {
    twin = await openTwinStores(records);
  }, 120_000);

  afterAll(async () => {
    await twin?.close();
  });

  function sqliteLatest(fromMs: number, cell: string | null): LatestByInvoiceRow[] {
    return twin.sqlite.db
      .prepare<{ fromMs: number; cell: string | null }, LatestByInvoiceRow>(
        localLatestByInvoiceSql(CELL_TOPOLOGY),
      )
      .all({ fromMs, cell });
  }

  async function pgLatest(
    fromMs: number,
    cell: string | null,
    nowMs?: number,
  ): Promise<LatestByInvoiceRow[]> {
    const { sql } = postgresqlLatestByInvoiceSql(CELL_TOPOLOGY, { overdueOnly: nowMs !== undefined });
    const rows = await twin.pg.rows<LatestByInvoiceRow>(sql, {
      from_ms: fromMs,
      cell,
      ...(nowMs !== undefined ? { now_ms: nowMs } : {}),
    });
    return rows.map((r) => ({ ...r, time_ms: Number(r.time_ms) }));
  }

  describe('postgresqlLatestByInvoiceSql', () => {
    const looks: readonly (readonly [string, number, string | null])[] = [
      ['all history', ALL_HISTORY, null],
      ['since a day inside the lifecycles', LIFECYCLES_MS + 4 * DAY + 7 * HOUR, null],
      ['one cell', ALL_HISTORY, MAIN_CELL],
      ['one cell since a late start', BASE_MS + 12 * DAY, MAIN_CELL],
    ];

    it.each(looks)('returns the same rows in the same order (%s)', async (_name, fromMs, cell) => {
      // Act
      const expected = sqliteLatest(fromMs, cell);
      const actual = await pgLatest(fromMs, cell);

      // Assess
      expect(actual).toEqual(expected);
      expect(actual.length).toBeGreaterThan(0);
    });

    it('lists the same stuck invoices at every time, with overdueOnly returning only those', async () => {
      // Prepare
      const nows = [
        LIFECYCLES_MS + DAY + 7 * HOUR + 13 * MINUTE + 456,
        LIFECYCLES_MS + 6 * DAY + 23 * HOUR,
        LIFECYCLES_MS + 12 * DAY,
        BASE_MS + 15 * DAY,
      ];
      let listed = 0;
      for (const nowMs of nows) {
        // Act
        const expected = findStuckInvoices(
          latestFromRows(sqliteLatest(ALL_HISTORY, null)),
          CELL_TOPOLOGY,
          nowMs,
        );
        const overdue = await pgLatest(ALL_HISTORY, null, nowMs);
        const fromOverdue = findStuckInvoices(latestFromRows(overdue), CELL_TOPOLOGY, nowMs);

        // Assess
        expect(fromOverdue).toEqual(expected);
        expect(overdue.map((r) => r.invoice_id).sort()).toEqual(expected.map((s) => s.invoiceId).sort());
        listed += expected.length;
      }
      expect(listed).toBeGreaterThan(0);
    });
  });

  describe('postgresqlReconcileStoredSql', () => {
    type StoredRow = { bin_start_ms: number; stage: string; stored: number };

    function expectedBins(fromMs: number, toMs: number, cell: string | null): StoredRow[] {
      const bins = new Map<string, StoredRow & { order: number }>();
      for (const { record } of records) {
        if (cell !== null && record.dimensions.cell !== cell) continue;
        const binStartMs = binStartOf(record.measures.receivedAtMs);
        if (binStartMs < fromMs || binStartMs >= toMs) continue;
        const stage = record.dimensions.stage;
        const key = `${binStartMs}|${stage}`;
        const order = CELL_TOPOLOGY.stages.findIndex((s) => s.name === stage);
        const bin = bins.get(key) ?? { bin_start_ms: binStartMs, stage, stored: 0, order };
        bin.stored++;
        bins.set(key, bin);
      }
      return [...bins.values()]
        .sort((a, b) => a.bin_start_ms - b.bin_start_ms || a.order - b.order)
        .map(({ order: _order, ...row }) => row);
    }

    async function pgBins(fromMs: number, toMs: number, cell: string | null): Promise<StoredRow[]> {
      const rows = await twin.pg.rows<StoredRow>(postgresqlReconcileStoredSql().sql, {
        from_ms: fromMs,
        to_ms: toMs,
        cell,
      });
      return rows.map((r) => ({
        bin_start_ms: Number(r.bin_start_ms),
        stage: r.stage,
        stored: Number(r.stored),
      }));
    }

    const windows: readonly (readonly [string, number, number])[] = [
      ['everything', BASE_MS - 20 * DAY, LIFECYCLES_MS + 60 * DAY],
      ['whole minutes', BASE_MS + 3 * DAY + 7 * MINUTE, BASE_MS + 9 * DAY + 11 * MINUTE],
      ['odd edges', LIFECYCLES_MS + 2 * DAY + 17 * MINUTE + 5, LIFECYCLES_MS + 5 * DAY + 3 * MINUTE + 59_999],
      // Edges inside bins that hold records: the first bin is left out, the last one counted whole.
      ['edges through bins', ...edgesThroughBins()],
    ];

    it.each(windows)(
      'counts what the SQLite reconcile_bins counters hold (%s)',
      async (_name, fromMs, toMs) => {
        // Act
        const counters = twin.sqlite.db
          .prepare<[number, number], StoredRow>(
            `SELECT bin_start_ms, stage, stored FROM reconcile_bins
           WHERE stored > 0 AND bin_start_ms >= ? AND bin_start_ms < ?`,
          )
          .all(fromMs, toMs);
        const actual = await pgBins(fromMs, toMs, null);

        // Assess
        const key = (r: StoredRow) => `${r.bin_start_ms}|${r.stage}|${r.stored}`;
        expect(actual.map(key).sort()).toEqual(counters.map(key).sort());
        expect(actual).toEqual(expectedBins(fromMs, toMs, null));
        expect(actual.length).toBeGreaterThan(0);
      },
    );

    it('counts one cell only when asked', async () => {
      // Prepare
      const [, fromMs, toMs] = windows[0] as readonly [string, number, number];

      // Act
      const actual = await pgBins(fromMs, toMs, MAIN_CELL);

      // Assess
      expect(actual).toEqual(expectedBins(fromMs, toMs, MAIN_CELL));
      expect(actual.reduce((n, r) => n + r.stored, 0)).toBeLessThan(records.length);
    });
  });

  describe('postgresqlTimelineSql', () => {
    it("returns every invoice's records in lifecycle order, as sortTimeline orders the SQLite store's", async () => {
      // Prepare
      const invoiceIds = [...new Set(records.map((r) => r.record.dimensions.invoiceId))];
      let compared = 0;

      for (const invoiceId of invoiceIds) {
        // Act
        const { sql, params } = postgresqlTimelineSql(invoiceId);
        const actual = (await twin.pg.rows<PostgresqlTimelineRow>(sql, params)).map(timelineRecordOf);
        const stored = await twin.sqlite.store.timeline(invoiceId);

        // Assess
        expect(actual, invoiceId).toEqual(sortTimeline(stored, CELL_TOPOLOGY));
        compared += actual.length;
      }
      expect(compared).toBe(records.length);
    });

    it('binds the invoice id, so a quote in it is data', async () => {
      // Act
      const { sql, params } = postgresqlTimelineSql("INV-1' OR '1' = '1");

      // Assess
      expect(await twin.pg.rows(sql, params)).toEqual([]);
    });
  });
});
