import { TIMESTREAM_MEASURES } from '../../consumers/aws/timestream-record.js';
import { scheduledWindowExpression } from '../../consumers/aws/timestream-sql.js';
import { INVOICE_MEASURE_NAME } from '../../consumers/record.js';
import { quoteIdentifier, quoteLiteral, quoteText } from '../../consumers/sql/sql-text.js';
import type { TimeBin } from '../panels/panel-types.js';
import { EXACT_BELOW } from '../rollups/histogram.js';
import type { RollupKey, RollupPredicate, RollupSpec } from '../rollups/rollup-specs.js';
import type { RollupTier } from '../rollups/window-plan.js';
import { BIN_COLUMNS, KEY_COLUMNS, NULL_KEY, placeholderTable } from './timestream-rollup-tables.js';
import { UnsupportedQueryError } from './timestream-sql.js';

/**
 * The scheduled-query SQL of an event rollup spec (one that counts every record, not distinct
 * invoices): the rows of the bins table for one tier and one window.
 *
 * - Finest tier, from the records: `bin(time, <tier>)`, the spec's keys and predicate, and per bin
 *   `count(*)` plus `SUM(amount_minor)` (money: BIGINT minor units, never DOUBLE) or
 *   `SUM(<value>)` (averages) — or, for a histogram, one row per value bucket.
 * - Coarser tiers, from the bins table: the finer tier's rows summed into the coarser bins.
 *
 * Each run recomputes whole bins (the window starts on a bin boundary) and writes them again, so a
 * bin's row is the exact aggregate of what the store held at that run, whatever ran before; the
 * window's last bin may be partial until the next run rewrites it. Timestream keeps the last write
 * of a row, which is how AWS's own late-data pattern recomputes overlapping windows
 * (https://docs.aws.amazon.com/timestream/latest/developerguide/scheduledqueries-patterns-latearrive.html).
 *
 * Not on Timestream: specs windowed by `storedAt` (latency): the record table has no stored-at
 * column; latency panels read the processors' `IngestToStoreLatency` metric in CloudWatch, whose
 * percentiles CloudWatch keeps itself. {@link isTimestreamSpec} tells them apart.
 *
 * @example
 * renderBinsFromRecordsSql(spec, '1m', { from: 'bin(@scheduled_runtime, 1m) - 60m', to: '@scheduled_runtime' });
 */

/** A run's window: SQL time expressions (built by the job list, not from user input). */
export interface RollupWindow {
  readonly from: string;
  readonly to: string;
}

/** A measure attribute of a derived row and its Timestream type. */
export interface DerivedMeasure {
  readonly column: string;
  readonly type: 'BIGINT' | 'VARCHAR' | 'TIMESTAMP' | 'DOUBLE';
}

const q = quoteIdentifier;
const M = TIMESTREAM_MEASURES;

/** Whether the records table can answer a spec (not a latency spec). Pure. */
export function isTimestreamSpec(spec: Pick<RollupSpec, 'windowColumn' | 'measure'>): boolean {
  return spec.windowColumn === 'time' && spec.measure !== 'latency';
}

function assertEventSpec(spec: RollupSpec): void {
  if (spec.latest) {
    throw new UnsupportedQueryError(
      `rollup ${spec.id} counts distinct invoices: it is read from the latest-state table, not binned`,
    );
  }
  if (!isTimestreamSpec(spec)) {
    throw new UnsupportedQueryError(
      `rollup ${spec.id} (${spec.measure} by ${spec.windowColumn}) has no Timestream form: ` +
        'the records table holds no stored-at time; latency is the IngestToStoreLatency metric in CloudWatch',
    );
  }
}

/** Timestream bin expression of a time bin (weeks start on Monday, as `date_trunc('week')`). */
export function timestreamBin(column: string, bin: TimeBin): string {
  return bin === '1w' ? `date_trunc('week', ${column})` : `bin(${column}, ${bin})`;
}

/**
 * The lower bound of the histogram bucket of an integer value, as `bucketBounds(bucketOf(v)).lower`:
 * the value itself below 100 in magnitude, else its two leading digits times the rest as a power of
 * ten (negative values mirror: `1 - (d + 1)·10^k`). Integer arithmetic on the decimal text, so it
 * is exact for every BIGINT. Pure.
 *
 * @example
 * histogramBucketSql('v'); // CASE WHEN abs(v) < 100 THEN v WHEN v > 0 THEN ... END
 */
