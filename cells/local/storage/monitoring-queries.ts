import type { CellTopology } from '../../../cells/topology.js';
import { INVOICE_MEASURE_NAME } from '../../../consumers/record.js';

/**
 * The monitoring reads of the local cell database: latest state per invoice (stuck invoices) and the
 * messages of a DLQ (reconciliation reads its counters: `reconcile-counters.ts`,
 * `reconcile-lookups.ts`). The SQLite side of `consumers/monitoring`, which stays pure.
 */

/** A row of {@link localLatestByInvoiceSql}. */
export type { LatestByInvoiceRow } from '../../../consumers/monitoring/stuck.js';

/**
 * SQLite, a scan of `records`: one row per invoice with records since `:fromMs` (an invoice with
 * no record since then is not considered; pass `-1e15` for all history) in cell `:cell` (NULL =
 * any): columns `invoice_id, stage, status, time_ms, vendor_id`. Invoices already at the last
 * stage are left out in SQL, since they can never be stuck and are most of the table. The latest
 * status (and vendor) is that of the latest record at the furthest stage by (time, eventId), the
 * first written on a tie, as the invoice state table decides; `time_ms` is the first record time
 * at that stage. Over all history it is the reference `invoice_state` (`invoice-state-writer.ts`)
 * is tested against; the cell reads the table ({@link LOCAL_STUCK_INVOICES_SQL}).
 */
export function localLatestByInvoiceSql(topology: CellTopology): string {
  const lastOrder = topology.stages.length - 1;
  return `WITH ranked AS (
  SELECT invoice_id, stage, stage_order, status, vendor_id,
    ROW_NUMBER() OVER (PARTITION BY invoice_id ORDER BY stage_order DESC, time_ms DESC, event_id DESC, id) AS latest_rank,
    min(time_ms) OVER (PARTITION BY invoice_id, stage_order) AS entered_ms
  FROM records
  WHERE measure_name = '${INVOICE_MEASURE_NAME}' AND time_ms >= :fromMs AND (:cell IS NULL OR cell = :cell)
)
SELECT invoice_id, stage, status, entered_ms AS time_ms, vendor_id
FROM ranked
WHERE latest_rank = 1 AND stage_order < ${lastOrder}
ORDER BY entered_ms, invoice_id`;
}

/** A row of {@link LOCAL_STUCK_INVOICES_SQL}. */
export interface StuckStateRow {
  readonly invoice_id: string;
  readonly stage_order: number;
  readonly status: string;
  readonly entered_ms: number;
  readonly vendor_id: string;
}

/**
 * SQLite, a range read of the `invoice_state_deadline` index: invoices whose SLA deadline is
 * before `:nowMs` and who entered their stage at or after `:enteredFromMs` (the look-back), of
 * stage `:stageOrder` (NULL = any), earliest deadline (most overdue) first, at most `:limit`.
 * `:deadlineFromMs` bounds the range from below (the look-back start plus the shortest SLA: no
 * row inside the look-back has an earlier deadline), so invoices stuck long before the look-back
 * are never read.
 */
export const LOCAL_STUCK_INVOICES_SQL = `SELECT invoice_id, stage_order, status, entered_ms, vendor_id
FROM invoice_state
WHERE deadline_ms >= :deadlineFromMs AND deadline_ms < :nowMs AND entered_ms >= :enteredFromMs
  AND (:stageOrder IS NULL OR stage_order = :stageOrder)
ORDER BY deadline_ms, invoice_id
LIMIT :limit`;

/**
 * SQLite: stuck invoices per stage order under the bounds of {@link LOCAL_STUCK_INVOICES_SQL},
 * counted in the covering `invoice_state_deadline` index (deadline, stage, entered time).
 */
export const LOCAL_STUCK_COUNTS_SQL = `SELECT stage_order, count(*) AS n
FROM invoice_state
WHERE deadline_ms >= :deadlineFromMs AND deadline_ms < :nowMs AND entered_ms >= :enteredFromMs
GROUP BY stage_order`;

/** A row of {@link LOCAL_DLQ_MESSAGES_SQL}. */
export interface DlqMessageRow {
  readonly message_id: string;
  readonly group_id: string;
  readonly dedup_id: string;
  readonly sent_at_ms: number;
  readonly receive_count: number;
  readonly dead_lettered_at_ms: number | null;
}

/** SQLite: the first `?2` messages of queue `?1` (a DLQ name), oldest first. */
export const LOCAL_DLQ_MESSAGES_SQL = `SELECT m.message_id, m.group_id, m.dedup_id, m.sent_at_ms, m.receive_count, m.dead_lettered_at_ms
FROM messages AS m JOIN queues AS q ON q.id = m.queue_id
WHERE q.name = ? ORDER BY m.seq LIMIT ?`;
