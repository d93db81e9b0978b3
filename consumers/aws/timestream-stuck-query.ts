import type { CellTopology } from '../../cells/topology.js';
import { type LatestInvoiceState, latestFromRows } from '../monitoring/stuck.js';
import { INVOICE_MEASURE_NAME } from '../record.js';
import {
  quoteIdentifier,
  quoteLiteral,
  stageOrderCase,
  stageSlaMsCase,
  terminalStatusCondition,
} from '../sql/sql-text.js';
import type { QueryRow } from './timestream-query.js';
import { timestreamTable, timestreamTimeExpression } from './timestream-sql.js';

/**
 * The stuck-invoice query on Timestream: one row per unfinished invoice (its furthest stage, the
 * latest status there and when it entered it), for `findStuckInvoices`.
 */

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
  readonly cell?: string;
  /**
   * Return only the rows {@link findStuckInvoices} can list: past their stage SLA (by the query's
   * `now()`) and not ended by a terminal status. Without it the query returns every unfinished
   * invoice, which at the target load is millions of rows per run; a scheduled monitor sets it.
   * `findStuckInvoices` still decides (with its own clock), so the result is the same.
   */
  readonly overdueOnly?: boolean;
}

/**
 * Timestream: the same rows as {@link localLatestByInvoiceSql} (same column names). Timestream has
 * no stage-order column, so the order comes from the topology as a CASE expression. Pure; throws
 * `QueryParameterError` for an unsafe name or bound.
 */
export function timestreamLatestByInvoiceSql(
  options: TimestreamLatestOptions,
  topology: CellTopology,
): string {
  const lastOrder = topology.stages.length - 1;
  const q = quoteIdentifier;
  const where = [
    `measure_name = '${INVOICE_MEASURE_NAME}'`,
    `time >= ${timestreamTimeExpression(options.fromParam, 'fromParam')}`,
    ...(options.cell !== undefined ? [`cell = ${quoteLiteral(options.cell, 'cell')}`] : []),
  ];
  const overdue = options.overdueOnly
    ? ` AND NOT ${terminalStatusCondition('stage_order', 'status', topology)}` +
      ` AND to_milliseconds(entered_at) < to_milliseconds(now()) - ${stageSlaMsCase('stage_order', topology)}`
    : '';
  return `WITH events AS (
  SELECT ${q('invoiceId')} AS invoice_id, stage, status, time, ${q('vendorId')} AS vendor_id, ${q('eventId')} AS event_id,
    ${stageOrderCase('stage', topology)} AS stage_order
  FROM ${timestreamTable(options.database, options.table)}
  WHERE ${where.join(' AND ')}
),
ranked AS (
  SELECT invoice_id, stage, stage_order, status, vendor_id,
    ROW_NUMBER() OVER (PARTITION BY invoice_id ORDER BY stage_order DESC, time DESC, event_id DESC) AS latest_rank,
    min(time) OVER (PARTITION BY invoice_id, stage_order) AS entered_at
  FROM events
)
SELECT invoice_id, stage, status, to_milliseconds(entered_at) AS time_ms, vendor_id
FROM ranked
WHERE latest_rank = 1 AND stage_order < ${lastOrder}${overdue}
ORDER BY entered_at, invoice_id`;
}
