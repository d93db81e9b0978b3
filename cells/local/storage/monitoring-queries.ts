import type { Database } from 'better-sqlite3';
import type { CellTopology, StageName } from '../../../cells/topology.js';
import type { StageEventIds } from '../../../consumers/monitoring/reconcile.js';
import { INVOICE_MEASURE_NAME } from '../../../consumers/record.js';

/**
 * The monitoring reads of the local cell database: latest state per invoice (stuck invoices), the
 * messages of a DLQ, and the id sets of reconciliation. The SQLite side of `consumers/monitoring`,
 * which stays pure.
 */

/** A row of {@link localLatestByInvoiceSql}. */
export type { LatestByInvoiceRow } from '../../../consumers/monitoring/stuck.js';

/**
 * SQLite: one row per invoice with records since `:fromMs` (the look-back; an invoice with no
 * record since then is not considered) in cell `:cell` (NULL = any): columns `invoice_id, stage,
 * status, time_ms, vendor_id`. Invoices already at the last stage are left out in SQL, since they
 * can never be stuck and are most of the table. The latest status is that of the latest record
 * at the furthest stage; `time_ms` is the first record time at that stage.
 */
export function localLatestByInvoiceSql(topology: CellTopology): string {
  const lastOrder = topology.stages.length - 1;
  return `WITH ranked AS (
  SELECT invoice_id, stage, stage_order, status, vendor_id,
    ROW_NUMBER() OVER (PARTITION BY invoice_id ORDER BY stage_order DESC, time_ms DESC, id DESC) AS latest_rank,
    min(time_ms) OVER (PARTITION BY invoice_id, stage_order) AS entered_ms
  FROM records
  WHERE measure_name = '${INVOICE_MEASURE_NAME}' AND time_ms >= :fromMs AND (:cell IS NULL OR cell = :cell)
)
SELECT invoice_id, stage, status, entered_ms AS time_ms, vendor_id
FROM ranked
WHERE latest_rank = 1 AND stage_order < ${lastOrder}
ORDER BY entered_ms, invoice_id`;
}

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

/**
 * SQL of the local id sets for `[fromMs, toMs)` by *acceptance* time (`received_at_ms`, the same
 * clock in all three places, unlike `occurredAt`):
 * - archive: `received_at_ms`; the stage from `detail_type` (topology `detailType`);
 * - records: `received_at_ms` (no index on it: this scans `records`, fine for an ops verb);
 * - messages: the StageMessage body's `receivedAtMs`; the queue name gives the stage and whether
 *   it is the DLQ (topology `ids.queue` / `ids.dlq`); `dedup_id` is the eventId (the relay sets
 *   `MessageDeduplicationId = eventId`). Replayed messages keep the original `receivedAtMs`.
 */
export const LOCAL_RECONCILE_SQL = {
  accepted: `SELECT detail_type, event_id FROM archive
WHERE received_at_ms >= :fromMs AND received_at_ms < :toMs`,
  stored: `SELECT DISTINCT stage, event_id FROM records
WHERE received_at_ms >= :fromMs AND received_at_ms < :toMs`,
  queued: `SELECT q.name AS queue_name, m.dedup_id AS event_id
FROM messages AS m JOIN queues AS q ON q.id = m.queue_id
WHERE json_extract(m.body, '$.receivedAtMs') >= :fromMs AND json_extract(m.body, '$.receivedAtMs') < :toMs`,
} as const;

/** Reads the id sets of every stage of the local cell database for `[fromMs, toMs)`. */
export function localReconcileInputs(
  db: Database,
  topology: CellTopology,
  fromMs: number,
  toMs: number,
): StageEventIds[] {
  const window = { fromMs, toMs };
  const sets = new Map(
    topology.stages.map((s) => [
      s.name,
      {
        accepted: new Set<string>(),
        stored: new Set<string>(),
        inDlq: new Set<string>(),
        inFlight: new Set<string>(),
      },
    ]),
  );
  const byDetailType = new Map(topology.stages.map((s) => [s.detailType, s.name]));
  const byQueue = new Map<string, { stage: StageName; dlq: boolean }>();
  for (const s of topology.stages) {
    byQueue.set(s.ids.queue, { stage: s.name, dlq: false });
    byQueue.set(s.ids.dlq, { stage: s.name, dlq: true });
  }
  const accepted = db
    .prepare<typeof window, { detail_type: string; event_id: string }>(LOCAL_RECONCILE_SQL.accepted)
    .all(window);
  for (const row of accepted) {
    const stage = byDetailType.get(row.detail_type);
    if (stage) sets.get(stage)?.accepted.add(row.event_id);
  }
  const stored = db
    .prepare<typeof window, { stage: string; event_id: string }>(LOCAL_RECONCILE_SQL.stored)
    .all(window);
  for (const row of stored) sets.get(row.stage as StageName)?.stored.add(row.event_id);
  const queued = db
    .prepare<typeof window, { queue_name: string; event_id: string }>(LOCAL_RECONCILE_SQL.queued)
    .all(window);
  for (const row of queued) {
    const where = byQueue.get(row.queue_name);
    if (!where) continue;
    const set = sets.get(where.stage);
    (where.dlq ? set?.inDlq : set?.inFlight)?.add(row.event_id);
  }
  return topology.stages.map((s) => {
    const set = sets.get(s.name) as NonNullable<ReturnType<typeof sets.get>>;
    return { stage: s.name, ...set };
  });
}
