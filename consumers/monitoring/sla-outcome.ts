import type { CellTopology, StageName } from '../../cells/topology.js';

/**
 * SLA attainment (the executive `sla` panel, DESIGN §6), judged per invoice and stage entry: the
 * rules of `dashboards/renderers/sla-sql.ts`, written once more as pure functions so a store can
 * keep the outcome of every entry at write time instead of scanning events at read time.
 *
 * An entry is an invoice's presence at stage N: entered at its first record time there, with the
 * latest status there. While N is not the last stage, the entry is:
 * - `met`: the invoice entered N+1 within N's `slaSec` of entering N;
 * - `missed`: it entered N+1 later;
 * - `ended`: it has not entered N+1 and its latest status at N is terminal (e.g. REJECTED);
 * - `open`: it has not entered N+1 and is not ended. Whether an open entry is `pending` or
 *   `missed` depends on the reading time only ({@link openOutcomeAt}), so a store keeps it open
 *   and splits it when the panel is read.
 * An entry at the last stage is not judged (null).
 *
 * @example
 * slaOutcomeOf(CELL_TOPOLOGY, 0, { enteredMs: t, status: 'CAPTURED' }, t + 600_000); // 'met'
 * openOutcomeAt(CELL_TOPOLOGY, 0, t, t + 901_000); // 'missed'
 */

/** The stored outcome of an entry; `open` is split into pending / missed when read. */
export type SlaOutcome = 'met' | 'missed' | 'ended' | 'open';

/** One row of the `sla` panel: per judged stage, the entries entered in the window by outcome. */
export interface SlaCounts {
  readonly stage: StageName;
  readonly met: number;
  readonly missed: number;
  readonly pending: number;
  readonly ended: number;
  /** 100 × met / (met + missed); null when nothing was judged. */
  readonly value: number | null;
}

/** An entry's SLA in ms (0 for the last stage or an unknown one). */
export function slaMsOf(topology: CellTopology, stageOrder: number): number {
  return (topology.stages[stageOrder]?.slaSec ?? 0) * 1000;
}

/**
 * The outcome of the entry at `stageOrder` given when the invoice entered the next stage
 * (undefined: not yet). Null for an entry that is not judged (last stage, unknown stage). Pure.
 */
export function slaOutcomeOf(
  topology: CellTopology,
  stageOrder: number,
  entry: { readonly enteredMs: number; readonly status: string },
  nextEnteredMs: number | undefined,
): SlaOutcome | null {
  const stage = topology.stages[stageOrder];
  if (!stage || stageOrder >= topology.stages.length - 1) return null;
  if (nextEnteredMs !== undefined) {
    return nextEnteredMs - entry.enteredMs <= stage.slaSec * 1000 ? 'met' : 'missed';
  }
  return stage.terminalStatuses.includes(entry.status) ? 'ended' : 'open';
}

/**
 * An open entry read at `nowMs`: `missed` once the SLA has run out (`nowMs − enteredMs > sla`),
 * `pending` before. Pure.
 */
export function openOutcomeAt(
  topology: CellTopology,
  stageOrder: number,
  enteredMs: number,
  nowMs: number,
): 'pending' | 'missed' {
  return nowMs - enteredMs > slaMsOf(topology, stageOrder) ? 'missed' : 'pending';
}

/**
 * The earliest entered time of an open entry still pending at `nowMs` (`enteredMs ≥` it), so a
 * store counts pending entries with one index range read. Pure.
 */
export function pendingSinceMs(topology: CellTopology, stageOrder: number, nowMs: number): number {
  return nowMs - slaMsOf(topology, stageOrder);
}

/**
 * A panel row from the counts of one stage: missed = judged missed + open entries past their SLA;
 * the attainment as `sla-sql.ts` computes it (`100.0 * met / (met + missed)`). Pure.
 *
 * @example
 * slaCountsOf('ingestion', { met: 3, missed: 1, ended: 0, open: 2 }, 1); // missed 2, pending 1, value 60
 */
export function slaCountsOf(
  stage: StageName,
  counts: { readonly met: number; readonly missed: number; readonly ended: number; readonly open: number },
  pending: number,
): SlaCounts {
  const missed = counts.missed + (counts.open - pending);
  const judged = counts.met + missed;
  return {
    stage,
    met: counts.met,
    missed,
    pending,
    ended: counts.ended,
    value: judged > 0 ? (100 * counts.met) / judged : null,
  };
}
