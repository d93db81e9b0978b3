import {
  PERCENTILES,
  type PercentileAggregation,
  type RecordsQuery,
} from '../../../dashboards/panels/panel-types.js';
import type { KeyValue } from '../../../dashboards/rollups/contributions.js';
import { bucketBounds } from '../../../dashboards/rollups/histogram.js';
import {
  type PanelRead,
  type PanelReadOptions,
  type PanelRow,
  panelRowOrder,
  planPanelWindow,
} from '../../../dashboards/rollups/read-panel.js';
import type { RollupSpec } from '../../../dashboards/rollups/rollup-specs.js';
import { segmentRuns } from '../../../dashboards/rollups/window-plan.js';
import type { DatabaseHandle } from '../storage/db.js';
import { type PercentileGroup, readPercentiles } from '../storage/percentile-reader.js';

/**
 * Percentile panels (the operations latency p50, p95 and p99) from SQLite's percentile query
 * (`storage/percentile-reader.ts`) instead of `readPanel`'s merge of every bucket row in JS: the
 * same window plan, bins, groups, values and row order, in one query per request for all three.
 *
 * @example
 * if (servesPercentiles(spec, query)) read = readPercentilePanel(db, spec, query, options, cache);
 */

/** Percentile windows of one request, by spec, window and bin: p50, p95 and p99 share one query. */
export type PercentileCache = Map<string, PercentileWindow>;

interface PercentileWindow {
  readonly groups: readonly PercentileGroup[];
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * Whether the SQL path answers this panel exactly as `readPanel` would: a percentile of a histogram
 * rollup whose key values are the panel's groups, in order (so a stored key is a panel group), and
 * binned by the window column, not the due date.
 */
export function servesPercentiles(spec: RollupSpec, query: RecordsQuery): boolean {
  return (
    spec.value === 'histogram' &&
    query.aggregation in PERCENTILES &&
    query.timeField !== 'dueDate' &&
    spec.keys.length === query.groupBy.length &&
    spec.keys.every((key, i) => key === query.groupBy[i])
  );
}

/**
 * The panel's rows over `options`' window, as `readPanel(spec, panel, options, …)` answers them.
 * The caller checks {@link servesPercentiles} first.
 */
export function readPercentilePanel(
  db: DatabaseHandle,
  spec: RollupSpec,
  query: RecordsQuery,
  options: Omit<PanelReadOptions, 'mergeCache'>,
  cache?: PercentileCache,
): PanelRead {
  const panelBin = query.timeBin ? options.panelBin : undefined;
  if (query.timeBin && panelBin === undefined) throw new Error('panelBin is required for a binned panel');
  const key = JSON.stringify([
    spec.id,
    options.fromMs,
    options.toMs,
    panelBin ?? null,
    options.oldestRetainedMs ?? null,
  ]);
  let window = cache?.get(key);
  if (!window) {
    const plan = planPanelWindow(spec, options, panelBin);
    const groups = readPercentiles(db, spec, segmentRuns(plan.segments), panelBin);
    window = { groups, fromMs: plan.fromMs, toMs: plan.toMs };
    cache?.set(key, window);
  }
  const aggregation = query.aggregation as PercentileAggregation;
  const rows: PanelRow[] = window.groups.map((g) => {
    const values = JSON.parse(g.keyText) as KeyValue[];
    const groups = Object.fromEntries(query.groupBy.map((field, i) => [field, values[i] ?? null]));
    const bucket = g.buckets[aggregation];
    return {
      ...(query.timeBin ? { binStartMs: g.binStartMs } : {}),
      groups,
      count: g.count,
      value: bucketBounds(bucket).lower,
      bucket,
    };
  });
  rows.sort(panelRowOrder(query, options.stageOrder));
  return { rows, fromMs: window.fromMs, toMs: window.toMs };
}
