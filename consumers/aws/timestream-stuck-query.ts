import type { CellTopology } from '../../cells/topology.js';
import { type LatestInvoiceState, latestFromRows } from '../monitoring/stuck.js';
import { INVOICE_MEASURE_NAME } from '../record.js';
import {
  QueryParameterError,
  quoteIdentifier,
  quoteLiteral,
  stageOrderCase,
  stageSlaMsCase,
  terminalStatusCondition,
} from '../sql/sql-text.js';
import type { QueryRow } from './timestream-query.js';
import { scheduledWindowExpression, timestreamTable, timestreamTimeExpression } from './timestream-sql.js';

/**
 * The stuck-invoice query on Timestream: one row per unfinished invoice (its furthest stage, the
 * latest status there and when it entered it), for `findStuckInvoices`. It reads either the
 * records table (the ops CLI) or the stuck-state rows a scheduled query keeps in the latest-state
 * table ({@link timestreamStuckStateSql}; the stuck monitor), which hold per invoice and stage only
 * the first and the latest record each run saw, instead of every record.
 *
 * @example
 * timestreamLatestByInvoiceSql({ database, table: latestTable, fromParam: 'ago(168h)', source: 'stuckState', overdueOnly: true }, topology);
 */

/** Measure name of the stuck-state rows in the latest-state table. */
export const STUCK_STATE_MEASURE = 'stuck_state';

/** Dimension columns of a stuck-state row (the record table's names). */
export const STUCK_STATE_DIMENSIONS = ['invoiceId', 'stage', 'vendorId', 'eventId'] as const;

/** Measure attributes of a stuck-state row and their Timestream types. */
export const STUCK_STATE_MEASURES = [
  { column: 'status', type: 'VARCHAR' },
  { column: 'stage_order', type: 'BIGINT' },
  { column: 'latest_time', type: 'TIMESTAMP' },
  { column: 'sla_deadline', type: 'TIMESTAMP' },
] as const;

/** The time column of a stuck-state row: when the invoice entered the stage, as far as the run saw. */
export const STUCK_STATE_TIME_COLUMN = 'entered_at';

/** Timestream QueryRows of {@link timestreamLatestByInvoiceSql} to {@link LatestInvoiceState}. Pure. */
export function latestFromTimestreamRows(rows: readonly QueryRow[]): LatestInvoiceState[] {
  return latestFromRows(
    rows.map((r) => {
      const get = (name: string): string => {
        const value = r[name];
        if (value === undefined || value === null) throw new Error(`latest-by-invoice row has no ${name}`);
        return value;
      };
      return {
        invoice_id: get('invoice_id'),
        stage: get('stage'),
        status: get('status'),
        time_ms: get('time_ms'),
        vendor_id: r.vendor_id ?? null,
      };
    }),
  );
}

export interface TimestreamLatestOptions {
  readonly database: string;
  readonly table: string;
  /** Look-back start, e.g. `ago(30d)` (see `TIMESTREAM_WINDOW`). */
  readonly fromParam: string;
  /**
   * What `table` is: the records table (default), or the latest-state table whose stuck-state rows
   * ({@link timestreamStuckStateSql}) the stuck monitor reads.
   */
  readonly source?: 'records' | 'stuckState';
  /** Only this cell's records; `records` only (the latest-state table is one cell's). */
  readonly cell?: string;
  /**
   * Return only the rows {@link findStuckInvoices} can list: past their stage SLA (by the query's
   * `now()`) and not ended by a terminal status. Without it the query returns every unfinished
   * invoice, which at the target load is millions of rows per run; a scheduled monitor sets it.
   * `findStuckInvoices` still decides (with its own clock), so the result is the same.
   */
  readonly overdueOnly?: boolean;
}

/** The `events` CTE: invoice, stage, status, ordering time, first time at the stage, vendor, event. */
function eventsSelect(options: TimestreamLatestOptions, topology: CellTopology): string {
  const q = quoteIdentifier;
  const table = timestreamTable(options.database, options.table);
  const from = `time >= ${timestreamTimeExpression(options.fromParam, 'fromParam')}`;
  if (options.source === 'stuckState') {
    if (options.cell !== undefined) {
      throw new QueryParameterError(
        "cell filters the records table only; the latest-state table is one cell's",
      );
    }
    return `SELECT ${q('invoiceId')} AS invoice_id, stage, status, latest_time AS time, time AS first_time, ${q('vendorId')} AS vendor_id, ${q('eventId')} AS event_id,
    stage_order
  FROM ${table}
  WHERE measure_name = '${STUCK_STATE_MEASURE}' AND ${from}`;
  }
  const where = [
    `measure_name = '${INVOICE_MEASURE_NAME}'`,
    from,
    ...(options.cell !== undefined ? [`cell = ${quoteLiteral(options.cell, 'cell')}`] : []),
  ];
  return `SELECT ${q('invoiceId')} AS invoice_id, stage, status, time, time AS first_time, ${q('vendorId')} AS vendor_id, ${q('eventId')} AS event_id,
    ${stageOrderCase('stage', topology)} AS stage_order
  FROM ${table}
  WHERE ${where.join(' AND ')}`;
}

