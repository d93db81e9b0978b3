import type { CellTopology } from '../../cells/topology.js';
import { TIMESTREAM_MEASURES } from '../../consumers/aws/timestream-record.js';
import {
  TIMESTREAM_WINDOW,
  timestreamTable,
  timestreamTimeExpression,
} from '../../consumers/aws/timestream-sql.js';
import { INVOICE_MEASURE_NAME } from '../../consumers/record.js';
import { quoteIdentifier, quoteLiteral, stageOrderCase } from '../../consumers/sql/sql-text.js';
import {
  type GroupByField,
  MONEY_MEASURES,
  PERCENTILES,
  type PercentileAggregation,
  type RecordsQuery,
  type SlaQuery,
  type TimeBin,
} from '../panels/panel-types.js';
import { renderSlaSql } from './sla-sql.js';

/**
 * `records` (and `sla`) panel queries rendered to Timestream SQL, for QuickSight data sets (custom
 * SQL, direct query), the console and scheduled queries.
 *
 * The window is `time >= <fromParam> AND time < <toParam>` (half-open like the local SQL, so
 * adjacent windows never count an event twice). The bounds are SQL time expressions, checked by
 * `timestreamTimeExpression`; `TIMESTREAM_WINDOW` builds them:
 * - QuickSight: `fromParam: '<<$from>>', toParam: '<<$to>>'` — DateTime dataset parameters that
 *   the dashboard's time-range control sets; one data set serves every range.
 * - Console / scheduled queries: `fromParam: 'ago(24h)', toParam: 'now()'`.
 * - Exact windows from code: `from_milliseconds(<ms>)`.
 *
 * Output columns match the local SQL: `bin_start` (a TIMESTAMP here), the group columns
 * (`stage, currency, vendor_id, status, payment_terms_days`) and `value`. Money is
 * `SUM(amount_minor)` over BIGINT minor units per currency (Timestream returns it as a decimal
 * string: no float). Percentiles use `approx_percentile`.
 *
 * `measure: 'latency'` has no Timestream form: ingest-to-store latency is the processor's
 * `IngestToStoreLatency` metric, rendered by `renderCloudWatchMetric`; this throws
 * {@link UnsupportedQueryError} for it.
 *
 * @example
 * renderTimestreamSql(panel.query, { database: 'invoices', table: 'events', fromParam: '<<$from>>', toParam: '<<$to>>', topology });
 */

export interface TimestreamSqlOptions {
  readonly database: string;
  readonly table: string;
  /** Window start, a time expression (see {@link TIMESTREAM_WINDOW}). */
  readonly fromParam: string;
  /** Window end (exclusive). */
  readonly toParam: string;
  /** Only this cell's records. */
  readonly cell?: string;
  /** For `sla` queries (stage order, SLAs, terminal statuses). */
  readonly topology: CellTopology;
  /**
   * The measure name of the rows read: the records' (default), or a latest-state scope's id when
   * `table` is the latest-state table, whose rows carry the record columns
   * (`timestream-rollup-read-sql.ts`).
   */
  readonly measureName?: string;
}

/** A query that belongs to another backend (latency → CloudWatch). */
export class UnsupportedQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedQueryError';
  }
}

const q = quoteIdentifier;

/** Timestream expression of each group field, aliased to the shared output column. */
const GROUP_EXPRESSIONS: Readonly<Record<GroupByField, { expr: string; alias: string }>> = {
  stage: { expr: 'stage', alias: 'stage' },
  currency: { expr: 'currency', alias: 'currency' },
  vendorId: { expr: q('vendorId'), alias: 'vendor_id' },
  status: { expr: q(TIMESTREAM_MEASURES.status), alias: 'status' },
  paymentTermsDays: { expr: q(TIMESTREAM_MEASURES.paymentTermsDays), alias: 'payment_terms_days' },
};

const BIN_INTERVALS: Readonly<Record<Exclude<TimeBin, '1w'>, string>> = {
  '1m': '1m',
  '5m': '5m',
  '1h': '1h',
  '1d': '1d',
};

function binExpression(column: string, bin: TimeBin): string {
  // ISO weeks (Monday), as finance reads a cash-flow calendar; bin(7d) would start on Thursdays.
  return bin === '1w' ? `date_trunc('week', ${column})` : `bin(${column}, ${BIN_INTERVALS[bin]})`;
}

function isPercentile(aggregation: string): aggregation is PercentileAggregation {
  return Object.hasOwn(PERCENTILES, aggregation);
}

function aggregateExpression(query: RecordsQuery): string {
  const M = TIMESTREAM_MEASURES;
  if (query.aggregation === 'count') return 'count(*)';
  const column = MONEY_MEASURES.has(query.measure)
    ? q(M.amountMinor)
    : query.measure === 'paymentTermsDays'
      ? q(M.paymentTermsDays)
      : undefined;
  if (column === undefined) {
    throw new UnsupportedQueryError(`aggregation ${query.aggregation} does not apply to ${query.measure}`);
  }
  if (query.aggregation === 'sum') return `SUM(${column})`;
  if (query.aggregation === 'avg') return `avg(${column})`;
  if (isPercentile(query.aggregation)) {
    if (MONEY_MEASURES.has(query.measure)) throw new UnsupportedQueryError('money has no percentiles');
    return `approx_percentile(${column}, ${(PERCENTILES[query.aggregation] / 100).toFixed(2)})`;
  }
  throw new UnsupportedQueryError(`aggregation ${String(query.aggregation)} is not known`);
}

