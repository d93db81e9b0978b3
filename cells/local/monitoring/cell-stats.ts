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
 * The Prometheus exposition is written by hand: a few counters, gauges and one histogram per stage
 * do not justify a dependency (prom-client is not installed), and the text format is small.
 *
 * @example
 * const stats = assembleStats({ topology, queues, snapshot, state: 'ready', cellName });
 * const text = renderPrometheus(stats, httpCounters);
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

type Labels = Readonly<Record<string, string>>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(pairs: Labels): string {
  const body = Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');
  return body ? `{${body}}` : '';
}

/** A series reported once per stage, picked from its {@link StageStats} (null reads as 0). */
interface StageMetric {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly pick: (s: StageStats) => number | null;
}

/** Per-stage series before the failure counters, in exposition order. */
const STAGE_METRICS_BEFORE_FAILURES: readonly StageMetric[] = [
  {
    name: 'invoice_cell_events_accepted_total',
    type: 'counter',
    help: 'Events accepted by the API (archived and enqueued).',
    pick: (s) => s.accepted,
  },
  {
    name: 'invoice_cell_events_duplicate_total',
    type: 'counter',
    help: 'Events answered as duplicates of an accepted eventId.',
    pick: (s) => s.duplicates,
  },
  {
    name: 'invoice_cell_events_conflict_total',
    type: 'counter',
    help: 'Events refused: eventId already accepted with other content.',
    pick: (s) => s.conflicts,
  },
  {
    name: 'invoice_cell_records_stored_total',
    type: 'counter',
    help: 'Records written to the time-series store (first writes).',
    pick: (s) => s.stored,
  },
  {
    name: 'invoice_cell_messages_processed_total',
    type: 'counter',
    help: 'Messages processed successfully, idempotent rewrites included.',
    pick: (s) => s.processed,
  },
];

/** Per-stage series after the failure counters and before the latency histogram. */
const STAGE_METRICS_AFTER_FAILURES: readonly StageMetric[] = [
  {
    name: 'invoice_cell_store_retries_total',
    type: 'counter',
    help: 'Transient store errors retried in-process.',
    pick: (s) => s.storeRetries,
  },
  {
    name: 'invoice_cell_dlq_moves_total',
    type: 'counter',
    help: 'Messages moved to the DLQ since start.',
    pick: (s) => s.deadLettered,
  },
  {
    name: 'invoice_cell_queue_visible_messages',
    type: 'gauge',
    help: 'Messages waiting in the stage queue.',
    pick: (s) => s.visible,
  },
  {
    name: 'invoice_cell_queue_in_flight_messages',
    type: 'gauge',
    help: 'Messages received and not yet deleted.',
    pick: (s) => s.inFlight,
  },
  {
    name: 'invoice_cell_dlq_messages',
    type: 'gauge',
    help: 'Messages in the stage DLQ.',
    pick: (s) => s.inDlq,
  },
  {
    name: 'invoice_cell_queue_oldest_message_age_seconds',
    type: 'gauge',
    help: 'Age of the oldest message in the stage queue.',
    pick: (s) => s.oldestMessageAgeSec,
  },
  {
    name: 'invoice_cell_processor_batches_in_flight',
    type: 'gauge',
    help: 'Processor batches running.',
    pick: (s) => s.batchesInFlight,
  },
  {
    name: 'invoice_cell_unaccounted_events',
    type: 'gauge',
    help: 'accepted - stored - visible - inFlight - inDlq.',
    pick: (s) => s.unaccounted,
  },
];

function metricLines(
  name: string,
  type: 'counter' | 'gauge',
  help: string,
  values: readonly (readonly [Labels, number])[],
): string[] {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const [l, v] of values) lines.push(`${name}${labels(l)} ${Number.isFinite(v) ? v : 0}`);
  return lines;
}

function stageMetricLines(stats: CellStats, m: StageMetric): string[] {
  const values = Object.entries(stats.stages).map(([stage, s]) => [{ stage }, m.pick(s) ?? 0] as const);
  return metricLines(m.name, m.type, m.help, values);
}

function failureLines(stats: CellStats): string[] {
  const lines = [
    '# HELP invoice_cell_processing_failures_total Messages the processor failed, by reason.',
    '# TYPE invoice_cell_processing_failures_total counter',
  ];
  for (const [stage, s] of Object.entries(stats.stages)) {
    for (const [kind, n] of Object.entries(s.failures)) {
      lines.push(`invoice_cell_processing_failures_total${labels({ stage, kind })} ${n}`);
    }
  }
  return lines;
}

function latencyLines(stats: CellStats): string[] {
  const name = 'invoice_cell_ingest_to_store_seconds';
  const lines = [
    `# HELP ${name} Time from API acceptance to the record being stored.`,
    `# TYPE ${name} histogram`,
  ];
  for (const [stage, s] of Object.entries(stats.stages)) {
    LATENCY_BUCKETS_SEC.forEach((bound, i) => {
      lines.push(`${name}_bucket${labels({ stage, le: String(bound) })} ${s.latency.buckets[i] ?? 0}`);
    });
    lines.push(`${name}_bucket${labels({ stage, le: '+Inf' })} ${s.latency.count}`);
    lines.push(`${name}_sum${labels({ stage })} ${s.latency.sumSec}`);
    lines.push(`${name}_count${labels({ stage })} ${s.latency.count}`);
  }
  return lines;
}

function httpRequestLines(httpRequests: ReadonlyMap<string, number>): string[] {
  const lines = [
    '# HELP invoice_cell_http_requests_total HTTP requests by method, route and status.',
    '# TYPE invoice_cell_http_requests_total counter',
  ];
  for (const [key, n] of httpRequests) {
    const [method = '', route = '', status = ''] = key.split(' ');
    lines.push(`invoice_cell_http_requests_total${labels({ method, route, status })} ${n}`);
  }
  return lines;
}

/** Prometheus text exposition format 0.0.4. `httpRequests` keys are "METHOD route status". */
export function renderPrometheus(stats: CellStats, httpRequests: ReadonlyMap<string, number>): string {
  const lines = [
    ...metricLines('invoice_cell_up', 'gauge', '1 when the cell is ready, 0 while starting or draining.', [
      [{}, stats.status === 'ready' ? 1 : 0],
    ]),
    ...STAGE_METRICS_BEFORE_FAILURES.flatMap((m) => stageMetricLines(stats, m)),
    ...failureLines(stats),
    ...STAGE_METRICS_AFTER_FAILURES.flatMap((m) => stageMetricLines(stats, m)),
    ...latencyLines(stats),
    ...metricLines(
      'invoice_cell_commits_total',
      'counter',
      'Group commits of the engine (ingest, queues, store).',
      [[{}, stats.commits.total]],
    ),
    ...httpRequestLines(httpRequests),
  ];
  return `${lines.join('\n')}\n`;
}
