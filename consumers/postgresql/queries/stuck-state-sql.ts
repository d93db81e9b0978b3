import { binaryText, param } from './named-params.js';

/**
 * The stuck-invoice reads of the Aurora store over `invoice_state` (0003_invoice_state.sql): range
 * reads of its partial `invoice_state_deadline` index (`deadline_ms, stage_order, entered_ms`), so
 * their cost follows the number of stuck invoices, not the history — the PostgreSQL twins of the
 * local cell's `LOCAL_STUCK_INVOICES_SQL` / `LOCAL_STUCK_COUNTS_SQL`, with the same bounds:
 *
 * - `:now_ms`: an invoice is stuck iff its deadline is before now (`stuckDeadlineMs`);
 * - `:entered_from_ms`: the look-back; an invoice that entered its stage before it is no longer
 *   listed nor counted (an abandoned invoice leaves the alarm);
 * - `:deadline_from_ms`: the look-back start plus the shortest SLA, the index's lower bound (no
 *   row inside the look-back has an earlier deadline).
 *
 * The table has no cell column: an Aurora cluster holds one cell.
 *
 * @example
 * const { rows } = await executor.execute(POSTGRESQL_STUCK_INVOICES_SQL, [
 *   sqlParam('now_ms', nowMs), sqlParam('entered_from_ms', fromMs), sqlParam('deadline_from_ms', fromMs + 900_000),
 *   sqlParam('stage_order', null), sqlParam('limit', 1_000),
 * ]);
 */

/** Names of the parameters of the stuck reads. */
export const STUCK_STATE_PARAMS = {
  nowMs: 'now_ms',
  enteredFromMs: 'entered_from_ms',
  deadlineFromMs: 'deadline_from_ms',
  /** One stage's position, or NULL for every stage. */
  stageOrder: 'stage_order',
  limit: 'limit',
} as const;

const P = STUCK_STATE_PARAMS;

const BOUNDS = `deadline_ms >= ${param(P.deadlineFromMs, 'bigint')} AND deadline_ms < ${param(P.nowMs, 'bigint')}
  AND entered_ms >= ${param(P.enteredFromMs, 'bigint')}`;

/** A row of {@link POSTGRESQL_STUCK_INVOICES_SQL} (bigints as decimal strings, as the executors answer). */
export interface PostgresqlStuckStateRow {
  readonly invoice_id: string;
  readonly stage_order: number | string;
  readonly status: string;
  readonly entered_ms: number | string;
  readonly vendor_id: string;
}

/**
 * The stuck invoices under the bounds, of stage `:stage_order` (NULL = any), earliest deadline
 * (most overdue) first, ties by invoice id byte order (SQLite's BINARY, as the local cell orders),
 * at most `:limit`.
 */
export const POSTGRESQL_STUCK_INVOICES_SQL = `SELECT invoice_id, stage_order, status, entered_ms, vendor_id
FROM invoice_state
WHERE ${BOUNDS}
  AND (${param(P.stageOrder, 'bigint')} IS NULL OR stage_order = ${param(P.stageOrder, 'bigint')})
ORDER BY deadline_ms, ${binaryText('invoice_id')}
LIMIT ${param(P.limit, 'bigint')}`;

/** Stuck invoices per stage order under the bounds, counted in the covering deadline index. */
export const POSTGRESQL_STUCK_COUNTS_SQL = `SELECT stage_order, count(*) AS n
FROM invoice_state
WHERE ${BOUNDS}
GROUP BY stage_order`;
