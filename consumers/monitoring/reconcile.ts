import type { StageName } from '../../cells/topology.js';

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
 * This is the set-based form over whole id sets; the local cell reconciles from per-bin counters
 * and reads ids only for the bins that do not balance (`reconcile-bins.ts`), naming the same ids.
 *
 * @example
 * const report = reconcile({ fromMs, toMs }, [{ stage: 'posting', accepted, stored, inDlq, inFlight }]);
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
