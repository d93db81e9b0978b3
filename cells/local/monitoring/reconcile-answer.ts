import {
  type BinEvidence,
  type BinListing,
  type BinnedReconcileReport,
  binKey,
  binnedReport,
  binStartOf,
  binsToList,
  type QueuedEvent,
  RECONCILE_BIN_MS,
  RECONCILE_LIST_LIMITS,
  type ReconcileListLimits,
} from '../../../consumers/monitoring/reconcile-bins.js';
import type { ReconcileAnswer } from '../../../schemas/api/index.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { CellTopology, StageName } from '../../topology.js';
import type { DatabaseHandle } from '../storage/db.js';
import {
  readBinCounts,
  readNamedUnexpected,
  readStageTotals,
  readUnbalancedBins,
  reconcileBinsPrunedBefore,
} from '../storage/reconcile-counters.js';
import { type QueuedRow, ReconcileLookups, readQueuedEvents } from '../storage/reconcile-lookups.js';

/**
 * `GET /reconcile` and the reconcile panel: the events accepted in a window matched against the
 * records stored and the messages still queued or dead-lettered, stage by stage, from the per-bin
 * counters (`reconcile-counters.ts`, `consumers/monitoring/reconcile-bins.ts`). The cost is the
 * number of bins in the window (one range read of the counters) plus the backlog, not the number
 * of events: event ids are read only for the bins that do not balance, at most
 * {@link RECONCILE_LIST_LIMITS} of them. The window is widened to whole minutes.
 *
 * @example
 * const answer = reconcileAnswer(db, topology, Date.now() - 86_400_000, Date.now());
 * if (!answer.balanced) console.error(answer.stages.flatMap((s) => s.missing));
 */

/** How a reconciliation is computed; every field has a default. */
export interface ReconcileOptions {
  /** Now, for the archive's retention horizon (`Date.now()` by default). */
  readonly nowMs?: number;
  /** Days the archive keeps events (the topology's `archiveRetentionDays` by default). */
  readonly archiveRetentionDays?: number;
  readonly limits?: ReconcileListLimits;
}

/**
 * At most this many bins whose counters differ are examined per answer (a window of cells gone
 * wrong everywhere, e.g. records bulk-loaded without acceptance): the rest are left out, with a note.
 */
export const MAX_EXAMINED_BINS = 20_000;

const DAY_MS = 86_400_000;

function accepted(
  row: { detailType: string; receivedAtMs: number } | undefined,
  detailType: string,
  at: number,
) {
  return row !== undefined && row.detailType === detailType && row.receivedAtMs === at;
}

