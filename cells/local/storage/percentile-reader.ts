import {
  PERCENTILES,
  type PercentileAggregation,
  type TimeBin,
} from '../../../dashboards/panels/panel-types.js';
import { sortedBuckets } from '../../../dashboards/rollups/histogram.js';
import type { RollupSpec } from '../../../dashboards/rollups/rollup-specs.js';
import type { SegmentRun } from '../../../dashboards/rollups/window-plan.js';
import type { DatabaseHandle } from './db.js';
import { panelBinColumn, rollupRunParams, rollupRunsSql, StatementsByShape } from './rollup-runs-sql.js';

/**
 * Percentiles of a histogram rollup computed while SQLite reads it: the window's bucket rows (one
 * range read per segment run, as `rollup-reader.ts`) are re-binned to the panel bin and grouped by
 * panel bin and key values, and an aggregate function (`histogram_percentiles`, registered on the
 * connection) merges each group's buckets and picks its p50, p95 and p99 with `sortedBuckets` —
 * the very code `readPanel` uses — so one short row per group comes back. The same answer as
 * `readPanel`'s merge in JS, without turning every bucket row into a JS value: a 24-hour latency
 * panel reads some 40,000 bucket rows at a million records a day, and materializing them cost
 * more than the rest of the dashboard view (measured on a 5 M-record cell: 165 ms in JS, 25 ms
 * here; ratio from one run on the 2-core sandbox, 2026-11-30).
 *
 * @example
 * const groups = readPercentiles(db, spec, segmentRuns(plan.segments), '5m');
 * groups[0].buckets.p95; // the bucket index of the p95 of the first bin's first group
 */

/** One panel bin and key values: how many values and the bucket each percentile falls in. */
export interface PercentileGroup {
  /** The panel bin's start; undefined for an unbinned panel. */
  readonly binStartMs: number | undefined;
  /** The rollup row's key values as stored (JSON text). */
  readonly keyText: string;
  readonly count: number;
  readonly buckets: Readonly<Record<PercentileAggregation, number>>;
}

/** Panel bin, key values, and the aggregate's answer: `[count, …one bucket or null per percentile]`. */
type Row = [number | null, string, string];

const PERCENTILE_NAMES = Object.keys(PERCENTILES) as PercentileAggregation[];
const AGGREGATE = 'histogram_percentiles';

function percentileSql(runs: number, panelBin: TimeBin | undefined): string {
  return `SELECT pb, k, ${AGGREGATE}(bucket, n)
  FROM (${rollupRunsSql(`${panelBinColumn(panelBin)} AS pb, key_values AS k, bucket, count AS n`, runs)})
  GROUP BY pb, k`;
}

interface GroupState {
  count: number;
  readonly buckets: Map<number, number>;
}

/**
 * Registers the aggregate on a connection: it adds a group's counts (all of them: the row's
 * count) and its buckets, then answers the count and each percentile's bucket as JSON.
 */
function registerAggregate(db: DatabaseHandle): void {
  const step = (state: GroupState, bucket: number, n: number): void => {
    state.count += n;
    state.buckets.set(bucket, (state.buckets.get(bucket) ?? 0) + n);
  };
  db.aggregate<GroupState>(AGGREGATE, {
    deterministic: true,
    directOnly: true,
    start: () => ({ count: 0, buckets: new Map() }),
    // @types/better-sqlite3 types `step` with one argument after the state; SQLite passes both.
    step: step as unknown as (state: GroupState) => void,
    result: (state) => {
      const sorted = sortedBuckets(state.buckets);
      return JSON.stringify([
        state.count,
        ...PERCENTILE_NAMES.map((p) => sorted.percentile(PERCENTILES[p]) ?? null),
      ]);
    },
  });
}

const statements = new StatementsByShape<Row>(registerAggregate);

/**
 * The percentile groups of a histogram `spec` over the segment runs of a window plan, re-binned to
 * `panelBin` (undefined: one group per key values for the whole window). Throws when `spec` is not
 * a histogram. Statements are prepared once per connection and window shape.
 *
 * @example
 * readPercentiles(db, latencySpec, [{ tier: '5m', fromMs, toMs }], '5m').length;
 */
export function readPercentiles(
  db: DatabaseHandle,
  spec: RollupSpec,
  runs: readonly SegmentRun[],
  panelBin: TimeBin | undefined,
): PercentileGroup[] {
  if (spec.value !== 'histogram') throw new Error(`rollup ${spec.id} is not a histogram`);
  if (runs.length === 0) return [];
  const statement = statements.of(db, `${runs.length}|${panelBin ?? ''}`, () =>
    percentileSql(runs.length, panelBin),
  );
  const groups: PercentileGroup[] = [];
  for (const [pb, keyText, answer] of statement.all(...rollupRunParams(spec.id, runs))) {
    const [count, ...picked] = JSON.parse(answer) as [number, ...(number | null)[]];
    // As `readPanel`: a group without a count above zero, or without a bucket above zero, has no value.
    if (!(count > 0) || picked.some((b) => b === null)) continue;
    const buckets = Object.fromEntries(PERCENTILE_NAMES.map((name, i) => [name, picked[i]]));
    groups.push({
      binStartMs: pb ?? undefined,
      keyText,
      count,
      buckets: buckets as Record<PercentileAggregation, number>,
    });
  }
  return groups;
}
