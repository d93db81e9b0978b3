import type { GroupByField, Panel, RecordsQuery, TimeBin } from '../panels/panel-types.js';
import { PERCENTILES } from '../panels/panel-types.js';
import type { RollupRow } from './apply-record.js';
import { binStartOf } from './bin-start.js';
import type { KeyValue } from './contributions.js';
import { bucketBounds, type SortedBuckets, sortedBuckets } from './histogram.js';
import { canonicalJson, type RollupSpec, RollupSpecError, specShapeOf } from './rollup-specs.js';
import {
  planWindow,
  type RollupTier,
  segmentRuns,
  type WindowPlan,
  type WindowPlanOptions,
} from './window-plan.js';

/**
 * A `records` panel read from its rollup: the window is planned into tier segments
 * (`planWindow`), their rows are read as a few range reads, re-binned to the panel bin (or the due
 * bin) and merged per group — counts and money added, sums and counts added for averages,
 * histograms added for percentiles — then aggregated as `local-sql.ts` does.
 *
 * @example
 * const { rows, fromMs, toMs } = readPanel(spec, panel, { fromMs, toMs, panelBin: '1h' },
 *   (tier, from, to) => store.rollupRows(spec.id, tier, from, to));
 */

/** One row of a panel: its bin (binned panels), group values, how many records and the value. */
export interface PanelRow {
  readonly binStartMs?: number;
  readonly groups: Readonly<Partial<Record<GroupByField, KeyValue>>>;
  /** Records (or distinct invoices) behind the value. */
  readonly count: number;
  /** count: number; money sum: bigint minor units; avg: number; percentile: bucket lower bound. */
  readonly value: number | bigint;
  /** Percentiles: the histogram bucket the value comes from. */
  readonly bucket?: number;
}

/**
 * Merged windows of one request, by spec, window, bin and groups: the latency p50, p95 and p99
 * panels merge the same histogram rows, and a histogram's buckets are sorted once for all three.
 */
export type PanelMergeCache = Map<string, MergedWindow>;

interface MergedWindow {
  readonly groups: ReadonlyMap<string, Group>;
  readonly fromMs: number;
  readonly toMs: number;
}

export interface PanelReadOptions extends Pick<WindowPlanOptions, 'oldestRetainedMs'> {
  readonly fromMs: number;
  readonly toMs: number;
  /** The bin the panel is drawn with over this window (ignored for unbinned and due-date panels). */
  readonly panelBin?: TimeBin;
  /** Stage positions, so stage groups come in pipeline order as in the local SQL. */
  readonly stageOrder?: ReadonlyMap<string, number>;
  /** Merges of this request, reused by panels of the same spec, window and groups. */
  readonly mergeCache?: PanelMergeCache;
}

/** A range read of stored rollup rows: tier `tier`, bin starts in `[fromMs, toMs)`. */
export type RollupRowReader = (tier: RollupTier, fromMs: number, toMs: number) => Iterable<RollupRow>;

/** The panel's rows and the effective window they cover (see `planWindow`). */
export interface PanelRead {
  readonly rows: readonly PanelRow[];
  readonly fromMs: number;
  readonly toMs: number;
}

interface Group {
  readonly binStartMs: number | undefined;
  readonly groups: Partial<Record<GroupByField, KeyValue>>;
  count: number;
  sumMinor: bigint;
  sum: number;
  readonly buckets: Map<number, number>;
  /** {@link buckets} sorted, made by the first percentile asked of this group. */
  sorted?: SortedBuckets;
}

function checkServes(spec: RollupSpec, panel: Panel): RecordsQuery {
  const { query } = panel;
  if (query.source !== 'records') throw new RollupSpecError(`panel ${panel.id}: not a records panel`);
  const { tiers: _t, panelIds: _p, id: _i, ...shape } = spec;
  if (canonicalJson(specShapeOf(panel.id, query)) !== canonicalJson(shape)) {
    throw new RollupSpecError(`panel ${panel.id}: rollup ${spec.id} does not serve its query`);
  }
  return query;
}

function aggregateOf(query: RecordsQuery, g: Group): Pick<PanelRow, 'value' | 'bucket'> | undefined {
  switch (query.aggregation) {
    case 'count':
      return { value: g.count };
    case 'sum':
      return { value: g.sumMinor };
    case 'avg':
      return { value: g.sum / g.count };
    default: {
      g.sorted ??= sortedBuckets(g.buckets);
      const bucket = g.sorted.percentile(PERCENTILES[query.aggregation]);
      return bucket === undefined ? undefined : { value: bucketBounds(bucket).lower, bucket };
    }
  }
}

