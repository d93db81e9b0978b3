import type { CellTopology } from '../../cells/topology.js';
import { timestreamTimeExpression } from '../../consumers/aws/timestream-sql.js';
import { quoteText } from '../../consumers/sql/sql-text.js';
import {
  type GroupByField,
  PERCENTILES,
  type PercentileAggregation,
  type RecordsQuery,
  type TimeBin,
} from '../panels/panel-types.js';
import type { Rollups } from '../rollups/apply-record.js';
import type { LatestScope, RollupSpec } from '../rollups/rollup-specs.js';
import { type RollupTier, tierServesBin } from '../rollups/window-plan.js';
import { COARSE_TIER_SCHEDULES } from './timestream-rollup-jobs.js';
import { binMeasures, isTimestreamSpec, timestreamBin } from './timestream-rollup-sql.js';
import {
  BIN_COLUMNS,
  KEY_COLUMNS,
  NULL_KEY,
  placeholderTable,
  TIMESTREAM_TABLE_PLACEHOLDERS,
} from './timestream-rollup-tables.js';
import { renderTimestreamSql, UnsupportedQueryError } from './timestream-sql.js';

/**
 * A `records` panel read from the derived tables instead of the records (QuickSight data sets):
 *
 * - **event panels** read the bins of their spec. The window is cut as `planWindow` cuts it — day
 *   rows for the whole days inside, hour rows for the whole hours at the edges, minute rows for the
 *   rest — in SQL, so one data set serves any window: tier `tᵢ` answers the part of the window from
 *   the first `tᵢ` boundary at or after the window start to the last `tᵢ` boundary its run has
 *   settled (`COARSE_TIER_SCHEDULES`), minus what a coarser tier answers. Rows are re-binned to the
 *   panel bin and merged: counts and money added (BIGINT minor units), averages as sum / count,
 *   percentiles by nearest rank over the merged bucket counts (the bucket's lower bound, as the
 *   local rollups answer). The window starts at the finest tier's boundary at or before `from`.
 * - **distinct-invoice panels** read their scope's latest-state rows with the records renderer
 *   (`renderTimestreamSql`): per partition the newest row inside the window, then the aggregate.
 *   For a window that ends now this is each invoice's latest record over all history, filtered by
 *   the window — the rollup rule — as of the last run; a record dated after the window end (up to
 *   the 5 minutes of future skew) is not known to it.
 *
 * The output columns are the records renderer's (`bin_start`, group columns, `value`), so the
 * QuickSight column schema does not change.
 *
 * @example
 * const source = rollupSourceOf(panel.id, panel.query, rollupsOf(DASHBOARDS));
 * const sql = renderRollupPanelSql(panel.query, source, { fromParam: 'ago(30d)', toParam: 'now()', topology });
 */

/** Where a panel's rows come from. */
export type RollupPanelSource =
  | { readonly kind: 'bins'; readonly spec: RollupSpec }
  | { readonly kind: 'latest'; readonly spec: RollupSpec; readonly scope: LatestScope };

/**
 * The derived rows a `records` panel reads, or undefined for a panel Timestream does not serve
 * (latency: CloudWatch). Throws when the panel has no rollup (the specs were derived from other
 * dashboards). Pure.
 *
 * @example
 * rollupSourceOf('ops-throughput', query, rollups); // { kind: 'bins', spec }
 */
export function rollupSourceOf(
  panelId: string,
  query: RecordsQuery,
  rollups: Rollups,
): RollupPanelSource | undefined {
  const spec = rollups.specs.find((s) => s.panelIds.includes(panelId));
  if (!spec) throw new UnsupportedQueryError(`panel ${panelId} has no rollup spec`);
  if (!isTimestreamSpec(spec) || query.measure === 'latency') return undefined;
  if (!spec.latest) return { kind: 'bins', spec };
  const scope = rollups.scopes.find((s) => s.specIds.includes(spec.id));
  if (!scope) throw new UnsupportedQueryError(`rollup ${spec.id} of panel ${panelId} has no latest scope`);
  return { kind: 'latest', spec, scope };
}

