import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRecordsSql } from '../../../../cells/local/monitoring/records-sql.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { binForRange } from '../../../../dashboards/panels/bin-for-range.js';
import {
  type Panel,
  type RecordsQuery,
  TIME_BINS,
  type TimeBin,
} from '../../../../dashboards/panels/panel-types.js';
import { rollupDashboards } from '../../../../dashboards/panels/report-panels.js';
import { renderLocalSql } from '../../../../dashboards/renderers/local-sql.js';
import {
  postgresqlRecordsRows,
  postgresqlSlaRow,
} from '../../../../dashboards/renderers/postgresql-panel-rows.js';
import { renderPostgresqlSql } from '../../../../dashboards/renderers/postgresql-sql.js';
import type { RecordsPanelRow } from '../../../../schemas/api/index.js';
import { BASE_MS, DAY } from '../../rollups/support/random-records.js';
import { MAIN_CELL, panelRecords } from './support/panel-records.js';
import { openTwinStores, type TwinStores } from './support/twin-stores.js';

// The proof that the PostgreSQL rendering answers what the SQLite reference answers: the same
// records in both engines, every `records` panel of every dashboard and of the hidden report set
// run over several windows (and every bin a chart may pick), for all cells and for one, and the
// `sla` panel at several times; rows compared whole (bins, groups, vendor names, values, money as
// exact strings) and in order.

const HOUR = 3_600_000;
const MINUTE = 60_000;
const WINDOWS: readonly (readonly [string, number, number])[] = [
  ['everything', BASE_MS - 20 * DAY, BASE_MS + 60 * DAY],
  ['7 days odd edges', BASE_MS + 3 * DAY + 17 * MINUTE + 7, BASE_MS + 10 * DAY + 5 * HOUR + 3 * MINUTE],
  ['51 minutes', BASE_MS + 20 * DAY + 7 * HOUR + 11 * MINUTE, BASE_MS + 20 * DAY + 8 * HOUR + 2 * MINUTE],
  ['across midnight', BASE_MS + DAY + 23 * HOUR + 58 * MINUTE, BASE_MS + 2 * DAY + 3 * MINUTE],
  ['30 days', BASE_MS + 4 * DAY + 2 * HOUR + 5 * MINUTE, BASE_MS + 34 * DAY + 2 * HOUR + 5 * MINUTE],
];
const CELLS: readonly (string | undefined)[] = [undefined, MAIN_CELL];
const MAX_POINTS = 5_000;

const panels = rollupDashboards(CELL_TOPOLOGY)
  .flatMap((set) => set.panels)
  .filter((p): p is Panel & { query: RecordsQuery } => p.query.source === 'records');

/** Queries valid under the panel rules that the dashboards do not (yet) use. */
const AD_HOC: readonly RecordsQuery[] = [
  {
    source: 'records',
    measure: 'events',
    aggregation: 'count',
    groupBy: ['currency'],
    filters: { stage: 'posting', status: 'POSTED' },
  },
  { source: 'records', measure: 'paymentTermsDays', aggregation: 'p95', groupBy: [] },
  { source: 'records', measure: 'latency', aggregation: 'avg', groupBy: ['stage'], timeBin: '1h' },
  {
    source: 'records',
    measure: 'dueAmount',
    aggregation: 'sum',
    groupBy: ['stage', 'currency'],
    timeBin: '1w',
    timeField: 'dueDate',
  },
  {
    source: 'records',
    measure: 'events',
    aggregation: 'count',
    groupBy: ['vendorId'],
    filters: { cell: MAIN_CELL },
    distinctInvoices: true,
  },
  {
    source: 'records',
    measure: 'paymentTermsDays',
    aggregation: 'p50',
    groupBy: ['stage', 'status'],
    timeBin: '1d',
    distinctInvoices: true,
  },
];

/** The bins to run a panel with over a window: declared, the chart's pick, and every other that fits. */
function binsFor(query: RecordsQuery, spanMs: number): (TimeBin | undefined)[] {
  if (!query.timeBin) return [undefined];
  if (query.timeField === 'dueDate') return [query.timeBin, '1d'];
  const all = Object.keys(TIME_BINS) as TimeBin[];
  const wanted = new Set<TimeBin>([query.timeBin, binForRange(query.timeBin, spanMs), ...all]);
  return [...wanted].filter((bin) => spanMs / TIME_BINS[bin] <= MAX_POINTS);
}