/** The reconciliation of `[fromMs, toMs)` widened to whole minutes (see the module comment). */
export function localReconcileReport(
  db: DatabaseHandle,
  topology: CellTopology,
  fromMs: number,
  toMs: number,
  options: ReconcileOptions = {},
): BinnedReconcileReport {
  const notes: string[] = [];
  const limits = options.limits ?? RECONCILE_LIST_LIMITS;
  const nowMs = options.nowMs ?? Date.now();
  const horizonMs = nowMs - (options.archiveRetentionDays ?? topology.settings.archiveRetentionDays) * DAY_MS;
  const window = { fromMs: binStartOf(fromMs), toMs: binStartOf(toMs - 1) + RECONCILE_BIN_MS };
  const prunedBefore = reconcileBinsPrunedBefore(db);
  if (window.fromMs < prunedBefore) {
    window.fromMs = Math.min(prunedBefore, window.toMs);
    notes.push(
      `reconciliation bins before ${isoFromMs(prunedBefore)} are pruned by retention: the window starts there`,
    );
  }
  const stages = topology.stages.map((s) => s.name);
  const unbalanced = readUnbalancedBins(db, stages, window.fromMs, window.toMs, MAX_EXAMINED_BINS);
  if (unbalanced.length === MAX_EXAMINED_BINS) {
    notes.push(
      `more than ${MAX_EXAMINED_BINS} bins do not balance by their counters; only the oldest ` +
        `${MAX_EXAMINED_BINS} were examined: ask for a narrower window`,
    );
  }
  const lookups = new ReconcileLookups(db);
  const detailTypes = new Map(topology.stages.map((s) => [s.name, s.detailType]));
  const evidence = new Map<string, BinEvidence & { queued: QueuedEvent[]; flagged: string[] }>();
  const evidenceOf = (binStartMs: number, stage: StageName) => {
    const key = binKey({ binStartMs, stage });
    let e = evidence.get(key);
    if (!e) {
      const counts = readBinCounts(db, binStartMs, stage);
      e = { counts, queued: [], flagged: [], beyondArchive: binStartMs < horizonMs };
      evidence.set(key, e);
    }
    return e;
  };
  for (const counts of unbalanced) {
    evidence.set(binKey(counts), {
      counts,
      queued: [],
      flagged: [],
      beyondArchive: counts.binStartMs < horizonMs,
    });
  }
  for (const q of readQueuedEvents(db, topology, window.fromMs, window.toMs)) {
    const e = evidenceOf(binStartOf(q.receivedAtMs), q.stage);
    e.queued.push(resolveQueued(q, e.beyondArchive, lookups, detailTypes.get(q.stage) ?? ''));
  }
  for (const n of readNamedUnexpected(db, window.fromMs, window.toMs)) {
    if (!detailTypes.has(n.stage) || !lookups.isStored(n.eventId, n.stage)) continue;
    evidenceOf(n.binStartMs, n.stage).flagged.push(n.eventId);
  }
  const all = [...evidence.values()];
  return binnedReport({
    window,
    stages,
    totals: readStageTotals(db, stages, window.fromMs, window.toMs),
    evidence: all,
    listings: listBins(binsToList(all, limits), lookups, detailTypes),
    archiveHorizonMs: horizonMs,
    limits,
    notes,
  });
}

function resolveQueued(
  q: QueuedRow,
  beyondArchive: boolean,
  lookups: ReconcileLookups,
  detailType: string,
): QueuedEvent {
  const stored = lookups.isStored(q.eventId, q.stage);
  if (beyondArchive) return { eventId: q.eventId, dlq: q.dlq, stored };
  const isAccepted = accepted(lookups.archived(q.eventId), detailType, q.receivedAtMs);
  return { eventId: q.eventId, dlq: q.dlq, accepted: isAccepted, stored };
}

/** The accepted ids of each chosen bin (one archive range read per minute, shared by the stages). */
function listBins(
  chosen: readonly BinEvidence[],
  lookups: ReconcileLookups,
  detailTypes: ReadonlyMap<string, string>,
): Map<string, BinListing> {
  const byMinute = new Map<number, ReturnType<ReconcileLookups['acceptedIn']>>();
  const listings = new Map<string, BinListing>();
  for (const e of chosen) {
    const { binStartMs, stage } = e.counts;
    let rows = byMinute.get(binStartMs);
    if (!rows) {
      rows = lookups.acceptedIn(binStartMs, binStartMs + RECONCILE_BIN_MS);
      byMinute.set(binStartMs, rows);
    }
    const ids = rows.filter((r) => r.detailType === detailTypes.get(stage)).map((r) => r.eventId);
    listings.set(binKey(e.counts), {
      accepted: ids,
      stored: new Set(ids.filter((id) => lookups.isStored(id, stage))),
    });
  }
  return listings;
}

/** `GET /reconcile`: {@link localReconcileReport} with its window as RFC 3339 too. */
export function reconcileAnswer(
  db: DatabaseHandle,
  topology: CellTopology,
  fromMs: number,
  toMs: number,
  options: ReconcileOptions = {},
): ReconcileAnswer {
  const report = localReconcileReport(db, topology, fromMs, toMs, options);
  return { ...report, from: isoFromMs(report.fromMs), to: isoFromMs(report.toMs) };
}