function renderSla(options: TimestreamSqlOptions): string {
  const { topology } = options;
  const from = timestreamTimeExpression(options.fromParam, 'fromParam');
  const to = timestreamTimeExpression(options.toParam, 'toParam');
  const where = [
    `measure_name = '${INVOICE_MEASURE_NAME}'`,
    `time >= ${from}`,
    ...(options.cell !== undefined ? [`cell = ${quoteLiteral(options.cell, 'cell')}`] : []),
  ];
  return renderSlaSql(topology, {
    eventsSelect: `SELECT ${q('invoiceId')} AS invoice_id, ${stageOrderCase('stage', topology)} AS stage_order,
    ${q(TIMESTREAM_MEASURES.status)} AS status, to_milliseconds(time) AS time_ms, ${q('eventId')} AS tiebreak
  FROM ${timestreamTable(options.database, options.table)}
  WHERE ${where.join(' AND ')}`,
    toMs: `to_milliseconds(${to})`,
    nowMs: 'to_milliseconds(now())',
  });
}

/** Renders a `records` or `sla` query to Timestream SQL. Pure; throws for latency and unsafe input. */
export function renderTimestreamSql(query: RecordsQuery | SlaQuery, options: TimestreamSqlOptions): string {
  if (query.source === 'sla') return renderSla(options);
  if (query.measure === 'latency') {
    throw new UnsupportedQueryError(
      'ingest-to-store latency is not stored in Timestream; render it with renderCloudWatchMetric (IngestToStoreLatency)',
    );
  }
  const M = TIMESTREAM_MEASURES;
  const table = timestreamTable(options.database, options.table);
  const where = [
    `measure_name = ${quoteLiteral(options.measureName ?? INVOICE_MEASURE_NAME, 'measureName')}`,
    `time >= ${timestreamTimeExpression(options.fromParam, 'fromParam')}`,
    `time < ${timestreamTimeExpression(options.toParam, 'toParam')}`,
  ];
  const cell = options.cell ?? query.filters?.cell;
  if (cell !== undefined) where.push(`cell = ${quoteLiteral(cell, 'cell')}`);
  if (query.filters?.stage !== undefined) where.push(`stage = ${quoteLiteral(query.filters.stage, 'stage')}`);
  if (query.filters?.status !== undefined) {
    where.push(`${q(M.status)} = ${quoteLiteral(query.filters.status, 'status')}`);
  }
  if (query.measure === 'dueAmount' || query.timeField === 'dueDate')
    where.push(`${q(M.dueDate)} IS NOT NULL`);
  if (query.measure === 'paymentTermsDays') where.push(`${q(M.paymentTermsDays)} IS NOT NULL`);

  const timeColumn = query.timeField === 'dueDate' ? q(M.dueDate) : 'time';
  const bin = query.timeBin ? binExpression(timeColumn, query.timeBin) : undefined;
  const groups = query.groupBy.map((g) => GROUP_EXPRESSIONS[g]);
  const select = [
    ...(bin ? [`${bin} AS bin_start`] : []),
    ...groups.map((g) => (g.expr === g.alias ? g.expr : `${g.expr} AS ${g.alias}`)),
    `${aggregateExpression(query)} AS value`,
  ];
  const groupBy = [...(bin ? [bin] : []), ...groups.map((g) => g.expr)];
  const orderBy = [...(bin ? ['bin_start'] : []), ...groups.map((g) => g.alias)].map((c) => `${c} ASC`);

  let from = table;
  let prefix = '';
  const conditions = [...where];
  if (query.distinctInvoices) {
    // Each invoice once per group: its latest record among the filtered ones (per stage when
    // grouped by stage), the same rule as the local SQL.
    const partition = [q('invoiceId'), ...(query.groupBy.includes('stage') ? ['stage'] : [])].join(', ');
    prefix = `WITH latest AS (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY time DESC, ${q('eventId')} DESC) AS invoice_rank
  FROM ${table}
  WHERE ${where.join('\n    AND ')}
)
`;
    from = 'latest';
    conditions.splice(0, conditions.length, 'invoice_rank = 1');
  }
  return [
    `${prefix}SELECT ${select.join(', ')}`,
    `FROM ${from}`,
    `WHERE ${conditions.join('\n  AND ')}`,
    ...(groupBy.length > 0 ? [`GROUP BY ${groupBy.join(', ')}`] : []),
    ...(orderBy.length > 0 ? [`ORDER BY ${orderBy.join(', ')}`] : []),
  ].join('\n');
}