/** How time expressions are written: Timestream's, or another engine's in tests. */
export interface TimeDialect {
  /** Start of the `tier` bin holding `expr`. */
  readonly bin: (expr: string, tier: RollupTier) => string;
  /** `expr` minus whole minutes. */
  readonly minusMinutes: (expr: string, minutes: number) => string;
}

export const TIMESTREAM_TIME_DIALECT: TimeDialect = {
  bin: (expr, tier) => timestreamBin(expr, tier),
  minusMinutes: (expr, minutes) => `${expr} - ${minutes}m`,
};

/** Per tier, how long after a bin ends a reader waits before using it. */
export type TierSettle = Readonly<Partial<Record<RollupTier, number>>>;

const DEFAULT_SETTLE: TierSettle = {
  '1h': COARSE_TIER_SCHEDULES['1h'].settleMinutes,
  '1d': COARSE_TIER_SCHEDULES['1d'].settleMinutes,
};

/**
 * The condition choosing, among the bins rows of `tiers` (finest first, nested widths), the ones
 * that tile the window `[bin(from, finest), to)` with the fewest rows: tier `tᵢ` covers
 * `I_i = [ceil(start, tᵢ), bin(to − settleᵢ, tᵢ))` (empty when the bounds cross), and a row of
 * `tᵢ` is taken inside `I_i` and outside `I_(i+1)`. Pure.
 *
 * @example
 * tierPlanWhere(['1m', '1h', '1d'], 'ago(30d)', 'now()'); // time >= bin(ago(30d), 1m) AND time < now() AND (...)
 */
export function tierPlanWhere(
  tiers: readonly RollupTier[],
  from: string,
  to: string,
  dialect: TimeDialect = TIMESTREAM_TIME_DIALECT,
  settle: TierSettle = DEFAULT_SETTLE,
): string {
  const [finest] = tiers;
  if (!finest) throw new UnsupportedQueryError('a rollup read needs at least one tier');
  const start = dialect.bin(from, finest);
  const end = (i: number): string => {
    const tier = tiers[i] as RollupTier;
    return i === 0 ? to : dialect.bin(dialect.minusMinutes(to, settle[tier] ?? 0), tier);
  };
  // A row lies inside I_i iff its tᵢ bin starts at or after the window start and before I_i's end.
  const covered = (i: number): string =>
    `(${dialect.bin('time', tiers[i] as RollupTier)} >= ${start} AND time < ${end(i)})`;
  const regions = tiers.map((tier, i) => {
    const parts = [`${BIN_COLUMNS.tier} = ${quoteText(tier)}`];
    if (i > 0) parts.push(covered(i));
    if (i + 1 < tiers.length) parts.push(`NOT ${covered(i + 1)}`);
    return `(${parts.join(' AND ')})`;
  });
  return `time >= ${start} AND time < ${to} AND (${regions.join('\n    OR ')})`;
}

export interface RollupReadOptions {
  /** Window start and end (exclusive): `timestreamTimeExpression` bounds (`ago(30d)`, `now()`, `<<$from>>`). */
  readonly fromParam: string;
  readonly toParam: string;
  /** For the records renderer (distinct-invoice panels). */
  readonly topology: CellTopology;
}

function isPercentile(aggregation: string): aggregation is PercentileAggregation {
  return Object.hasOwn(PERCENTILES, aggregation);
}

/** Bins-table column of a group, read back as the records renderer's value (NULL for the marker). */
function groupRead(field: GroupByField): string {
  const column = KEY_COLUMNS[field];
  if (field !== 'paymentTermsDays') return column;
  return `CAST(NULLIF(${column}, ${quoteText(NULL_KEY)}) AS bigint) AS ${column}`;
}

function binRead(query: RecordsQuery): string | undefined {
  if (!query.timeBin) return undefined;
  if (query.timeField === 'dueDate') {
    return `from_milliseconds(CAST(NULLIF(${BIN_COLUMNS.dueBin}, ${quoteText(NULL_KEY)}) AS bigint))`;
  }
  return timestreamBin('time', query.timeBin);
}

function aggregateOf(query: RecordsQuery, spec: RollupSpec): string {
  switch (spec.value) {
    case 'count':
      return `SUM(${BIN_COLUMNS.eventCount})`;
    case 'money':
      return `SUM(${BIN_COLUMNS.amountSumMinor})`;
    case 'sumCount':
      return `CAST(SUM(${BIN_COLUMNS.valueSum}) AS double) / SUM(${BIN_COLUMNS.eventCount})`;
    case 'histogram':
      throw new UnsupportedQueryError(`panel aggregation ${query.aggregation} reads buckets`);
  }
}