export function histogramBucketSql(value: string): string {
  const leading = (v: string) => `CAST(substr(CAST(${v} AS varchar), 1, 2) AS bigint)`;
  const scale = (v: string) => `CAST(power(10, length(CAST(${v} AS varchar)) - 2) AS bigint)`;
  return (
    `CASE WHEN abs(${value}) < ${EXACT_BELOW} THEN ${value} ` +
    `WHEN ${value} > 0 THEN ${leading(value)} * ${scale(value)} ` +
    `ELSE 1 - (${leading(`-(${value})`)} + 1) * ${scale(`-(${value})`)} END`
  );
}

/** The record column an average or a percentile measures. */
function valueColumn(spec: RollupSpec): string {
  if (spec.measure === 'paymentTermsDays') return q(M.paymentTermsDays);
  throw new UnsupportedQueryError(`rollup ${spec.id}: ${spec.measure} has no value column in Timestream`);
}

/** `time >= from AND time < to` of a run's window, each bound checked. */
function windowConditions(window: RollupWindow): string[] {
  return [
    `time >= ${scheduledWindowExpression(window.from, 'window.from')}`,
    `time < ${scheduledWindowExpression(window.to, 'window.to')}`,
  ];
}

/**
 * The WHERE of the records a spec or scope counts, window included. Throws `QueryParameterError`
 * for a window bound that is not a `@scheduled_runtime` expression. Pure.
 *
 * @example
 * recordsWhere({ stage: 'posting' }, window); // ["measure_name = 'invoice_event'", 'time >= ...', 'time < ...', "stage = 'posting'"]
 */
export function recordsWhere(predicate: RollupPredicate, window: RollupWindow): string[] {
  return [
    `measure_name = ${quoteText(INVOICE_MEASURE_NAME)}`,
    ...windowConditions(window),
    ...(predicate.stage !== undefined ? [`stage = ${quoteLiteral(predicate.stage, 'stage')}`] : []),
    ...(predicate.status !== undefined
      ? [`${q(M.status)} = ${quoteLiteral(predicate.status, 'status')}`]
      : []),
    ...(predicate.requireDueDate ? [`${q(M.dueDate)} IS NOT NULL`] : []),
    ...(predicate.requirePaymentTerms ? [`${q(M.paymentTermsDays)} IS NOT NULL`] : []),
  ];
}

/** The bins-table dimension column of a key. */
export function keyColumn(key: RollupKey): string {
  return key.startsWith('dueBin:') ? BIN_COLUMNS.dueBin : KEY_COLUMNS[key as keyof typeof KEY_COLUMNS];
}

/** The expression of a key over the records (dimension text: never NULL, never empty). */
function keyExpression(key: RollupKey): string {
  switch (key) {
    case 'stage':
    case 'currency':
      return key;
    case 'vendorId':
      return q('vendorId');
    case 'status':
      return q(M.status);
    case 'paymentTermsDays':
      return `COALESCE(CAST(${q(M.paymentTermsDays)} AS varchar), ${quoteText(NULL_KEY)})`;
    default: {
      const bin = key.slice('dueBin:'.length) as TimeBin;
      const start = `to_milliseconds(${timestreamBin(q(M.dueDate), bin)})`;
      return `COALESCE(CAST(${start} AS varchar), ${quoteText(NULL_KEY)})`;
    }
  }
}

/** Dimension columns of a spec's bins rows, in write order: tier, keys, bucket. Pure. */
export function binDimensions(spec: RollupSpec): string[] {
  return [
    BIN_COLUMNS.tier,
    ...spec.keys.map(keyColumn),
    ...(spec.value === 'histogram' ? [BIN_COLUMNS.bucket] : []),
  ];
}

