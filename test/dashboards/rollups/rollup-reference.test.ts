import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { binForRange } from '../../../dashboards/panels/bin-for-range.js';
import type { Panel, RecordsQuery, TimeBin } from '../../../dashboards/panels/panel-types.js';
import { TIME_BINS } from '../../../dashboards/panels/panel-types.js';
import { buildDashboards } from '../../../dashboards/panels/panels.js';
import {
  applyRecord,
  emptyRollupState,
  type RollupState,
  rollupsOf,
  stateRows,
} from '../../../dashboards/rollups/apply-record.js';
import { bucketBounds, bucketOf } from '../../../dashboards/rollups/histogram.js';
import { type PanelRow, readPanel } from '../../../dashboards/rollups/read-panel.js';
import type { RollupSpec } from '../../../dashboards/rollups/rollup-specs.js';
import { type RollupTier, tierServesBin } from '../../../dashboards/rollups/window-plan.js';
import { BASE_MS, DAY, randomStream } from './support/random-records.js';
import { type RawRow, rawPanel } from './support/raw-panel.js';

// The key proof of the rollup algorithm: for a random event stream (late events, ties, duplicates,
// shuffled arrival), every records panel read from in-memory rollups equals the same panel computed
// by brute force over the stored records, for several windows and panel bins.

const HOUR = 3_600_000;
const MINUTE = 60_000;
const dashboards = buildDashboards(CELL_TOPOLOGY);
const rollups = rollupsOf(dashboards);
const panels = dashboards.flatMap((d) => d.panels).filter((p) => p.query.source === 'records');

const WINDOWS: readonly (readonly [string, number, number])[] = [
  ['everything', BASE_MS - 20 * DAY, BASE_MS + 50 * DAY],
  ['7 days odd edges', BASE_MS + 3 * DAY + 17 * MINUTE, BASE_MS + 10 * DAY + 5 * HOUR + 3 * MINUTE],
  ['51 minutes', BASE_MS + 20 * DAY + 7 * HOUR + 11 * MINUTE, BASE_MS + 20 * DAY + 8 * HOUR + 2 * MINUTE],
  ['across midnight', BASE_MS + DAY + 23 * HOUR + 58 * MINUTE, BASE_MS + 2 * DAY + 3 * MINUTE],
  ['30 days', BASE_MS + 4 * DAY + 2 * HOUR + 5 * MINUTE, BASE_MS + 34 * DAY + 2 * HOUR + 5 * MINUTE],
];

function specOf(panel: Panel): RollupSpec {
  const spec = rollups.specs.find((s) => s.panelIds.includes(panel.id));
  if (!spec) throw new Error(`no spec serves ${panel.id}`);
  return spec;
}

/** The window bins to read a panel with: the declared one, the runner's pick, and coarser ones. */
function binsFor(query: RecordsQuery, spec: RollupSpec, spanMs: number): (TimeBin | undefined)[] {
  if (!query.timeBin || query.timeField === 'dueDate') return [undefined];
  const wanted = new Set<TimeBin>([query.timeBin, binForRange(query.timeBin, spanMs), '1h', '1d', '1w']);
  return [...wanted].filter(
    (bin) => spec.tiers.some((t) => tierServesBin(t, bin)) && spanMs / TIME_BINS[bin] <= 10_000,
  );
}

function rowKey(row: { binStartMs?: number; groups: object }): string {
  return JSON.stringify([row.binStartMs ?? null, row.groups]);
}

function expectSameRows(query: RecordsQuery, fromRollups: readonly PanelRow[], raw: readonly RawRow[]): void {
  const expected = new Map(raw.map((r) => [rowKey(r), r]));
  expect(new Set(fromRollups.map(rowKey))).toEqual(new Set(expected.keys()));
  const percentile = query.aggregation.startsWith('p');
  for (const row of fromRollups) {
    const want = expected.get(rowKey(row)) as RawRow;
    expect(row.count, rowKey(row)).toBe(want.count);
    if (percentile) {
      // Exact below 100, the bucket's lower bound above: the same bucket as the exact percentile.
      expect(row.bucket, rowKey(row)).toBe(bucketOf(want.value as number));
      expect(row.value).toBe(bucketBounds(bucketOf(want.value as number)).lower);
    } else {
      expect(row.value, rowKey(row)).toEqual(want.value);
    }
  }
}