function compareValues(a: KeyValue | undefined, b: KeyValue | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/**
 * Orders panel rows as the local SQL does: by bin, stage position, then the group fields.
 *
 * @example
 * rows.sort(panelRowOrder(query, stageOrder));
 */
export function panelRowOrder(
  query: RecordsQuery,
  stageOrder?: ReadonlyMap<string, number>,
): (a: PanelRow, b: PanelRow) => number {
  return (a, b) => {
    const byBin = (a.binStartMs ?? 0) - (b.binStartMs ?? 0);
    if (byBin !== 0) return byBin;
    if (stageOrder && query.groupBy.includes('stage')) {
      const byStage =
        (stageOrder.get(String(a.groups.stage)) ?? 0) - (stageOrder.get(String(b.groups.stage)) ?? 0);
      if (byStage !== 0) return byStage;
    }
    for (const field of query.groupBy) {
      const c = compareValues(a.groups[field], b.groups[field]);
      if (c !== 0) return c;
    }
    return 0;
  };
}

/**
 * Reads a `records` panel from its rollup over `[fromMs, toMs)` with the panel bin chosen for the
 * window. Throws `RollupSpecError` when `spec` does not serve the panel, `WindowPlanError` when
 * its tiers cannot build `panelBin`. Pure given `read`.
 *
 * @example
 * readPanel(spec, throughputPanel, { fromMs, toMs, panelBin: '1m' }, read).rows;
 */
export function readPanel(
  spec: RollupSpec,
  panel: Panel,
  options: PanelReadOptions,
  read: RollupRowReader,
): PanelRead {
  const query = checkServes(spec, panel);
  const windowBin = query.timeBin && query.timeField !== 'dueDate' ? options.panelBin : undefined;
  if (query.timeBin && query.timeField !== 'dueDate' && windowBin === undefined) {
    throw new RollupSpecError(`panel ${panel.id}: panelBin is required for a binned panel`);
  }
  const cacheKey = JSON.stringify([
    spec.id,
    options.fromMs,
    options.toMs,
    windowBin ?? null,
    query.groupBy,
    options.oldestRetainedMs ?? null,
  ]);
  let window = options.mergeCache?.get(cacheKey);
  if (!window) {
    window = mergeWindow(spec, query, options, windowBin, read);
    options.mergeCache?.set(cacheKey, window);
  }
  const merged = window.groups;
  const binned = query.timeBin !== undefined;
  const rows: PanelRow[] = [];
  for (const g of merged.values()) {
    const value = g.count > 0 ? aggregateOf(query, g) : undefined;
    if (!value) continue;
    rows.push({
      ...(binned ? { binStartMs: g.binStartMs } : {}),
      groups: g.groups,
      count: g.count,
      ...value,
    });
  }
  rows.sort(panelRowOrder(query, options.stageOrder));
  return { rows, fromMs: window.fromMs, toMs: window.toMs };
}

/**
 * The tier segments of a panel read over `options`' window, built for `windowBin` (undefined for
 * an unbinned or due-date panel); shared by `readPanel` and the local cell's SQL readers.
 */
export function planPanelWindow(
  spec: RollupSpec,
  options: Pick<PanelReadOptions, 'fromMs' | 'toMs' | 'oldestRetainedMs'>,
  windowBin: TimeBin | undefined,
): WindowPlan {
  return planWindow(options.fromMs, options.toMs, spec.tiers, {
    ...(options.oldestRetainedMs ? { oldestRetainedMs: options.oldestRetainedMs } : {}),
    ...(windowBin ? { panelBin: windowBin } : {}),
  });
}

/** The window's rollup rows, re-binned to the panel bin and merged per group. */
function mergeWindow(
  spec: RollupSpec,
  query: RecordsQuery,
  options: PanelReadOptions,
  windowBin: TimeBin | undefined,
  read: RollupRowReader,
): MergedWindow {
  const dueAt = spec.keys.findIndex((k) => k.startsWith('dueBin:'));
  const plan = planPanelWindow(spec, options, windowBin);
  const merged = new Map<string, Group>();
  for (const run of segmentRuns(plan.segments)) {
    for (const row of read(run.tier, run.fromMs, run.toMs)) {
      const binStartMs = windowBin ? binStartOf(row.binStartMs, windowBin) : (row.keyValues[dueAt] as number);
      const groups: Partial<Record<GroupByField, KeyValue>> = {};
      for (const field of query.groupBy) groups[field] = row.keyValues[spec.keys.indexOf(field)] ?? null;
      const key = JSON.stringify([binStartMs, ...query.groupBy.map((f) => groups[f])]);
      const g = merged.get(key) ?? { binStartMs, groups, count: 0, sumMinor: 0n, sum: 0, buckets: new Map() };
      g.count += row.cell.count;
      g.sumMinor += row.cell.sumMinor;
      g.sum += row.cell.sum;
      for (const [bucket, n] of row.cell.buckets) g.buckets.set(bucket, (g.buckets.get(bucket) ?? 0) + n);
      merged.set(key, g);
    }
  }
  return { groups: merged, fromMs: plan.fromMs, toMs: plan.toMs };
}
