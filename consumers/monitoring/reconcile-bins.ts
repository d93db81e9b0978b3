import type { StageName } from '../../cells/topology.js';
import { isoFromMs } from '../../schemas/time.js';
import type { ReconcileReport, StageReconciliation } from './reconcile.js';

/**
 * Reconciliation from per-bin counters (issue 9): the verify count of DESIGN §4 at the cost of
 * the bins in the window, not of the events. Per stage and minute of *acceptance* time the cell
 * keeps how many events were accepted (archived once), how many records were stored, and how many
 * records were stored without an acceptance to match. A bin whose counters agree and which has
 * nothing queued is balanced without looking at one event id. Otherwise the queued messages of the
 * bin (the backlog, which is small) are resolved by id, which gives an upper bound of the events
 * found nowhere ({@link missingBound}); only a bin whose bound is not 0 has its accepted ids listed
 * (bounded by {@link RECONCILE_LIST_LIMITS}), so `missing` and `unexpected` name events as the
 * set-based `reconcile` does. What cannot be named (a bin past the archive's retention, or past the
 * listing limits) is counted in the stage's `unnamed`, explained in `notes`, and unbalances it.
 *
 * @example
 * const toList = binsToList(evidence, RECONCILE_LIST_LIMITS);
 * const report = binnedReport({ window, stages, totals, evidence, listings: listAll(toList), notes: [] });
 */

/** Width of a reconciliation bin: window edges are exact to the minute. */
export const RECONCILE_BIN_MS = 60_000;

/**
 * How much one answer lists by id: at most 60 bins (a bin is one stage and one minute) and
 * 50,000 accepted events looked up (about a quarter of a second on the local cell). What is left
 * is counted, not named; a narrower window names it.
 */
export const RECONCILE_LIST_LIMITS: ReconcileListLimits = { bins: 60, events: 50_000 };

export interface ReconcileListLimits {
  readonly bins: number;
  readonly events: number;
}

/** Start of the bin holding `ms` (also for times before 1970). Pure. */
export function binStartOf(ms: number, binMs = RECONCILE_BIN_MS): number {
  return ms - (((ms % binMs) + binMs) % binMs);
}

/** The counters of one stage in one bin of acceptance time. */
export interface BinCounts {
  readonly stage: StageName;
  readonly binStartMs: number;
  /** Events accepted (first archived) in the bin. */
  readonly accepted: number;
  /** Records of the bin in the store. */
  readonly stored: number;
  /** Records first written without a matching acceptance (never decremented). */
  readonly unaccepted: number;
}

/** A message of the bin in the stage queue or its DLQ, resolved by id. */
export interface QueuedEvent {
  readonly eventId: string;
  readonly dlq: boolean;
  /** The archive holds it for this stage at this received time; undefined past the archive's retention. */
  readonly accepted?: boolean;
  /** A record of it is stored (it may be both, until the message's delete commits). */
  readonly stored: boolean;
}

/** What the counters and the backlog say about one bin that the counters alone do not balance. */
export interface BinEvidence {
  readonly counts: BinCounts;
  readonly queued: readonly QueuedEvent[];
  /** Records of the bin stored without acceptance that are named (a bounded sample), still stored. */
  readonly flagged: readonly string[];
  /** The bin is older than the archive's retention: its accepted ids cannot be listed. */
  readonly beyondArchive: boolean;
}

/** The accepted ids of a listed bin (its archive rows) and which of them are stored. */
export interface BinListing {
  readonly accepted: readonly string[];
  readonly stored: ReadonlySet<string>;
}

/** One stage's reconciliation with what could not be named. */
export interface BinnedStageReconciliation extends StageReconciliation {
  /** Events that do not balance but could not be named (see the report's `notes`). */
  readonly unnamed: number;
}

/** The reconciliation of a window from per-bin counters. */
export interface BinnedReconcileReport extends ReconcileReport {
  readonly stages: readonly BinnedStageReconciliation[];
  /** Bin width; `fromMs`/`toMs` are the window widened to whole bins. */
  readonly binMs: number;
  /** Bins (one stage, one minute) with counters in the window. */
  readonly binsChecked: number;
  /** Bins the counters alone do not balance (a difference, or something queued). */
  readonly unbalancedBins: number;
  /** Bins whose accepted event ids were listed. */
  readonly listedBins: number;
  /** Bins that do not balance and whose events could not be named. */
  readonly unlistedBins: number;
  readonly notes: readonly string[];
}

