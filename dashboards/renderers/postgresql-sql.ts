import type { CellTopology } from '../../cells/topology.js';
import {
  binaryText,
  cellCondition,
  floorBin,
  POSTGRESQL_PARAMS as P,
  type PostgresqlParam,
  type PostgresqlSql,
  param,
} from '../../consumers/postgresql/queries/named-params.js';
import { INVOICE_MEASURE_NAME } from '../../consumers/record.js';
import { stageOrderCase } from '../../consumers/sql/sql-text.js';
import {
  MONEY_MEASURES,
  PERCENTILES,
  type RecordsQuery,
  type SlaQuery,
  TIME_BINS,
  type TimeBin,
} from '../panels/panel-types.js';
import { WEEK_OFFSET_MS } from '../rollups/bin-start.js';
import { GROUP_COLUMNS, isPercentile, measureColumn } from './local-sql.js';
import { renderSlaSql } from './sla-sql.js';

/**
 * `records` and `sla` panel queries rendered to PostgreSQL SQL over the Aurora store's `records`
 * table (`consumers/postgresql/migrations/0001_records.sql`), for QuickSight data sets and the
 * Aurora cell's reads. The semantics are those of the local reference (`local-sql.ts`), and a test
 * runs every panel through both engines on the same records and compares the rows:
 *
 * - Parameters: RDS Data API named parameters (`named-params.ts`): `:from_ms`, `:to_ms` (the
 *   window, `[from, to)`), `:cell` (NULL = every cell), `:stage` / `:status` when the definition
 *   filters on them (their values come with the SQL), `:now_ms` for SLA attainment.
 * - Time bins: floor division of epoch ms (also before 1970, like `binStartOf`); weeks start on
 *   Monday 00:00 UTC. Latency (`stored_at_ms - received_at_ms`) is windowed and binned on
 *   `stored_at_ms`, every other measure on the record time (or the due date, for due-date bins).
 * - Distinct invoices: each invoice's latest record (per stage when grouped by stage) among the
 *   filtered records over all history, by time then eventId, kept when it falls in the window.
 * - Percentiles: `percentile_disc(p)`, the value at rank ⌈p·n⌉ — local-sql's nearest rank
 *   `(n·P + 99) / 100` (the float fraction is below `P/100` by far less than one rank, so the
 *   ceiling is the same; a test checks every n up to 300 and larger whole-rank sizes).
 * - Averages: `sum / count` in double precision, as SQLite's `avg` (a double of the exact integer
 *   sum, divided), so both engines give the same double; PostgreSQL's own `avg` is numeric.
 * - Money: `sum(amount_minor)`, PostgreSQL's exact numeric (no 64-bit overflow), returned as a
 *   decimal string; never a float.
 * - Order and text: rows in local-sql's order (bin, stage order, group columns), NULLs first as in
 *   SQLite, text compared as bytes (`COLLATE "C"`, SQLite's BINARY) whatever the database's locale.
 * - Vendor names: with `vendorId`, `vendor_name` is the vendor's name on its latest record by time
 *   (eventId on a tie; SQLite's `vendors` table keeps the first written of equal times).
 *
 * @example
 * const { sql, params } = renderPostgresqlSql(panel.query, topology);
 * // bind { ...params, from_ms, to_ms, cell: null }; rows → postgresqlRecordsRows(panel.query, rows)
 */

/** A query the PostgreSQL renderer cannot express. */
export class PostgresqlQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresqlQueryError';
  }
}

function binExpression(column: string, bin: TimeBin): string {
  return floorBin(column, TIME_BINS[bin], bin === '1w' ? WEEK_OFFSET_MS : 0);
}

function aggregateExpression(query: RecordsQuery, value: string | undefined): string {
  if (query.aggregation === 'count') return 'count(*)';
  if (value === undefined) {
    throw new PostgresqlQueryError(
      `aggregation ${query.aggregation} needs a measured value, not ${query.measure}`,
    );
  }
  if (isPercentile(query.aggregation)) {
    if (MONEY_MEASURES.has(query.measure)) throw new PostgresqlQueryError('money has no percentiles');
    return `percentile_disc(${(PERCENTILES[query.aggregation] / 100).toFixed(2)}) WITHIN GROUP (ORDER BY ${value})`;
  }
  if (query.aggregation === 'avg') {
    if (MONEY_MEASURES.has(query.measure)) throw new PostgresqlQueryError('money is not averaged');
    return `CAST(sum(${value}) AS double precision) / count(${value})`;
  }
  if (query.aggregation === 'sum') return `sum(${value})`;
  throw new PostgresqlQueryError(`aggregation ${String(query.aggregation)} is not known`);
}

/** The vendor's name on its latest record, for a query grouped by vendor. */
const VENDOR_NAME = `(SELECT v.vendor_name FROM records AS v
    WHERE v.measure_name = '${INVOICE_MEASURE_NAME}' AND v.vendor_id = filtered.vendor_id
    ORDER BY v.time_ms DESC, ${binaryText('v.event_id')}
    LIMIT 1) AS vendor_name`;

