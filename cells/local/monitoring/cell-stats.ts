import type { FailureKind } from '../../../consumers/stage-processor.js';
import type { CellStateValue, StageStatsAnswer, StatsAnswer } from '../../../schemas/api/index.js';
import type { CellTopology, StageName } from '../../topology.js';
import { type EngineSnapshot, LATENCY_BUCKETS_SEC, type LatencyHistogram } from '../engine/engine.js';
import type { FifoQueue } from '../messaging/fifo-queue.js';

/**
 * What `GET /stats` and `GET /metrics` report, assembled from the engine snapshot (accepted,
 * duplicates, stored, in flight, oldest message, failures, latency) and the DLQ depth read from
 * the table by the API thread. The reconciliation of DESIGN §4 is one field per stage:
 * `unaccounted = accepted − stored − visible − inFlight − inDlq` (0 when nothing is lost;
 * replays beyond the dedup window add messages without adding records, so it may dip below 0
 * while they drain).
 *
 * `cell-metrics.ts` turns these stats into prom-client metrics.
 *
 * @example
 * const stats = assembleStats({ topology, queues, snapshot, state: 'ready', cellName });
 */

/** The cell's lifecycle state (the contract's `CellStateValue`). */
export type CellState = CellStateValue;

/** One stage's counts in `GET /stats`: the contract's type. */
export type StageStats = StageStatsAnswer;

/** The body of `GET /stats`: the contract's type. */
export type CellStats = StatsAnswer;

/** Quantile estimate from a cumulative histogram: the upper bound of the bucket holding it. */
export function histogramQuantile(h: LatencyHistogram, q: number): number | null {
  if (h.count === 0) return null;
  const rank = q * h.count;
  for (let i = 0; i < LATENCY_BUCKETS_SEC.length; i++) {
    if ((h.buckets[i] ?? 0) >= rank) return LATENCY_BUCKETS_SEC[i] as number;
  }
  return Number.POSITIVE_INFINITY;
}

const EMPTY_FAILURES: Record<FailureKind, number> = {
  invalid: 0,
  rejected: 0,
  transient: 0,
  'group-blocked': 0,
};

export function assembleStats(input: {
  readonly topology: CellTopology;
  readonly queues: ReadonlyMap<StageName, FifoQueue>;
  readonly snapshot: EngineSnapshot | undefined;
  readonly state: CellState;
  readonly cellName: string;
}): CellStats {
  const ingestStats = input.snapshot?.ingest ?? { accepted: {}, duplicates: {}, conflicts: {} };
  const stages: Record<string, StageStats> = {};
  const totals = { accepted: 0, stored: 0, visible: 0, inFlight: 0, inDlq: 0, unaccounted: 0 };
  for (const stage of input.topology.stages) {
    const p = input.snapshot?.stages[stage.name];
    const queue = input.queues.get(stage.name);
    const inDlq = queue?.dlqDepth() ?? 0;
    const a = ingestStats.accepted[stage.name] ?? 0;
    const stored = p?.stored ?? 0;
    // Without a snapshot (processor not answering) fall back to the table's depth.
    const visible = p ? p.visible : (queue?.depth() ?? 0);
    const inFlight = p?.inFlight ?? 0;
    const latency = p?.latency ?? { buckets: LATENCY_BUCKETS_SEC.map(() => 0), count: 0, sumSec: 0 };
    const s: StageStats = {
      accepted: a,
      duplicates: ingestStats.duplicates[stage.name] ?? 0,
      conflicts: ingestStats.conflicts[stage.name] ?? 0,
      stored,
      processed: p?.processed ?? 0,
      visible,
      inFlight,
      inDlq,
      oldestMessageAgeSec: p?.oldestMessageAgeSec ?? null,
      unaccounted: a - stored - visible - inFlight - inDlq,
      deadLettered: p?.deadLettered ?? 0,
      failures: p?.failures ?? EMPTY_FAILURES,
      storeRetries: p?.storeRetries ?? 0,
      batchesInFlight: p?.batchesInFlight ?? 0,
      latency: {
        ...latency,
        p50Sec: histogramQuantile(latency, 0.5),
        p99Sec: histogramQuantile(latency, 0.99),
      },
    };
    stages[stage.name] = s;
    totals.accepted += s.accepted;
    totals.stored += s.stored;
    totals.visible += s.visible;
    totals.inFlight += s.inFlight;
    totals.inDlq += s.inDlq;
    totals.unaccounted += s.unaccounted;
  }
  return {
    status: input.state,
    cell: input.cellName,
    stages,
    totals,
    commits: { total: input.snapshot?.commits ?? 0, largest: input.snapshot?.largestCommit ?? 0 },
  };
}