/** Measure attributes of a spec's bins rows: a count always, the money or value sum by kind. Pure. */
export function binMeasures(spec: RollupSpec): DerivedMeasure[] {
  return [
    { column: BIN_COLUMNS.eventCount, type: 'BIGINT' },
    ...(spec.value === 'money' ? [{ column: BIN_COLUMNS.amountSumMinor, type: 'BIGINT' } as const] : []),
    ...(spec.value === 'sumCount' ? [{ column: BIN_COLUMNS.valueSum, type: 'BIGINT' } as const] : []),
  ];
}

function aggregatesFromRecords(spec: RollupSpec): string[] {
  return [
    `count(*) AS ${BIN_COLUMNS.eventCount}`,
    ...(spec.value === 'money' ? [`SUM(${q(M.amountMinor)}) AS ${BIN_COLUMNS.amountSumMinor}`] : []),
    ...(spec.value === 'sumCount' ? [`SUM(${valueColumn(spec)}) AS ${BIN_COLUMNS.valueSum}`] : []),
  ];
}

/**
 * The finest tier's rows of an event spec over a window of records. Throws
 * {@link UnsupportedQueryError} for a distinct-invoice or latency spec. Pure.
 *
 * @example
 * renderBinsFromRecordsSql(throughputSpec, '1m', window); // SELECT bin(time, 1m) AS bin_start, '1m' AS tier, stage, count(*) ...
 */
export function renderBinsFromRecordsSql(spec: RollupSpec, tier: RollupTier, window: RollupWindow): string {
  assertEventSpec(spec);
  const bin = timestreamBin('time', tier);
  const keys = spec.keys.map((k) => ({ expr: keyExpression(k), column: keyColumn(k) }));
  const bucket =
    spec.value === 'histogram' ? `CAST(${histogramBucketSql(valueColumn(spec))} AS varchar)` : '';
  const select = [
    `${bin} AS ${BIN_COLUMNS.time}`,
    `${quoteText(tier)} AS ${BIN_COLUMNS.tier}`,
    ...keys.map((k) => (k.expr === k.column ? k.expr : `${k.expr} AS ${k.column}`)),
    ...(bucket ? [`${bucket} AS ${BIN_COLUMNS.bucket}`] : []),
    ...aggregatesFromRecords(spec),
  ];
  const groupBy = [bin, ...keys.map((k) => k.expr), ...(bucket ? [bucket] : [])];
  return [
    `SELECT ${select.join(', ')}`,
    `FROM ${placeholderTable('records')}`,
    `WHERE ${recordsWhere(spec.predicate, window).join('\n  AND ')}`,
    `GROUP BY ${groupBy.join(', ')}`,
  ].join('\n');
}

/**
 * A coarser tier's rows of an event spec, summed from the finer tier `from` in the bins table.
 * Throws when `tier` is not coarser than `from` or either is not a tier of the spec. Pure.
 *
 * @example
 * renderBinsFromBinsSql(throughputSpec, '1h', '1m', window); // SELECT bin(time, 1h) AS bin_start, '1h' AS tier, stage, SUM(event_count) ...
 */
export function renderBinsFromBinsSql(
  spec: RollupSpec,
  tier: RollupTier,
  from: RollupTier,
  window: RollupWindow,
): string {
  assertEventSpec(spec);
  const at = spec.tiers.indexOf(tier);
  if (at < 1 || spec.tiers.indexOf(from) !== at - 1) {
    throw new UnsupportedQueryError(
      `rollup ${spec.id}: tier ${tier} is not built from ${from} (tiers ${spec.tiers.join(', ')})`,
    );
  }
  const bin = timestreamBin('time', tier);
  const dims = binDimensions(spec).slice(1);
  const select = [
    `${bin} AS ${BIN_COLUMNS.time}`,
    `${quoteText(tier)} AS ${BIN_COLUMNS.tier}`,
    ...dims,
    ...binMeasures(spec).map((m) => `SUM(${m.column}) AS ${m.column}`),
  ];
  return [
    `SELECT ${select.join(', ')}`,
    `FROM ${placeholderTable('bins')}`,
    `WHERE measure_name = ${quoteText(spec.id)}`,
    `  AND ${BIN_COLUMNS.tier} = ${quoteText(from)}`,
    ...windowConditions(window).map((c) => `  AND ${c}`),
    `GROUP BY ${[bin, ...dims].join(', ')}`,
  ].join('\n');
}
