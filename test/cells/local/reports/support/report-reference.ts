import type { DatabaseHandle } from '../../../../../cells/local/storage/db.js';
import type { CellTopology } from '../../../../../cells/topology.js';

/**
 * The report's figures computed the slow, obvious way: raw SQL over the `records` table (and the
 * archive and queues for reconciliation), written here independently of the rollups, the invoice
 * state table and the reconciliation counters the local report source reads.
 */

export interface Window {
  readonly fromMs: number;
  readonly toMs: number;
}

type Row = Record<string, string | number | bigint | null>;

function all(db: DatabaseHandle, sql: string, params: object): Row[] {
  return db.prepare(sql).safeIntegers(true).all(params) as Row[];
}

const num = (v: unknown) => (v === null ? null : Number(v));

/** Each invoice's latest record of `stage` (by time, then eventId) that falls in the window. */
function latestAtStage(stage: string): string {
  return `WITH ranked AS (
    SELECT invoice_id, vendor_id, currency, status, amount_minor, payment_terms_days, time_ms,
      ROW_NUMBER() OVER (PARTITION BY invoice_id ORDER BY time_ms DESC, event_id DESC) AS rn
    FROM records WHERE stage = '${stage}')
  SELECT * FROM ranked WHERE rn = 1 AND time_ms >= :fromMs AND time_ms < :toMs`;
}

export function referenceReceived(db: DatabaseHandle, stage: string, w: Window) {
  return all(
    db,
    `SELECT vendor_id, currency, count(*) AS n, sum(amount_minor) AS minor FROM (${latestAtStage(stage)})
     GROUP BY vendor_id, currency ORDER BY vendor_id, currency`,
    w,
  ).map((r) => ({
    vendorId: String(r.vendor_id),
    currency: String(r.currency),
    invoices: Number(r.n),
    minor: r.minor,
  }));
}

export function referencePosted(db: DatabaseHandle, stage: string, w: Window) {
  return all(
    db,
    `SELECT currency, status, count(*) AS n, sum(amount_minor) AS minor FROM (${latestAtStage(stage)})
     GROUP BY currency, status ORDER BY currency, status`,
    w,
  ).map((r) => ({
    currency: String(r.currency),
    status: String(r.status),
    invoices: Number(r.n),
    minor: r.minor,
  }));
}

export function referencePaymentTerms(db: DatabaseHandle, stage: string, w: Window) {
  return all(
    db,
    `SELECT currency, payment_terms_days AS days, count(*) AS n FROM (${latestAtStage(stage)})
     GROUP BY currency, payment_terms_days ORDER BY currency, payment_terms_days`,
    w,
  ).map((r) => ({ currency: String(r.currency), paymentTermsDays: num(r.days), invoices: Number(r.n) }));
}

/** Invoices whose latest record over all stages is before `asOfMs` and not POSTED nor terminal. */
export function referenceOpen(db: DatabaseHandle, ended: readonly string[], asOfMs: number) {
  const list = ended.map((s) => `'${s}'`).join(', ');
  return all(
    db,
    `WITH ranked AS (
       SELECT invoice_id, currency, status, amount_minor, time_ms,
         ROW_NUMBER() OVER (PARTITION BY invoice_id ORDER BY time_ms DESC, event_id DESC) AS rn
       FROM records)
     SELECT currency, status, count(*) AS n, sum(amount_minor) AS minor FROM ranked
     WHERE rn = 1 AND time_ms < :asOfMs AND status NOT IN (${list})
     GROUP BY currency, status ORDER BY currency, status`,
    { asOfMs },
  ).map((r) => ({
    currency: String(r.currency),
    status: String(r.status),
    invoices: Number(r.n),
    minor: r.minor,
  }));
}

/**
 * Invoices at their furthest stage (first time there = entered), whose latest status there is not
 * terminal, whose stage has an SLA and a next stage, and whose deadline (entered + SLA) is before
 * `asOfMs`: per stage with an SLA.
 */
export function referenceStuck(db: DatabaseHandle, topology: CellTopology, asOfMs: number) {
  const rows = all(
    db,
    `WITH furthest AS (SELECT invoice_id, max(stage_order) AS so FROM records GROUP BY invoice_id),
     at_stage AS (
       SELECT r.invoice_id, r.stage_order, r.status,
         ROW_NUMBER() OVER (PARTITION BY r.invoice_id ORDER BY r.time_ms DESC, r.event_id DESC) AS rn,
         min(r.time_ms) OVER (PARTITION BY r.invoice_id) AS entered_ms
       FROM records AS r JOIN furthest AS f ON f.invoice_id = r.invoice_id AND r.stage_order = f.so)
     SELECT stage_order, status, entered_ms FROM at_stage WHERE rn = 1`,
    {},
  );
  const counts = new Map<string, number>();
  for (const s of topology.stages) if (s.slaSec > 0) counts.set(s.name, 0);
  for (const r of rows) {
    const stage = topology.stages[Number(r.stage_order)];
    if (!stage || stage.slaSec <= 0 || !topology.stages[stage.order + 1]) continue;
    if (stage.terminalStatuses.includes(String(r.status))) continue;
    if (Number(r.entered_ms) + stage.slaSec * 1000 < asOfMs)
      counts.set(stage.name, (counts.get(stage.name) ?? 0) + 1);
  }
  return [...counts].map(([stage, invoices]) => ({ stage, invoices }));
}

/**
 * Per stage: events accepted (archive) in the window by acceptance time, their records stored, and
 * of those accepted, how many sit in the DLQ, in the queue, or nowhere.
 */
export function referenceReconciliation(db: DatabaseHandle, topology: CellTopology, w: Window) {
  return topology.stages.map((stage) => {
    const accepted = all(
      db,
      'SELECT event_id FROM archive WHERE detail_type = :dt AND received_at_ms >= :fromMs AND received_at_ms < :toMs',
      { ...w, dt: stage.detailType },
    ).map((r) => String(r.event_id));
    const stored = new Set(
      all(
        db,
        'SELECT event_id FROM records WHERE stage = :stage AND received_at_ms >= :fromMs AND received_at_ms < :toMs',
        { ...w, stage: stage.name },
      ).map((r) => String(r.event_id)),
    );
    const queuedIn = (name: string) =>
      new Set(
        all(
          db,
          `SELECT m.dedup_id FROM messages AS m JOIN queues AS q ON q.id = m.queue_id WHERE q.name = :name
           AND json_extract(m.body, '$.receivedAtMs') >= :fromMs AND json_extract(m.body, '$.receivedAtMs') < :toMs`,
          { ...w, name },
        ).map((r) => String(r.dedup_id)),
      );
    const dlq = queuedIn(stage.ids.dlq);
    const queue = queuedIn(stage.ids.queue);
    const missing = accepted.filter((id) => !stored.has(id) && !dlq.has(id) && !queue.has(id)).length;
    return {
      stage: stage.name,
      accepted: accepted.length,
      stored: stored.size,
      inDlqNow: dlq.size,
      inFlightNow: queue.size,
      missing,
      unexpected: 0,
      balanced: missing === 0,
    };
  });
}