function build(records: readonly Parameters<typeof applyRecord>[2][]): RollupState {
  const state = emptyRollupState();
  const written = new Set<string>();
  for (const record of records) {
    // The store applies rollups in a record's first write only: a duplicate eventId is a no-op.
    if (written.has(record.eventId)) continue;
    written.add(record.eventId);
    applyRecord(state, rollups, record);
  }
  return state;
}

function checkPanel(
  state: RollupState,
  stored: Parameters<typeof rawPanel>[0],
  panel: Panel,
  window: readonly [number, number],
  oldestRetainedMs?: Partial<Record<RollupTier, number>>,
): number {
  const query = panel.query as RecordsQuery;
  const spec = specOf(panel);
  let checked = 0;
  for (const bin of binsFor(query, spec, window[1] - window[0])) {
    const read = readPanel(
      spec,
      panel,
      {
        fromMs: window[0],
        toMs: window[1],
        ...(bin ? { panelBin: bin } : {}),
        ...(oldestRetainedMs ? { oldestRetainedMs } : {}),
      },
      (tier, from, to) => stateRows(state, spec.id, tier, from, to),
    );
    const rawBin = query.timeField === 'dueDate' ? query.timeBin : bin;
    const raw = rawPanel(stored, query, {
      fromMs: read.fromMs,
      toMs: read.toMs,
      ...(rawBin ? { bin: rawBin } : {}),
    });
    expectSameRows(query, read.rows, raw);
    checked += raw.length;
  }
  return checked;
}

describe('rollups equal a raw scan for every records panel', () => {
  const stream = randomStream(20261129, 400);
  const state = build(stream.arrivals);

  it('the stream exercises duplicates, ties, late events, huge sums and every currency', () => {
    expect(stream.duplicates).toBeGreaterThan(20);
    expect(new Set(stream.stored.map((r) => r.currency))).toEqual(
      new Set(['USD', 'EUR', 'JPY', 'KWD', 'GBP']),
    );
    const keys = stream.stored.map((r) => `${r.invoiceId}/${r.stage}/${r.timeMs}`);
    expect(new Set(keys).size).toBeLessThan(keys.length);
    expect(stream.stored.some((r) => r.timeMs < BASE_MS)).toBe(true);
    expect(stream.stored.reduce((sum, r) => sum + r.amountMinor, 0n)).toBeGreaterThan(2n ** 64n);
  });

  // A window around the busiest data, so short windows are not empty.
  const anchor =
    Math.floor((stream.stored[Math.floor(stream.stored.length / 2)]?.timeMs ?? BASE_MS) / MINUTE) * MINUTE;
  const windows = [
    ...WINDOWS,
    ['23 minutes around data', anchor - 11 * MINUTE, anchor + 12 * MINUTE] as const,
  ];

  for (const panel of panels) {
    it(`${panel.id} over every window and panel bin`, () => {
      let checked = 0;
      for (const [name, fromMs, toMs] of windows) {
        const rows = checkPanel(state, stream.stored, panel, [fromMs, toMs]);
        if (toMs - fromMs >= DAY) expect(rows, name).toBeGreaterThan(0);
        checked += rows;
      }
      expect(checked).toBeGreaterThan(0);
    });
  }

  it('arrival order does not matter: reversed arrival builds the same rollups as in-order first writes', () => {
    const reversed = build([...stream.stored].reverse());
    const inOrder = build(stream.stored);
    expect(reversed.bins).toEqual(inOrder.bins);
    expect(reversed.bins).toEqual(state.bins);
  });
});

describe('rollups equal a raw scan after finer tiers are pruned', () => {
  const stream = randomStream(7, 250);
  const oldestRetainedMs: Partial<Record<RollupTier, number>> = {
    '1m': BASE_MS + 25 * DAY,
    '5m': BASE_MS + 25 * DAY,
    '1h': BASE_MS + 10 * DAY,
  };
  const state = build(stream.arrivals);
  // Prune as retention would: drop every bin older than its tier keeps.
  for (const tiers of state.bins.values()) {
    for (const [tier, bins] of tiers) {
      const oldest = oldestRetainedMs[tier] ?? Number.NEGATIVE_INFINITY;
      for (const start of [...bins.keys()]) if (start < oldest) bins.delete(start);
    }
  }

  for (const panel of panels) {
    it(`${panel.id} over windows reaching into pruned tiers`, () => {
      let checked = 0;
      for (const [, fromMs, toMs] of WINDOWS)
        checked += checkPanel(state, stream.stored, panel, [fromMs, toMs], oldestRetainedMs);
      expect(checked).toBeGreaterThan(0);
    });
  }
});
