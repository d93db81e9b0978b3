import type { CellTopology } from '../../../cells/topology.js';
import { INVOICE_MEASURE_NAME } from '../../record.js';
import { stageSlaMsCase, terminalStatusCondition } from '../../sql/sql-text.js';
import {
  binaryText,
  cellCondition,
  POSTGRESQL_PARAMS as P,
  type PostgresqlSql,
  param,
} from './named-params.js';

/**
 * The stuck-invoice read of the Aurora store: one row per unfinished invoice — its furthest stage,
 * the latest status there (by time, then eventId) and when it entered that stage (its first record
 * time there) — for `findStuckInvoices`, as `timestreamLatestByInvoiceSql` computes over the
 * Timestream records and `localLatestByInvoiceSql` over SQLite's. Columns `invoice_id, stage,
 * status, time_ms, vendor_id` (`LatestByInvoiceRow`; `latestFromRows` reads them).
 *
 * Parameters: `:from_ms` (only invoices with records since then; the look-back), `:cell` (NULL =
 * every cell) and, with `overdueOnly`, `:now_ms`.
 *
 * @example
 * const { sql } = postgresqlLatestByInvoiceSql(topology, { overdueOnly: true });
 * const stuck = findStuckInvoices(latestFromRows(await run(sql, { from_ms, cell: null, now_ms })), topology, now_ms);
 */

export interface PostgresqlLatestOptions {
  /**
   * Return only the rows `findStuckInvoices` can list at `:now_ms`: past their stage SLA and not
   * ended by a terminal status (the Timestream query's `overdueOnly`, with the clock a parameter).
   * `findStuckInvoices` still decides, so the result is the same as without it.
   */
  readonly overdueOnly?: boolean;
}

/**
 * Renders the latest-by-invoice read. Invoices at the last stage are left out in SQL (they can
 * never be stuck, and they are most of the table). Pure.
 *
 * @example
 * postgresqlLatestByInvoiceSql(CELL_TOPOLOGY).sql; // WITH ranked AS ( ... ) SELECT invoice_id, ...
 */
export function postgresqlLatestByInvoiceSql(
  topology: CellTopology,
  options: PostgresqlLatestOptions = {},
): PostgresqlSql {
  const lastOrder = topology.stages.length - 1;
  const overdue = options.overdueOnly
    ? `\n  AND NOT ${terminalStatusCondition('stage_order', 'status', topology)}` +
      `\n  AND entered_ms < ${param(P.nowMs, 'bigint')} - ${stageSlaMsCase('stage_order', topology)}`
    : '';
  const sql = `WITH ranked AS (
  SELECT invoice_id, stage, stage_order, status, vendor_id,
    ROW_NUMBER() OVER (PARTITION BY invoice_id ORDER BY stage_order DESC, time_ms DESC, ${binaryText('event_id')} DESC) AS latest_rank,
    min(time_ms) OVER (PARTITION BY invoice_id, stage_order) AS entered_ms
  FROM records
  WHERE measure_name = '${INVOICE_MEASURE_NAME}' AND time_ms >= ${param(P.fromMs, 'bigint')} AND ${cellCondition('cell')}
)
SELECT invoice_id, stage, status, entered_ms AS time_ms, vendor_id
FROM ranked
WHERE latest_rank = 1 AND stage_order < ${lastOrder}${overdue}
ORDER BY entered_ms, ${binaryText('invoice_id')}`;
  return { sql, params: {} };
}
