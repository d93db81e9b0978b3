import type { ReconciliationData, StuckRow } from '../../../consumers/reports/monthly-report.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { CellTopology } from '../../topology.js';
import { localReconcileReport } from '../monitoring/reconcile-answer.js';
import type { DatabaseHandle } from '../storage/db.js';
import { LOCAL_STUCK_COUNTS_SQL } from '../storage/monitoring-queries.js';
import { reconcileBinsPrunedBefore } from '../storage/reconcile-counters.js';

/**
 * The monthly report's operational checks on the local cell: invoices stuck past their SLA at the
 * month's end (a range read of the `invoice_state` deadline index, as `/stuck` reads it) and the
 * month's reconciliation (the per-minute counters of `/reconcile`). Both are read at generation
 * time: the deadline index and the queues hold the present, not the past.
 *
 * @example
 * const stuck = reportStuck(db, topology, asOfMs);
 * const { reconciliation, notes } = reportReconciliation(db, topology, { fromMs, toMs, nowMs });
 */

/** Below every epoch-ms time a record can have: the deadline range is read from its start. */
const BEFORE_ALL_MS = -8.64e15;

/**
 * Invoices that are still at a stage whose SLA deadline is before `asOfMs`, per stage with an SLA
 * (0 where none): `deadline_ms < asOfMs` in the deadline index, whose rows are the invoices' present
 * stage (a row leaves the index when its invoice moves on or ends).
 *
 * @example
 * reportStuck(db, topology, Date.parse('2026-11-01T00:00:00Z')); // [{ stage: 'ingestion', invoices: 3 }, ...]
 */
export function reportStuck(db: DatabaseHandle, topology: CellTopology, asOfMs: number): StuckRow[] {
  const counts = new Map<number, number>();
  const rows = db
    .prepare<
      { nowMs: number; enteredFromMs: number; deadlineFromMs: number },
      { stage_order: number; n: number }
    >(LOCAL_STUCK_COUNTS_SQL)
    .all({ nowMs: asOfMs, enteredFromMs: BEFORE_ALL_MS, deadlineFromMs: BEFORE_ALL_MS });
  for (const row of rows) counts.set(row.stage_order, row.n);
  return topology.stages
    .filter((s) => s.slaSec > 0)
    .map((s) => ({ stage: s.name, invoices: counts.get(s.order) ?? 0 }));
}

/** The month's reconciliation and what to say about it. */
export interface ReportReconciliationRead {
  readonly reconciliation: ReconciliationData;
  readonly notes: readonly string[];
}

/**
 * The reconciliation of `[fromMs, toMs)` (the month, by acceptance time) from the per-minute
 * counters, with the month's queued and dead-lettered events as they are at `nowMs`. Incomplete when
 * the counters of the month's start are pruned (`--minute-bin-retention-days`).
 *
 * @example
 * reportReconciliation(db, topology, { fromMs, toMs, nowMs: Date.now() }).reconciliation.complete;
 */
export function reportReconciliation(
  db: DatabaseHandle,
  topology: CellTopology,
  window: { readonly fromMs: number; readonly toMs: number; readonly nowMs: number },
): ReportReconciliationRead {
  const report = localReconcileReport(db, topology, window.fromMs, window.toMs, { nowMs: window.nowMs });
  const prunedBefore = reconcileBinsPrunedBefore(db);
  const complete = prunedBefore <= window.fromMs;
  // The clipped-window note of `localReconcileReport` says what the one below says.
  const notes = report.notes
    .filter((n) => complete || !n.includes('pruned by retention: the window starts there'))
    .map((n) => `reconciliation: ${n}`);
  if (!complete) {
    notes.unshift(
      `reconciliation is incomplete: the per-minute counters before ${isoFromMs(prunedBefore)} are pruned ` +
        `by retention, so only the month from ${isoFromMs(Math.min(prunedBefore, window.toMs))} is reconciled`,
    );
  }
  const stages = report.stages.map((s) => {
    const missing = s.accepted - s.accounted;
    const unnamedMissing = missing - s.missing.length;
    return {
      stage: s.stage,
      accepted: s.accepted,
      stored: s.stored,
      inDlqNow: s.inDlq,
      inFlightNow: s.inFlight,
      missing,
      unexpected: s.unexpected.length + Math.max(0, s.unnamed - unnamedMissing),
      balanced: s.balanced,
    };
  });
  return { reconciliation: { complete, stages }, notes };
}
