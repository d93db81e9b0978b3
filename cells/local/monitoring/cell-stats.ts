import type { FailureKind } from '../../../consumers/stage-processor.js';
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
 * The Prometheus exposition is written by hand: a few counters, gauges and one histogram per stage
 * do not justify a dependency (prom-client is not installed), and the text format is small.
 *
 * @example
 * const stats = assembleStats({ topology, queues, snapshot, state: 'ready', cellName });
 * const text = renderPrometheus(stats, httpCounters);
 */

export type CellState = 'starting' | 'ready' | 'draining';

export interface StageStats {
  readonly accepted: number;
  readonly duplicates: number;
  readonly conflicts: number;
  readonly stored: number;
  readonly processed: number;
  readonly visible: number;
  readonly inFlight: number;
  readonly inDlq: number;
  readonly oldestMessageAgeSec: number | null;
  readonly unaccounted: number;
  readonly deadLettered: number;
  readonly failures: Readonly<Record<FailureKind, number>>;
  readonly storeRetries: number;
  readonly batchesInFlight: number;
  readonly latency: LatencyHistogram & { readonly p50Sec: number | null; readonly p99Sec: number | null };
}

export interface CellStats {
  readonly status: CellState;
  readonly cell: string;
  readonly stages: Readonly<Record<string, StageStats>>;
  readonly totals: {
    readonly accepted: number;
    readonly stored: number;
    readonly visible: number;
    readonly inFlight: number;
    readonly inDlq: number;
    readonly unaccounted: number;
  };
  /** Engine group commits so far, and the most jobs one commit carried. */
  readonly commits: { readonly total: number; readonly largest: number };
}

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

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(pairs: Readonly<Record<string, string>>): string {
  const body = Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');
  return body ? `{${body}}` : '';
}

/** Prometheus text exposition format 0.0.4. `httpRequests` keys are "METHOD route status". */
export function renderPrometheus(stats: CellStats, httpRequests: ReadonlyMap<string, number>): string {
  const lines: string[] = [];
  const metric = (
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    values: readonly [Readonly<Record<string, string>>, number][],
  ) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of values) lines.push(`${name}${labels(l)} ${Number.isFinite(v) ? v : 0}`);
  };
  const perStage = (pick: (s: StageStats) => number | null) =>
    Object.entries(stats.stages).map(
      ([stage, s]) => [{ stage }, pick(s) ?? 0] as [Record<string, string>, number],
    );

  metric('invoice_cell_up', 'gauge', '1 when the cell is ready, 0 while starting or draining.', [
    [{}, stats.status === 'ready' ? 1 : 0],
  ]);
  metric(
    'invoice_cell_events_accepted_total',
    'counter',
    'Events accepted by the API (archived and enqueued).',
    perStage((s) => s.accepted),
  );
  metric(
    'invoice_cell_events_duplicate_total',
    'counter',
    'Events answered as duplicates of an accepted eventId.',
    perStage((s) => s.duplicates),
  );
  metric(
    'invoice_cell_events_conflict_total',
    'counter',
    'Events refused: eventId already accepted with other content.',
    perStage((s) => s.conflicts),
  );
  metric(
    'invoice_cell_records_stored_total',
    'counter',
    'Records written to the time-series store (first writes).',
    perStage((s) => s.stored),
  );
  metric(
    'invoice_cell_messages_processed_total',
    'counter',
    'Messages processed successfully, idempotent rewrites included.',
    perStage((s) => s.processed),
  );
  lines.push(
    '# HELP invoice_cell_processing_failures_total Messages the processor failed, by reason.',
    '# TYPE invoice_cell_processing_failures_total counter',
  );
  for (const [stage, s] of Object.entries(stats.stages)) {
    for (const [kind, n] of Object.entries(s.failures)) {
      lines.push(`invoice_cell_processing_failures_total${labels({ stage, kind })} ${n}`);
    }
  }
  metric(
    'invoice_cell_store_retries_total',
    'counter',
    'Transient store errors retried in-process.',
    perStage((s) => s.storeRetries),
  );
  metric(
    'invoice_cell_dlq_moves_total',
    'counter',
    'Messages moved to the DLQ since start.',
    perStage((s) => s.deadLettered),
  );
  metric(
    'invoice_cell_queue_visible_messages',
    'gauge',
    'Messages waiting in the stage queue.',
    perStage((s) => s.visible),
  );
  metric(
    'invoice_cell_queue_in_flight_messages',
    'gauge',
    'Messages received and not yet deleted.',
    perStage((s) => s.inFlight),
  );
  metric(
    'invoice_cell_dlq_messages',
    'gauge',
    'Messages in the stage DLQ.',
    perStage((s) => s.inDlq),
  );
  metric(
    'invoice_cell_queue_oldest_message_age_seconds',
    'gauge',
    'Age of the oldest message in the stage queue.',
    perStage((s) => s.oldestMessageAgeSec),
  );
  metric(
    'invoice_cell_processor_batches_in_flight',
    'gauge',
    'Processor batches running.',
    perStage((s) => s.batchesInFlight),
  );
  metric(
    'invoice_cell_unaccounted_events',
    'gauge',
    'accepted - stored - visible - inFlight - inDlq.',
    perStage((s) => s.unaccounted),
  );
  lines.push(
    '# HELP invoice_cell_ingest_to_store_seconds Time from API acceptance to the record being stored.',
    '# TYPE invoice_cell_ingest_to_store_seconds histogram',
  );
  for (const [stage, s] of Object.entries(stats.stages)) {
    LATENCY_BUCKETS_SEC.forEach((bound, i) => {
      lines.push(
        `invoice_cell_ingest_to_store_seconds_bucket${labels({ stage, le: String(bound) })} ${s.latency.buckets[i] ?? 0}`,
      );
    });
    lines.push(
      `invoice_cell_ingest_to_store_seconds_bucket${labels({ stage, le: '+Inf' })} ${s.latency.count}`,
    );
    lines.push(`invoice_cell_ingest_to_store_seconds_sum${labels({ stage })} ${s.latency.sumSec}`);
    lines.push(`invoice_cell_ingest_to_store_seconds_count${labels({ stage })} ${s.latency.count}`);
  }
  metric('invoice_cell_commits_total', 'counter', 'Group commits of the engine (ingest, queues, store).', [
    [{}, stats.commits.total],
  ]);
  lines.push(
    '# HELP invoice_cell_http_requests_total HTTP requests by method, route and status.',
    '# TYPE invoice_cell_http_requests_total counter',
  );
  for (const [key, n] of httpRequests) {
    const [method = '', route = '', status = ''] = key.split(' ');
    lines.push(`invoice_cell_http_requests_total${labels({ method, route, status })} ${n}`);
  }
  return `${lines.join('\n')}\n`;
}