/** A stage's counter sums over the window. */
export interface StageTotals {
  readonly stage: StageName;
  readonly accepted: number;
  readonly stored: number;
  readonly bins: number;
}

/** Key of a bin in maps: `<binStartMs>|<stage>`. */
export function binKey(counts: Pick<BinCounts, 'binStartMs' | 'stage'>): string {
  return `${counts.binStartMs}|${counts.stage}`;
}

/** Whether the counters alone prove a bin: all accepted stored, nothing unaccepted, nothing queued. */
export function balancedByCounts(counts: BinCounts, queued: readonly QueuedEvent[]): boolean {
  return counts.accepted === counts.stored && counts.unaccepted === 0 && queued.length === 0;
}

/**
 * An upper bound of the bin's accepted events found nowhere: accepted − (stored − unaccepted) −
 * the accepted messages still queued and not stored. 0 proves nothing is missing; a positive value
 * may be a loss (or an unaccepted record deleted since); a negative one means more is stored than
 * accepted (records the write did not recognise as unaccepted). Pure.
 */
export function missingBound(evidence: BinEvidence): number {
  const c = evidence.counts;
  const queuedAccepted = new Set(
    evidence.queued.filter((q) => q.accepted !== false && !q.stored).map((q) => q.eventId),
  );
  return c.accepted - c.stored + c.unaccepted - queuedAccepted.size;
}

/**
 * The bins to list by id: those within the archive's retention whose bound is not 0, oldest
 * first, at most `limits.bins` of them and `limits.events` accepted events in all. Pure.
 */
export function binsToList(evidence: readonly BinEvidence[], limits: ReconcileListLimits): BinEvidence[] {
  const candidates = evidence
    .filter((e) => !e.beyondArchive && missingBound(e) !== 0)
    .sort((a, b) => a.counts.binStartMs - b.counts.binStartMs || (a.counts.stage < b.counts.stage ? -1 : 1));
  const chosen: BinEvidence[] = [];
  let events = 0;
  for (const e of candidates) {
    if (chosen.length >= limits.bins) break;
    if (events + e.counts.accepted > limits.events) continue;
    chosen.push(e);
    events += e.counts.accepted;
  }
  return chosen;
}

interface BinOutcome {
  readonly missing: readonly string[];
  readonly unexpected: readonly string[];
  readonly unnamedMissing: number;
  readonly unnamedUnexpected: number;
}

/** What one bin contributes: named ids where it was listed or proven, counts where not. Pure. */
export function binOutcome(evidence: BinEvidence, listing?: BinListing): BinOutcome {
  const c = evidence.counts;
  const unexpected = [
    ...new Set([
      ...evidence.queued.filter((q) => q.accepted === false).map((q) => q.eventId),
      ...evidence.flagged,
    ]),
  ];
  if (listing) {
    const queued = new Set(evidence.queued.map((q) => q.eventId));
    const missing = listing.accepted.filter((id) => !listing.stored.has(id) && !queued.has(id));
    const surplus = c.stored - listing.stored.size - evidence.flagged.length;
    return { missing, unexpected, unnamedMissing: 0, unnamedUnexpected: Math.max(0, surplus) };
  }
  const bound = missingBound(evidence);
  if (bound === 0) {
    // Everything stored beyond the accepted ones is an unaccepted record; some may be unnamed.
    return {
      missing: [],
      unexpected,
      unnamedMissing: 0,
      unnamedUnexpected: Math.max(0, c.unaccepted - evidence.flagged.length),
    };
  }
  return {
    missing: [],
    unexpected,
    unnamedMissing: Math.max(0, bound),
    unnamedUnexpected: Math.max(0, -bound),
  };
}

/** The input of {@link binnedReport}. */
export interface BinnedReportInput {
  /** The window, already widened to whole bins. */
  readonly window: { readonly fromMs: number; readonly toMs: number };
  readonly binMs?: number;
  readonly stages: readonly StageName[];
  readonly totals: readonly StageTotals[];
  /** Every bin of the window the counters alone do not balance. */
  readonly evidence: readonly BinEvidence[];
  /** Listings of the bins chosen by {@link binsToList}, by {@link binKey}. */
  readonly listings: ReadonlyMap<string, BinListing>;
  /** Start of the oldest bin within the archive's retention (for the note). */
  readonly archiveHorizonMs?: number;
  /** The limits the listings were chosen with (for the note); {@link RECONCILE_LIST_LIMITS} by default. */
  readonly limits?: ReconcileListLimits;
  /** Notes of the caller (window clipped, evidence cut). */
  readonly notes: readonly string[];
}

