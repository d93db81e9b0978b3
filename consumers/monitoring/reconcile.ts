import type { Database } from 'better-sqlite3';
import type { CellTopology, StageName } from '../../cells/topology.js';

/**
 * Reconciliation, the seed's "verify count" (DESIGN §4): for a time window and per stage,
 * every accepted event must be stored, in the DLQ, or in flight (still in the stage queue).
 * Differences are reported by eventId:
 *
 * - `missing`: accepted but nowhere — a lost event, the one thing the platform must never do;
 * - `unexpected`: stored (or queued) but never accepted in the window — e.g. the archive row was
 *   pruned by retention, or an event was written by something other than the pipeline.
 *
 * An event may legitimately be in two places for a moment (stored, and still in the queue until
 * its delete commits), so the check is set-based: `accounted` counts accepted events found in at
 * least one place, and a stage is balanced when `accounted === accepted` and nothing is unexpected.
 *
 * @example
 * const report = reconcile({ fromMs, toMs }, localReconcileInputs(db, topology, fromMs, toMs));
 * if (!report.balanced) for (const s of report.stages) console.table(s.missing);
 */

/** The eventIds of one stage, each set taken over the same window. */
export interface StageEventIds {
  readonly stage: StageName;
  /** Accepted by the API (the archive). */
  readonly accepted: Iterable<string>;
  /** Records in the store. */
  readonly stored: Iterable<string>;
  /** Messages in the stage DLQ. */
  readonly inDlq: Iterable<string>;
  /** Messages in the stage queue, received or not. */
  readonly inFlight: Iterable<string>;
}

export interface StageReconciliation {
  readonly stage: StageName;
  readonly accepted: number;
  readonly stored: number;
  readonly inDlq: number;
  readonly inFlight: number;
  /** Accepted events found stored, in the DLQ or in flight. */
  readonly accounted: number;
  /** Accepted but nowhere, sorted. */
  readonly missing: readonly string[];
  /** Stored or queued but not accepted in the window, sorted. */
  readonly unexpected: readonly string[];
  readonly balanced: boolean;
}

export interface ReconcileReport {
  readonly fromMs: number;
  readonly toMs: number;
  readonly stages: readonly StageReconciliation[];
  readonly balanced: boolean;
  readonly missing: number;
  readonly unexpected: number;
}

/** Compares the id sets of every stage. Pure. */
export function reconcile(
  window: { readonly fromMs: number; readonly toMs: number },
  inputs: readonly StageEventIds[],
): ReconcileReport {
  const stages = inputs.map((input): StageReconciliation => {
    const accepted = new Set(input.accepted);
    const stored = new Set(input.stored);
    const inDlq = new Set(input.inDlq);
    const inFlight = new Set(input.inFlight);
    const somewhere = (id: string) => stored.has(id) || inDlq.has(id) || inFlight.has(id);
    const missing = [...accepted].filter((id) => !somewhere(id)).sort();
    const unexpected = [...new Set([...stored, ...inDlq, ...inFlight])]
      .filter((id) => !accepted.has(id))
      .sort();
    return {
      stage: input.stage,
      accepted: accepted.size,
      stored: stored.size,
      inDlq: inDlq.size,
      inFlight: inFlight.size,
      accounted: accepted.size - missing.length,
      missing,
      unexpected,
      balanced: missing.length === 0 && unexpected.length === 0,
    };
  });
  const missing = stages.reduce((n, s) => n + s.missing.length, 0);
  const unexpected = stages.reduce((n, s) => n + s.unexpected.length, 0);
  return {
    fromMs: window.fromMs,
    toMs: window.toMs,
    stages,
    balanced: missing === 0 && unexpected === 0,
    missing,
    unexpected,
  };
}

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