describe('renderPostgresqlSql on PostgreSQL equals renderLocalSql on SQLite', () => {
  let twin: TwinStores;
  const compared = new Map<string, number>();
  let runs = 0;
  let largestSum = 0n;

  beforeAll(async () => {
    twin = await openTwinStores(panelRecords(7, 450).records);
  }, 120_000);

  afterAll(async () => {
    await twin?.close();
  });

  async function pgRows(query: RecordsQuery, fromMs: number, toMs: number, cell?: string) {
    const { sql, params } = renderPostgresqlSql(query, CELL_TOPOLOGY);
    const rows = await twin.pg.rows(sql, { cell: cell ?? null, ...params, from_ms: fromMs, to_ms: toMs });
    return postgresqlRecordsRows(query, rows);
  }

  function sqliteRows(query: RecordsQuery, fromMs: number, toMs: number, cell?: string): RecordsPanelRow[] {
    return runRecordsSql(twin.sqlite.db, query, {
      fromMs,
      toMs,
      topology: CELL_TOPOLOGY,
      ...(cell !== undefined ? { cell } : {}),
    });
  }

  it.each(panels.map((p) => [p.id, p] as const))(
    'answers panel %s with the same rows',
    async (_id, panel) => {
      let rowsCompared = 0;
      for (const [name, fromMs, toMs] of WINDOWS) {
        for (const timeBin of binsFor(panel.query, toMs - fromMs)) {
          for (const cell of CELLS) {
            // Prepare
            const query: RecordsQuery = { ...panel.query, ...(timeBin ? { timeBin } : {}) };
            const context = `${name}, bin ${timeBin ?? 'none'}, cell ${cell ?? 'any'}`;

            // Act
            const expected = sqliteRows(query, fromMs, toMs, cell);
            const actual = await pgRows(query, fromMs, toMs, cell);

            // Assess
            expect(actual, context).toEqual(expected);
            rowsCompared += expected.length;
            runs++;
            for (const row of actual) {
              const minor = row.amountMinor === undefined ? 0n : BigInt(row.amountMinor);
              if (minor > largestSum) largestSum = minor;
            }
          }
        }
      }
      compared.set(panel.id, rowsCompared);
      expect(rowsCompared).toBeGreaterThan(0);
    },
  );

  it.each(AD_HOC.map((q, i) => [i, q] as const))(
    'answers query %i that no panel asks in the same way (filters, no groups, other measures)',
    async (_i, query) => {
      let rowsCompared = 0;
      for (const [name, fromMs, toMs] of WINDOWS) {
        for (const cell of CELLS) {
          // Act
          const expected = sqliteRows(query, fromMs, toMs, cell);
          const actual = await pgRows(query, fromMs, toMs, cell);

          // Assess
          expect(actual, `${name}, cell ${cell ?? 'any'}`).toEqual(expected);
          rowsCompared += expected.length;
        }
      }
      expect(rowsCompared).toBeGreaterThan(0);
    },
  );

  it('answers the sla panel with the same counts and attainment', async () => {
    const { sql: localSql } = renderLocalSql({ source: 'sla' }, CELL_TOPOLOGY);
    const { sql } = renderPostgresqlSql({ source: 'sla' }, CELL_TOPOLOGY);
    const nows = [BASE_MS + 5 * DAY + 3 * HOUR, BASE_MS + 25 * DAY, BASE_MS + 90 * DAY];
    let rowsCompared = 0;
    for (const [name, fromMs, toMs] of WINDOWS) {
      for (const nowMs of nows) {
        for (const cell of CELLS) {
          // Prepare
          const bound = { fromMs, toMs, nowMs, cell: cell ?? null };

          // Act
          const expected = twin.sqlite.db.prepare(localSql).all(bound);
          const actual = (
            await twin.pg.rows(sql, { from_ms: fromMs, to_ms: toMs, now_ms: nowMs, cell: cell ?? null })
          ).map(postgresqlSlaRow);

          // Assess
          expect(actual, `${name}, now ${nowMs}, cell ${cell ?? 'any'}`).toEqual(expected);
          rowsCompared += expected.length;
          runs++;
        }
      }
    }
    compared.set('exec-sla-attainment', rowsCompared);
    expect(rowsCompared).toBeGreaterThan(0);
  });

  it('compared rows for every records panel and the sla panel', () => {
    // Runs last: the panels above recorded how many rows they compared.
    expect([...compared.keys()].sort()).toEqual([...panels.map((p) => p.id), 'exec-sla-attainment'].sort());
    // Money sums past the int64 range came back exact (as numeric strings, never floats).
    expect(largestSum).toBeGreaterThan(2n ** 63n);
    process.stdout.write(
      `postgresql panel equivalence, ${runs} runs per engine, rows compared: ${JSON.stringify(Object.fromEntries(compared))}\n`,
    );
  });
});
