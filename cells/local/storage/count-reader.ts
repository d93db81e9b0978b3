import type { TimeBin } from '../../../dashboards/panels/panel-types.js';
import type { RollupSpec } from '../../../dashboards/rollups/rollup-specs.js';
import type { SegmentRun } from '../../../dashboards/rollups/window-plan.js';
import type { DatabaseHandle } from './db.js';
import { panelBinColumn, rollupRunParams, rollupRunsSql, StatementsByShape } from './rollup-runs-sql.js';

/**
 * Counts of a count rollup added up while SQLite reads it: the window's rows (one range read per
 * segment run, as `rollup-reader.ts`) are re-binned to the panel bin, projected on the key values
 * the panel groups by, and summed per panel bin and group, so one short row per group comes back
 * instead of every stored row. The throughput panel over 24 hours reads the minute tier — some
 * 40,000 rows at a million records a day, one per minute, stage and status — which `readPanel`
 * turned into JS values and merged in 43 ms of a 160 ms operations view (15.6 M-record cell with a
 * dense last day, 2-core sandbox, 2026-11-30).
 *
 * A key value is kept as JSON text (`key_values -> '$[i]'`), so strings and numbers come
 * back as they were stored; a missing value counts as JSON `null`, as `readPanel` treats it.
 *
 * @example
 * const groups = readCounts(db, spec, segmentRuns(plan.segments), '5m', [0]);
 * groups[0].count; // records of the first bin's first stage
 */

/** One panel bin and group: the projected key values (JSON text each) and the summed count. */
export interface CountGroup {
  /** The panel bin's start; undefined for an unbinned panel. */
  readonly binStartMs: number | undefined;
  readonly valueTexts: readonly string[];
  readonly count: number;
}

function countSql(runs: number, panelBin: TimeBin | undefined, keyIndexes: readonly number[]): string {
  const projected = keyIndexes.map((index, i) => `coalesce(key_values -> '$[${index}]', 'null') AS g${i}`);
  const groups = ['pb', ...keyIndexes.map((_, i) => `g${i}`)].join(', ');
  return `SELECT ${groups}, sum(n)
  FROM (${rollupRunsSql([`${panelBinColumn(panelBin)} AS pb`, ...projected, 'count AS n'].join(', '), runs)})
  GROUP BY ${groups}`;
}

const statements = new StatementsByShape<unknown[]>();

/**
 * The count groups of a count `spec` over the segment runs of a window plan, re-binned to
 * `panelBin` (undefined: one group per projected key values for the whole window) and projected on
 * the key values at `keyIndexes`. Groups whose counts add up to zero or less are left out, as
 * `readPanel` leaves them out. Throws when `spec` is not a count rollup.
 *
 * @example
 * readCounts(db, throughputSpec, [{ tier: '1m', fromMs, toMs }], '5m', [0]).length;
 */
export function readCounts(
  db: DatabaseHandle,
  spec: RollupSpec,
  runs: readonly SegmentRun[],
  panelBin: TimeBin | undefined,
  keyIndexes: readonly number[],
): CountGroup[] {
  if (spec.value !== 'count') throw new Error(`rollup ${spec.id} is not a count rollup`);
  if (runs.length === 0) return [];
  const shape = `${runs.length}|${panelBin ?? ''}|${keyIndexes.join(',')}`;
  const statement = statements.of(db, shape, () => countSql(runs.length, panelBin, keyIndexes));
  const groups: CountGroup[] = [];
  for (const row of statement.all(...rollupRunParams(spec.id, runs))) {
    const count = row[row.length - 1] as number;
    if (!(count > 0)) continue;
    const pb = row[0] as number | null;
    groups.push({
      binStartMs: pb ?? undefined,
      valueTexts: row.slice(1, 1 + keyIndexes.length) as string[],
      count,
    });
  }
  return groups;
}
