import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCountPanel, servesCounts } from '../../../../cells/local/monitoring/count-panel.js';
import { rollupReaderOf } from '../../../../cells/local/storage/rollup-reader.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { TIME_BINS } from '../../../../dashboards/panels/panel-types.js';
import {
  DASHBOARDS,
  type Panel,
  type RecordsQuery,
  type TimeBin,
} from '../../../../dashboards/panels/panels.js';
import { cellRollups } from '../../../../dashboards/rollups/cell-rollups.js';
import { readPanel } from '../../../../dashboards/rollups/read-panel.js';
import type { RollupSpec } from '../../../../dashboards/rollups/rollup-specs.js';
import { WindowPlanError } from '../../../../dashboards/rollups/window-plan.js';
import { int, mulberry32, type Random } from '../../../../scripts/ops/seeded-random.js';
import { openTestCellDb, type TestCellDb } from '../../../dashboards/support/cell-db.js';

/** Monday 2026-11-16 00:00 UTC. */
const DAY0 = Date.parse('2026-11-16T00:00:00Z');
const DAYS = 3;
const STAGES = CELL_TOPOLOGY.stages.map((s) => s.name);
const ROLLUPS = cellRollups(CELL_TOPOLOGY);

/** Every records panel a count rollup serves through SQL, with its spec. */
function countPanels(): { panel: Panel; spec: RollupSpec }[] {
  const found: { panel: Panel; spec: RollupSpec }[] = [];
  for (const dashboard of DASHBOARDS) {
    for (const panel of dashboard.panels) {
      if (panel.query.source !== 'records') continue;
      const spec = ROLLUPS.specs.find((s) => s.panelIds.includes(panel.id));
      if (spec && servesCounts(spec, panel.query)) found.push({ panel, spec });
    }
  }
  return found;
}

/** A key value as the rollups store them, with now and then a null or a number. */
function keyValue(random: Random, key: string): string | number | null {
  const roll = random();
  if (roll < 0.05) return null;
  if (key === 'stage') return STAGES[int(random, 0, STAGES.length - 1)] as string;
  if (roll < 0.1) return int(random, 0, 3);
  return `${key}-${int(random, 0, 3)}`;
}

/**
 * Random rows straight into every tier of each count rollup: several key values per bin, a key
 * array now and then shorter than the keys (a missing value reads as null), and now and then a
 * zero or negative count (what a distinct-invoice rollup holds after its latest record moved on).
 */
function fill(cell: TestCellDb, specs: readonly RollupSpec[], seed: number): number {
  const random = mulberry32(seed);
  const insert = cell.db.prepare(
    `INSERT OR REPLACE INTO rollup_rows (spec_id, tier, bin_start_ms, key_values, bucket, count, money_hi, money_lo, value_sum)
     VALUES (?, ?, ?, ?, 0, ?, 0, 0, 0)`,
  );
  let rows = 0;
  cell.db.transaction(() => {
    for (const spec of specs) {
      for (const tier of spec.tiers) {
        const width = TIME_BINS[tier];
        const step = Math.max(width, tier === '1m' ? 7 * 60_000 : width);
        for (let bin = DAY0 - width; bin < DAY0 + DAYS * 86_400_000; bin += step) {
          for (let i = int(random, 0, 4); i > 0; i--) {
            const values = spec.keys.map((key) => keyValue(random, key));
            if (random() < 0.05) values.pop();
            const roll = random();
            const count = roll < 0.05 ? -int(random, 1, 3) : roll < 0.08 ? 0 : int(random, 1, 40);
            insert.run(spec.id, tier, bin, JSON.stringify(values), count);
            rows++;
          }
        }
      }
    }
  })();
  return rows;
}

describe('readCountPanel: counts added up by SQLite equal readPanel', () => {
  let cell: TestCellDb;
  const served = countPanels();
  const random = mulberry32(5);
  let filled = 0;

  beforeAll(() => {
    cell = openTestCellDb();
    filled = fill(cell, [...new Set(served.map((s) => s.spec))], 13);
  });

  afterAll(() => {
    cell.close();
  });

  it('serves the count panels of every view, and no percentile, sum or due-date panel', () => {
    // Assess
    const ids = served.map((s) => s.panel.id);
    expect(ids).toContain('ops-throughput');
    expect(served.length).toBeGreaterThanOrEqual(3);
    for (const { panel } of served) expect((panel.query as RecordsQuery).aggregation).toBe('count');
    const latency = ROLLUPS.specs.find((s) => s.panelIds.includes('ops-latency-p95')) as RollupSpec;
    const p95 = DASHBOARDS.flatMap((d) => d.panels).find((p) => p.id === 'ops-latency-p95') as Panel;
    expect(servesCounts(latency, p95.query as RecordsQuery)).toBe(false);
  });

  it('answers the same rows, bins, groups and counts over aligned, odd and retained windows', () => {
    // Prepare
    const stageOrder = new Map(CELL_TOPOLOGY.stages.map((s) => [s.name as string, s.order]));
    const bins: TimeBin[] = ['1m', '5m', '1h', '1d'];
    const windows: [number, number][] = [
      [DAY0, DAY0 + 86_400_000],
      [DAY0 - 86_400_000, DAY0 + DAYS * 86_400_000],
    ];
    for (let i = 0; i < 12; i++) {
      const fromMs = DAY0 + int(random, 0, 2 * 86_400_000);
      windows.push([fromMs, fromMs + int(random, 60_000, 2 * 86_400_000)]);
    }
    let compared = 0;
    let runs = 0;

    // Act + Assess
    for (const { panel, spec } of served) {
      const query = panel.query as RecordsQuery;
      for (const [w, [fromMs, toMs]] of windows.entries()) {
        for (const panelBin of query.timeBin ? bins : [undefined]) {
          // Every third window: the minute tier pruned before the window's middle.
          const oldestRetainedMs =
            w % 3 === 2 ? { '1m': Math.floor((fromMs + toMs) / 2 / 3_600_000) * 3_600_000 } : undefined;
          const options = {
            fromMs,
            toMs,
            stageOrder,
            ...(panelBin ? { panelBin } : {}),
            ...(oldestRetainedMs ? { oldestRetainedMs } : {}),
          };
          let expected: ReturnType<typeof readPanel>;
          try {
            expected = readPanel(spec, panel, options, rollupReaderOf(cell.db).rowsOf(spec));
          } catch (error) {
            if (!(error instanceof WindowPlanError)) throw error;
            expect(() => readCountPanel(cell.db, spec, query, options)).toThrow(WindowPlanError);
            continue;
          }
          const actual = readCountPanel(cell.db, spec, query, options);
          expect(
            actual,
            `${panel.id} ${new Date(fromMs).toISOString()} – ${new Date(toMs).toISOString()} by ${panelBin}`,
          ).toEqual(expected);
          compared += expected.rows.length;
          runs++;
        }
      }
    }
    expect(filled).toBeGreaterThan(5_000);
    expect(runs).toBeGreaterThan(50);
    expect(compared).toBeGreaterThan(5_000);
  });
});