function renderRecords(query: RecordsQuery): PostgresqlSql {
  const params: Record<string, PostgresqlParam> = {};
  // A latency belongs to the moment it was measured, as in local-sql and the CloudWatch metric.
  const windowColumn = query.measure === 'latency' ? 'stored_at_ms' : 'time_ms';
  const window = [
    `${windowColumn} >= ${param(P.fromMs, 'bigint')}`,
    `${windowColumn} < ${param(P.toMs, 'bigint')}`,
  ];
  // Distinct invoices rank over all history and apply the window to the latest record only.
  const where = [
    `measure_name = '${INVOICE_MEASURE_NAME}'`,
    ...(query.distinctInvoices ? [] : window),
    cellCondition('cell'),
  ];
  const { filters } = query;
  if (filters?.stage !== undefined) {
    where.push(`stage = ${param(P.stage, 'text')}`);
    params[P.stage] = filters.stage;
  }
  if (filters?.status !== undefined) {
    where.push(`status = ${param(P.status, 'text')}`);
    params[P.status] = filters.status;
  }
  if (filters?.cell !== undefined) params[P.cell] = filters.cell;
  if (query.measure === 'dueAmount' || query.timeField === 'dueDate') where.push('due_date_ms IS NOT NULL');
  if (query.measure === 'paymentTermsDays') where.push('payment_terms_days IS NOT NULL');

  const groupsByStage = query.groupBy.includes('stage');
  const rank = query.distinctInvoices
    ? `,\n    ROW_NUMBER() OVER (PARTITION BY invoice_id${groupsByStage ? ', stage' : ''} ORDER BY time_ms DESC, ${binaryText('event_id')} DESC) AS invoice_rank`
    : '';
  const only = query.distinctInvoices ? `\nWHERE invoice_rank = 1 AND ${window.join(' AND ')}` : '';
  const timeColumn = query.timeField === 'dueDate' ? 'due_date_ms' : windowColumn;
  const bin = query.timeBin ? binExpression(timeColumn, query.timeBin) : undefined;
  const groupColumns = query.groupBy.map((g) => GROUP_COLUMNS[g]);
  const value = aggregateExpression(query, measureColumn(query));
  const select = [
    ...(bin ? [`${bin} AS bin_start`] : []),
    ...groupColumns,
    ...(query.groupBy.includes('vendorId') ? [VENDOR_NAME] : []),
    `${value} AS value`,
  ];
  const keys = [...(bin ? ['bin_start'] : []), ...groupColumns];
  const order = [
    ...(bin ? ['bin_start'] : []),
    ...(groupsByStage ? ['min(stage_order)'] : []),
    ...groupColumns.map((c) => (c === 'payment_terms_days' ? c : binaryText(c))),
  ].map((c) => `${c} NULLS FIRST`);
  // Without groups an aggregate answers one row even over no records; local-sql's percentile
  // (a ranked row) answers none, its count and avg one.
  const having = keys.length === 0 && isPercentile(query.aggregation) ? '\nHAVING count(*) > 0' : '';
  const sql = `WITH filtered AS (
  SELECT *${rank}
  FROM records
  WHERE ${where.join('\n    AND ')}
)
SELECT ${select.join(', ')}
FROM filtered${only}${keys.length > 0 ? `\nGROUP BY ${keys.join(', ')}` : ''}${having}${
    order.length > 0 ? `\nORDER BY ${order.join(', ')}` : ''
  }`;
  return { sql, params };
}

function renderSla(topology: CellTopology): PostgresqlSql {
  const sla = renderSlaSql(topology, {
    eventsSelect: `SELECT invoice_id, stage_order, status, time_ms, ${binaryText('event_id')} AS tiebreak
  FROM records
  WHERE measure_name = '${INVOICE_MEASURE_NAME}' AND ${cellCondition('cell')}`,
    fromMs: param(P.fromMs, 'bigint'),
    toMs: param(P.toMs, 'bigint'),
    nowMs: param(P.nowMs, 'bigint'),
  });
  // The shared SQL's `100.0 * met / (met + missed)` is numeric in PostgreSQL; SQLite computes it
  // in double precision, and so does this (the same double, not a rounded decimal of it).
  const sql = `SELECT stage, met, missed, pending, ended,
  CASE WHEN met + missed > 0 THEN CAST(100 AS double precision) * met / (met + missed) END AS value
FROM (
${sla}
) AS sla
ORDER BY ${stageOrderCase('stage', topology)}`;
  return { sql, params: {} };
}

/**
 * Renders a `records` or `sla` query to PostgreSQL SQL with named parameters. `records` output
 * columns: `bin_start` (epoch ms, when binned), the group columns of `GROUP_COLUMNS`, `vendor_name`
 * (with `vendorId`) and `value` (money: a numeric sum of minor units). `sla` output columns:
 * `stage, met, missed, pending, ended, value`. Pure; throws {@link PostgresqlQueryError}.
 *
 * @example
 * const { sql, params } = renderPostgresqlSql(panel.query, CELL_TOPOLOGY);
 * // params: { stage: 'ingestion' } for a stage filter; add from_ms, to_ms, cell (and now_ms for sla)
 */
export function renderPostgresqlSql(query: RecordsQuery | SlaQuery, topology: CellTopology): PostgresqlSql {
  return query.source === 'sla' ? renderSla(topology) : renderRecords(query);
}