/** The event panel's SQL over its spec's bins. */
function renderBinsPanelSql(query: RecordsQuery, spec: RollupSpec, options: RollupReadOptions): string {
  const windowBin: TimeBin | undefined = query.timeField === 'dueDate' ? undefined : query.timeBin;
  const tiers = spec.tiers.filter((t) => windowBin === undefined || tierServesBin(t, windowBin));
  if (tiers.length === 0) {
    throw new UnsupportedQueryError(`rollup ${spec.id}: no tier serves the ${String(windowBin)} bin`);
  }
  const from = timestreamTimeExpression(options.fromParam, 'fromParam');
  const to = timestreamTimeExpression(options.toParam, 'toParam');
  const bin = binRead(query);
  const groups = query.groupBy.map((g) => KEY_COLUMNS[g]);
  const keys = [...(bin ? ['bin_start'] : []), ...groups];
  const columns = [
    ...(bin ? [`${bin} AS bin_start`] : []),
    ...query.groupBy.map(groupRead),
    ...(spec.value === 'histogram' ? [BIN_COLUMNS.bucket] : []),
    ...binMeasures(spec).map((m) => m.column),
  ];
  const rows = `WITH picked AS (
  SELECT ${columns.join(', ')}
  FROM ${placeholderTable('bins')}
  WHERE measure_name = ${quoteText(spec.id)}
    AND ${tierPlanWhere(tiers, from, to)}
)`;
  const orderBy = keys.length > 0 ? `\nORDER BY ${keys.map((k) => `${k} ASC`).join(', ')}` : '';
  const groupBy = keys.length > 0 ? `\nGROUP BY ${keys.join(', ')}` : '';
  if (!isPercentile(query.aggregation)) {
    return `${rows}
SELECT ${[...keys, `${aggregateOf(query, spec)} AS value`].join(', ')}
FROM picked${groupBy}${orderBy}`;
  }
  const p = PERCENTILES[query.aggregation];
  const partition = keys.length > 0 ? `PARTITION BY ${keys.join(', ')} ` : '';
  // Nearest rank ⌈n·p/100⌉ in integers, as the local SQL and `percentileBucket` count it.
  return `${rows},
buckets AS (
  SELECT ${[...keys, `CAST(${BIN_COLUMNS.bucket} AS bigint) AS lower`, `SUM(${BIN_COLUMNS.eventCount}) AS n`].join(', ')}
  FROM picked
  GROUP BY ${[...keys, BIN_COLUMNS.bucket].join(', ')}
),
ranked AS (
  SELECT buckets.*,
    SUM(n) OVER (${partition}ORDER BY lower ROWS UNBOUNDED PRECEDING) AS seen,
    SUM(n) OVER (${partition.trimEnd()}) AS total
  FROM buckets
)
SELECT ${[...keys, 'min(lower) AS value'].join(', ')}
FROM ranked
WHERE seen >= (total * ${p} + 99) / 100${groupBy}${orderBy}`;
}

/**
 * The panel's SQL over the derived tables (placeholder names; `bindTimestreamTables`). Throws
 * `UnsupportedQueryError` when no tier serves the panel bin, `QueryParameterError` for an unsafe
 * bound. Pure.
 *
 * @example
 * renderRollupPanelSql(panel.query, { kind: 'bins', spec }, { fromParam: 'ago(24h)', toParam: 'now()', topology });
 */
export function renderRollupPanelSql(
  query: RecordsQuery,
  source: RollupPanelSource,
  options: RollupReadOptions,
): string {
  if (source.kind === 'bins') return renderBinsPanelSql(query, source.spec, options);
  return renderTimestreamSql(query, {
    database: TIMESTREAM_TABLE_PLACEHOLDERS.database,
    table: TIMESTREAM_TABLE_PLACEHOLDERS.latest,
    fromParam: options.fromParam,
    toParam: options.toParam,
    topology: options.topology,
    measureName: source.scope.id,
  });
}