interface StageAccumulator {
  missing: string[];
  unexpected: Set<string>;
  unnamedMissing: number;
  unnamedUnexpected: number;
  inDlq: Set<string>;
  inFlight: Set<string>;
}

/** Assembles the report from the totals, the evidence of the unbalanced bins and the listings. Pure. */
export function binnedReport(input: BinnedReportInput): BinnedReconcileReport {
  const acc = new Map<StageName, StageAccumulator>(
    input.stages.map((s) => [
      s,
      {
        missing: [],
        unexpected: new Set(),
        unnamedMissing: 0,
        unnamedUnexpected: 0,
        inDlq: new Set(),
        inFlight: new Set(),
      },
    ]),
  );
  let unlistedBins = 0;
  let beyond = 0;
  for (const e of input.evidence) {
    const a = acc.get(e.counts.stage);
    if (!a) continue;
    for (const q of e.queued) (q.dlq ? a.inDlq : a.inFlight).add(q.eventId);
    const outcome = binOutcome(e, input.listings.get(binKey(e.counts)));
    a.missing.push(...outcome.missing);
    for (const id of outcome.unexpected) a.unexpected.add(id);
    a.unnamedMissing += outcome.unnamedMissing;
    a.unnamedUnexpected += outcome.unnamedUnexpected;
    if (outcome.unnamedMissing + outcome.unnamedUnexpected > 0) {
      unlistedBins++;
      if (e.beyondArchive) beyond++;
    }
  }
  const totals = new Map(input.totals.map((t) => [t.stage, t]));
  const stages = input.stages.map((stage): BinnedStageReconciliation => {
    const a = acc.get(stage) as StageAccumulator;
    const t = totals.get(stage);
    const accepted = t?.accepted ?? 0;
    const missing = a.missing.sort();
    const unexpected = [...a.unexpected].sort();
    const unnamed = a.unnamedMissing + a.unnamedUnexpected;
    return {
      stage,
      accepted,
      stored: t?.stored ?? 0,
      inDlq: a.inDlq.size,
      inFlight: a.inFlight.size,
      accounted: Math.max(0, accepted - missing.length - a.unnamedMissing),
      missing,
      unexpected,
      balanced: missing.length === 0 && unexpected.length === 0 && unnamed === 0,
      unnamed,
    };
  });
  const missing = stages.reduce((n, s) => n + s.missing.length, 0);
  const unexpected = stages.reduce((n, s) => n + s.unexpected.length, 0);
  return {
    fromMs: input.window.fromMs,
    toMs: input.window.toMs,
    stages,
    balanced: stages.every((s) => s.balanced),
    missing,
    unexpected,
    binMs: input.binMs ?? RECONCILE_BIN_MS,
    binsChecked: input.totals.reduce((n, t) => n + t.bins, 0),
    unbalancedBins: input.evidence.length,
    listedBins: input.listings.size,
    unlistedBins,
    notes: [
      ...input.notes,
      ...unlistedNotes(unlistedBins, beyond, input.archiveHorizonMs, input.limits ?? RECONCILE_LIST_LIMITS),
    ],
  };
}

function unlistedNotes(
  unlisted: number,
  beyond: number,
  horizonMs: number | undefined,
  limits: ReconcileListLimits,
): string[] {
  const notes: string[] = [];
  if (beyond > 0) {
    const since = horizonMs === undefined ? '' : ` (received before ${isoFromMs(horizonMs)})`;
    notes.push(
      `${beyond} bin(s) that do not balance are older than the archive's retention${since}: their ` +
        'accepted events are pruned from the archive, so they are compared by count only (stage `unnamed`)',
    );
  }
  if (unlisted > beyond) {
    notes.push(
      `${unlisted - beyond} bin(s) that do not balance were not listed by event id (at most ` +
        `${limits.bins} bins and ${limits.events} accepted events per answer, ` +
        'or more records stored than accepted that the write did not name): their differences are ' +
        'counted in the stage `unnamed`; a narrower window names them',
    );
  }
  return notes;
}
