import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readPercentilePanel,
  servesPercentiles,
} from '../../../../cells/local/monitoring/percentile-panel.js';
import { percentileSql } from '../../../../cells/local/storage/percentile-reader.js';
import { rollupReaderOf } from '../../../../cells/local/storage/rollup-reader.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { TIME_BINS } from '../../../../dashboards/panels/panel-types.js';
import {
  DASHBOARDS,
  findPanel,
  type Panel,
  type RecordsQuery,
  type TimeBin,
} from '../../../../dashboards/panels/panels.js';
import { cellRollups } from '../../../../dashboards/rollups/cell-rollups.js';
import { bucketOf } from '../../../../dashboards/rollups/histogram.js';
import { planPanelWindow, readPanel } from '../../../../dashboards/rollups/read-panel.js';
import type { RollupSpec } from '../../../../dashboards/rollups/rollup-specs.js';
import { segmentRuns } from '../../../../dashboards/rollups/window-plan.js';
import { int, mulberry32 } from '../../../../scripts/ops/seeded-random.js';
import { openTestCellDb, type TestCellDb } from '../../../dashboards/support/cell-db.js';

/** Monday 2026-11-16 00:00 UTC. */
const DAY0 = Date.parse('2026-11-16T00:00:00Z');
const DAYS = 4;
const STAGES = CELL_TOPOLOGY.stages.map((s) => s.name);

function latencyPanel(id: string): Panel {
  const found = findPanel(DASHBOARDS, id);
  if (!found) throw new Error(`no panel ${id}`);
  return found;
}

function specOf(panel: Panel): RollupSpec {
  const spec = cellRollups(CELL_TOPOLOGY).specs.find((s) => s.panelIds.includes(panel.id));
  if (!spec) throw new Error(`no rollup serves ${panel.id}`);
  return spec;
}

/**
 * Random bucket rows straight into every tier of the latency rollup: wide latencies, and now and
 * then a zero or negative count (what a latest-state histogram can hold), so the SQL path must
 * follow `readPanel` on every rule, not only on well-formed data.
 */
function fill(cell: TestCellDb, spec: RollupSpec, seed: number): number {
  const random = mulberry32(seed);
  const insert = cell.db.prepare(
    `INSERT OR REPLACE INTO rollup_rows (spec_id, tier, bin_start_ms, key_values, bucket, count, money_hi, money_lo, value_sum)
     VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0)`,
  );
  let rows = 0;
  cell.db.transaction(() => {
    for (const tier of spec.tiers) {
      const width = TIME_BINS[tier];
      for (let bin = DAY0 - width; bin < DAY0 + DAYS * 86_400_000; bin += width) {
        for (const stage of STAGES) {
          if (random() < 0.3) continue;
          for (let i = int(random, 1, 12); i > 0; i--) {
            const ms = Math.floor(10 ** (random() * 5.5));
            const roll = random();
            const count = roll < 0.05 ? -int(random, 1, 3) : roll < 0.08 ? 0 : int(random, 1, 40);
            insert.run(spec.id, tier, bin, JSON.stringify([stage]), bucketOf(ms), count);
            rows++;
          }
        }
      }
    }
  })();
  return rows;
}

describe('readPercentilePanel: latency percentiles computed by SQLite equal readPanel', () => {
  let cell: TestCellDb;
  const panels = ['ops-latency-p50', 'ops-latency-p95', 'ops-latency-p99'].map(latencyPanel);
  const spec = specOf(panels[0] as Panel);
  const random = mulberry32(7);
  let filled = 0;

  beforeAll(() => {
    cell = openTestCellDb();
    filled = fill(cell, spec, 11);
  });

  afterAll(() => {
    cell.close();
  });

  it('serves the percentile panels and nothing else', () => {
    // Assess
    for (const panel of panels) expect(servesPercentiles(spec, panel.query as RecordsQuery)).toBe(true);
    const throughput = latencyPanel('ops-throughput');
    expect(servesPercentiles(specOf(throughput), throughput.query as RecordsQuery)).toBe(false);
  });

  it('answers the same rows, bins, counts and buckets over aligned, odd and retained windows', () => {
    // Prepare
    const stageOrder = new Map(CELL_TOPOLOGY.stages.map((s) => [s.name as string, s.order]));
    const windows: [number, number, TimeBin][] = [
      [DAY0, DAY0 + 86_400_000, '5m'],
      [DAY0, DAY0 + 3 * 86_400_000, '1h'],
      [DAY0 - 86_400_000, DAY0 + DAYS * 86_400_000, '1d'],
    ];
    for (let i = 0; i < 30; i++) {
      const fromMs = DAY0 + int(random, 0, 2 * 86_400_000);
      const toMs = fromMs + int(random, 60_000, 2 * 86_400_000);
      windows.push([fromMs, toMs, (['5m', '1h', '1d'] as const)[i % 3] as TimeBin]);
    }
    let compared = 0;

    // Act + Assess
    for (const [w, [fromMs, toMs, panelBin]] of windows.entries()) {
      // Every third window: the 5-minute tier pruned before the window's middle.
      const oldestRetainedMs =
        w % 3 === 2 ? { '5m': Math.floor((fromMs + toMs) / 2 / 300_000) * 300_000 } : undefined;
      const options = {
        fromMs,
        toMs,
        panelBin,
        stageOrder,
        ...(oldestRetainedMs ? { oldestRetainedMs } : {}),
      };
      const cache = new Map();
      for (const panel of panels) {
        const query = panel.query as RecordsQuery;
        const expected = readPanel(spec, panel, options, rollupReaderOf(cell.db).rowsOf(spec));
        const actual = readPercentilePanel(cell.db, spec, query, options, cache);
        expect(
          actual,
          `${panel.id} ${new Date(fromMs).toISOString()} – ${new Date(toMs).toISOString()} by ${panelBin}`,
        ).toEqual(expected);
        compared += expected.rows.length;
      }
      expect(cache.size).toBe(1);
    }
    expect(filled).toBeGreaterThan(10_000);
    expect(compared).toBeGreaterThan(5_000);
  });

  it('groups the runs as wide as the panel bin in primary-key order, sorting only the edges', () => {
    // Prepare: a 24-hour window off the hour grid, drawn per hour
    const fromMs = DAY0 + 25 * 60_000;
    const plan = planPanelWindow(spec, { fromMs, toMs: fromMs + 86_400_000 }, '1h');
    const runs = segmentRuns(plan.segments);

    // Act
    const planOf = (run: (typeof runs)[number]) =>
      (
        cell.db
          .prepare(`EXPLAIN QUERY PLAN ${percentileSql([run], '1h')}`)
          .all(spec.id, run.tier, run.fromMs, run.toMs) as { detail: string }[]
      ).map((r) => r.detail);
    const perRun = runs.map((run) => ({ tier: run.tier, plan: planOf(run) }));

    // Assess: 5-minute edges around the hour middle; only the edges need a sort
    expect(perRun.map((r) => r.tier)).toEqual(['5m', '1h', '5m']);
    for (const { tier, plan: steps } of perRun) {
      expect(steps.some((d) => d.startsWith('SEARCH rollup_rows USING PRIMARY KEY'))).toBe(true);
      expect(steps.some((d) => d.includes('TEMP B-TREE'))).toBe(tier === '5m');
    }
  });
});
