import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LocalRecordsResult,
  RecordsPanelError,
  runLocalPanel,
} from '../../../../cells/local/monitoring/panel-runner.js';
import { runRecordsSql } from '../../../../cells/local/monitoring/records-sql.js';
import { CELL_TOPOLOGY, type StageName } from '../../../../cells/topology.js';
import type { Panel, RecordsQuery } from '../../../../dashboards/panels/panel-types.js';
import { buildDashboards } from '../../../../dashboards/panels/panels.js';
import { bucketBounds, bucketOf } from '../../../../dashboards/rollups/histogram.js';
import type { RecordsPanelRow } from '../../../../schemas/api/index.js';
import { BASE_MS, DAY, randomStream } from '../../../dashboards/rollups/support/random-records.js';
import { openTestCellDb, type TestCellDb } from '../../../dashboards/support/cell-db.js';
import { type LoadStats, loadStream } from './support/rollup-load.js';

// The proof of the rollup store: a random load (many invoices, currencies, vendors, late events,
// duplicates, replays, redeliveries, poison records) written through the cell's real store, then
// every records panel of every dashboard read from the rollups equals the same panel computed by
// the raw-scan SQL over the stored records, for 24 h, 7 d, 30 d and odd windows, with and without
// a stage filter.

const MINUTE = 60_000;
const HOUR = 3_600_000;
const SECOND = 1_000;
const dashboards = buildDashboards(CELL_TOPOLOGY);
const panels = dashboards.flatMap((d) => d.panels).filter((p) => p.query.source === 'records');
const SEED = 20_261_130;

/** [name, fromMs, toMs]: around the middle of the data (the stream spans 40 days from BASE_MS). */
const END = BASE_MS + 31 * DAY + 7 * HOUR + 23 * MINUTE;
const WINDOWS: readonly (readonly [string, number, number])[] = [
  ['24 h', END - DAY, END],
  ['7 d', END - 7 * DAY, END],
  ['30 d', END - 30 * DAY, END],
  [
    '51 minutes, odd minute edges',
    BASE_MS + 20 * DAY + 7 * HOUR + 11 * MINUTE,
    BASE_MS + 20 * DAY + 8 * HOUR + 2 * MINUTE,
  ],
  [
    '9 h 47 min, second edges',
    BASE_MS + 12 * DAY + 3 * HOUR + 13 * SECOND,
    BASE_MS + 12 * DAY + 13 * HOUR - 47 * SECOND,
  ],
];

function recordsOf(result: ReturnType<typeof runLocalPanel>): LocalRecordsResult {
  if (result.source !== 'records') throw new Error(`expected records, got ${result.source}`);
  return result;
}

function rowKey(row: RecordsPanelRow): string {
  const { value: _value, amountMinor: _amount, ...keys } = row;
  return JSON.stringify(Object.entries(keys).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Percentiles: the same histogram bucket as the exact value (its lower bound is reported). */
function expectSameRows(
  query: RecordsQuery,
  fromRollups: readonly RecordsPanelRow[],
  raw: readonly RecordsPanelRow[],
) {
  expect(fromRollups.map(rowKey)).toEqual(raw.map(rowKey));
  if (!query.aggregation.startsWith('p')) {
    expect(fromRollups).toEqual(raw);
    return;
  }
  raw.forEach((want, i) => {
    const exact = want.value as number;
    expect(fromRollups[i]?.value, rowKey(want)).toBe(bucketBounds(bucketOf(exact)).lower);
  });
}

/** Reads a panel from the rollups and from the raw SQL over the window the rollups answered. */
function compare(
  db: TestCellDb['db'],
  panel: Panel,
  query: RecordsQuery,
  fromMs: number,
  toMs: number,
): number {
  const result = recordsOf(runLocalPanel(db, { ...panel, query }, { fromMs, toMs, topology: CELL_TOPOLOGY }));
  expect(result.effectiveFromMs).toBeLessThanOrEqual(fromMs);
  expect(result.effectiveToMs).toBeGreaterThanOrEqual(toMs);
  const raw = runRecordsSql(db, result.timeBin ? { ...query, timeBin: result.timeBin } : query, {
    fromMs: result.effectiveFromMs,
    toMs: result.effectiveToMs,
    topology: CELL_TOPOLOGY,
  });
  expectSameRows(query, result.rows, raw);
  return raw.length;
}

/** The query `dashboard-data.ts` runs under a stage filter (undefined: the panel is fixed to another). */
function withStage(query: RecordsQuery, stage: StageName): RecordsQuery | undefined {
  const own = query.filters?.stage;
  if (own !== undefined && own !== stage) return undefined;
  return { ...query, filters: { ...query.filters, stage } };
}

describe('records panels read from the store rollups equal the raw scan', () => {
  let cell: TestCellDb;
  let stats: LoadStats;
  const stream = randomStream(SEED, 450);

  beforeAll(async () => {
    cell = openTestCellDb();
    stats = await loadStream(cell.store, cell.clock, stream, SEED);
  });

  afterAll(() => {
    cell.close();
  });

  it('loads a stream with duplicates, late events, poison records, redeliveries and replays', () => {
    // Assess
    expect(stream.duplicates).toBeGreaterThan(20);
    expect(stream.stored.some((r) => r.timeMs < BASE_MS)).toBe(true);
    expect(stats.poisonRejected).toBeGreaterThan(5);
    expect(stats.redelivered).toBeGreaterThan(0);
    expect(stats.replayed).toBeGreaterThan(20);
    const stored = cell.db.prepare('SELECT count(*) AS n FROM records').get() as { n: number };
    // Same eventId with another time is another record identity: stored too.
    expect(stored.n).toBe(new Set(stream.arrivals.map((r) => `${r.eventId}/${r.timeMs}`)).size);
  });

  for (const panel of panels) {
    it(`${panel.id} over 24 h, 7 d, 30 d and odd windows`, () => {
      // Prepare
      const query = panel.query as RecordsQuery;
      let rows = 0;

      // Act + Assess
      for (const [name, fromMs, toMs] of WINDOWS) {
        const n = compare(cell.db, panel, query, fromMs, toMs);
        if (toMs - fromMs >= DAY) expect(n, name).toBeGreaterThan(0);
        rows += n;
      }
      expect(rows).toBeGreaterThan(0);
    });
  }

  it('answers every panel under each stage filter the same as the raw scan, or says it cannot', () => {
    // Prepare
    const [, fromMs, toMs] = WINDOWS[1] as readonly [string, number, number];
    let compared = 0;
    const refused = new Set<string>();

    // Act + Assess
    for (const panel of panels) {
      for (const stage of CELL_TOPOLOGY.stages.map((s) => s.name)) {
        const query = withStage(panel.query as RecordsQuery, stage);
        if (!query) continue;
        try {
          compared += compare(cell.db, panel, query, fromMs, toMs);
        } catch (error) {
          if (!(error instanceof RecordsPanelError)) throw error;
          expect(error.message).toContain(`panel ${panel.id}: cannot be filtered to stage ${stage}`);
          refused.add(panel.id);
        }
      }
    }
    expect(compared).toBeGreaterThan(0);
    // Only the panels counting each invoice once over all stages (and grouping by no stage).
    expect([...refused].sort()).toEqual([
      'fin-average-payment-terms',
      'fin-cash-flow-by-week',
      'fin-payment-terms-mix',
    ]);
  });
});
