import { RECONCILE_BIN_MS } from '../../monitoring/reconcile-bins.js';
import { INVOICE_MEASURE_NAME } from '../../record.js';
import { QueryParameterError } from '../../sql/sql-text.js';
import {
  cellCondition,
  floorBin,
  POSTGRESQL_PARAMS as P,
  type PostgresqlSql,
  param,
} from './named-params.js';

/**
 * The `stored` side of reconciliation on the Aurora store: records per stage and per minute of
 * *acceptance* time (`received_at_ms`, the clock the archive and the queues share), for the bins
 * that start in `[:from_ms, :to_ms)` — what the local cell's `reconcile_bins.stored` counters hold
 * (`readUnbalancedBins` / `readStageTotals`), counted from the records. Bins are `binStartOf` of
 * `reconcile-bins.ts`: floor division, also before 1970. Columns `bin_start_ms, stage, stored`,
 * oldest bin first, then stage order; bins without records are absent.
 *
 * Parameters: `:from_ms`, `:to_ms`, `:cell` (NULL = every cell).
 *
 * @example
 * const { sql } = postgresqlReconcileStoredSql();
 * const rows = await run(sql, { from_ms, to_ms, cell: null }); // [{ bin_start_ms, stage, stored }]
 */

/**
 * Renders the per-bin stored count. The `received_at_ms` range is a superset of the bins' (a bin
 * starting before `to` holds records up to a minute later), so the `records_received` index
 * bounds the scan and the bin condition decides. Pure; throws `QueryParameterError` for a bin width
 * that is not a positive integer.
 *
 * @example
 * postgresqlReconcileStoredSql(60_000).sql;
 */
export function postgresqlReconcileStoredSql(binMs: number = RECONCILE_BIN_MS): PostgresqlSql {
  if (!Number.isSafeInteger(binMs) || binMs <= 0) {
    throw new QueryParameterError(`binMs must be a positive integer, got ${binMs}`);
  }
  const from = param(P.fromMs, 'bigint');
  const to = param(P.toMs, 'bigint');
  const bin = floorBin('received_at_ms', binMs);
  const sql = `SELECT ${bin} AS bin_start_ms, stage, count(*) AS stored
FROM records
WHERE measure_name = '${INVOICE_MEASURE_NAME}' AND ${cellCondition('cell')}
  AND received_at_ms >= ${from} AND received_at_ms < ${to} + ${binMs}
  AND ${bin} >= ${from} AND ${bin} < ${to}
GROUP BY bin_start_ms, stage
ORDER BY bin_start_ms, min(stage_order), stage COLLATE "C"`;
  return { sql, params: {} };
}