/**
 * Timestream: the same rows as {@link localLatestByInvoiceSql} (same column names). Timestream has
 * no stage-order column, so the order comes from the topology as a CASE expression. Pure; throws
 * `QueryParameterError` for an unsafe name or bound, or a cell filter on the latest-state table.
 */
export function timestreamLatestByInvoiceSql(
  options: TimestreamLatestOptions,
  topology: CellTopology,
): string {
  const lastOrder = topology.stages.length - 1;
  const overdue = options.overdueOnly
    ? ` AND NOT ${terminalStatusCondition('stage_order', 'status', topology)}` +
      ` AND to_milliseconds(entered_at) < to_milliseconds(now()) - ${stageSlaMsCase('stage_order', topology)}`
    : '';
  return `WITH events AS (
  ${eventsSelect(options, topology)}
),
ranked AS (
  SELECT invoice_id, stage, stage_order, status, vendor_id,
    ROW_NUMBER() OVER (PARTITION BY invoice_id ORDER BY stage_order DESC, time DESC, event_id DESC) AS latest_rank,
    min(first_time) OVER (PARTITION BY invoice_id, stage_order) AS entered_at
  FROM events
)
SELECT invoice_id, stage, status, to_milliseconds(entered_at) AS time_ms, vendor_id
FROM ranked
WHERE latest_rank = 1 AND stage_order < ${lastOrder}${overdue}
ORDER BY entered_at, invoice_id`;
}

/** Where a stuck-state run reads records and what window it covers. */
export interface TimestreamStuckStateOptions {
  readonly database: string;
  /** The records table. */
  readonly table: string;
  /** The run's window over record time: `@scheduled_runtime` expressions (`scheduledWindowExpression`). */
  readonly from: string;
  readonly to: string;
}

/**
 * The scheduled query that keeps the stuck state: per invoice and stage with records in the run's
 * window, one row whose time is the first record time there in the window (when the invoice
 * entered the stage, as far as this run saw), with the latest record's status, event and time, the
 * stage's position and the SLA deadline (`entered + slaSec`). Readers take, per invoice, the
 * furthest stage, the earliest entry and the latest status over every row — what
 * {@link timestreamLatestByInvoiceSql} does over the records — so overlapping and late runs only
 * add rows. A row's values follow from its dimensions and time (the latest event, the entry time),
 * so writing one again never conflicts. Pure; throws `QueryParameterError` for an unsafe name or
 * window.
 *
 * @example
 * timestreamStuckStateSql({ database, table, from: 'bin(@scheduled_runtime, 1m) - 60m', to: '@scheduled_runtime' }, topology);
 */
export function timestreamStuckStateSql(
  options: TimestreamStuckStateOptions,
  topology: CellTopology,
): string {
  const q = quoteIdentifier;
  const from = scheduledWindowExpression(options.from, 'from');
  const to = scheduledWindowExpression(options.to, 'to');
  return `WITH events AS (
  SELECT ${q('invoiceId')}, stage, ${q('vendorId')}, ${q('eventId')}, status, time,
    ${stageOrderCase('stage', topology)} AS stage_order
  FROM ${timestreamTable(options.database, options.table)}
  WHERE measure_name = '${INVOICE_MEASURE_NAME}' AND time >= ${from} AND time < ${to}
),
ranked AS (
  SELECT ${q('invoiceId')}, stage, ${q('vendorId')}, ${q('eventId')}, status, time, stage_order,
    ROW_NUMBER() OVER (PARTITION BY ${q('invoiceId')}, stage ORDER BY time DESC, ${q('eventId')} DESC) AS latest_rank,
    min(time) OVER (PARTITION BY ${q('invoiceId')}, stage) AS ${STUCK_STATE_TIME_COLUMN}
  FROM events
)
SELECT ${STUCK_STATE_TIME_COLUMN}, ${q('invoiceId')}, stage, ${q('vendorId')}, ${q('eventId')}, status, stage_order,
  time AS latest_time,
  from_milliseconds(to_milliseconds(${STUCK_STATE_TIME_COLUMN}) + ${stageSlaMsCase('stage_order', topology)}) AS sla_deadline
FROM ranked
WHERE latest_rank = 1`;
}
