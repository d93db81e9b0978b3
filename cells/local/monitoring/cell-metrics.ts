import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS_SEC } from '../engine/engine.js';
import type { CellStats, StageStats } from './cell-stats.js';

/**
 * `GET /metrics`: the cell's stats ({@link CellStats}) as prom-client metrics, plus prom-client's
 * default process metrics (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
 * `nodejs_eventloop_lag_seconds`, heap, GC…) that a Prometheus user expects of a Node service.
 *
 * The cell's numbers are snapshots (the engine counts, the API thread reads them), so every metric
 * is set in its `collect()` from the stats read once per scrape, and prom-client writes the text
 * format. Each cell gets its own `Registry` (tests run several cells in one process); the process
 * metrics describe the process, not a cell, so one registry of them is shared by every cell of the
 * process (and prom-client's global default registry is left alone).
 *
 * @example
 * const metrics = createCellMetrics({ stats: () => cell.stats(), httpRequests: httpCounters });
 * reply.type(metrics.contentType).send(await metrics.render());
 */

export interface CellMetrics {
  /** prom-client's content type of the text exposition format 0.0.4. */
  readonly contentType: string;
  /** Reads the stats once and renders every metric. */
  render(): Promise<string>;
}

export interface CellMetricsSources {
  stats(): Promise<CellStats>;
  /** "METHOD route status" → answers so far (the request hooks count them). */
  readonly httpRequests: ReadonlyMap<string, number>;
}

/** A series reported once per stage, picked from its {@link StageStats} (null reads as 0). */
interface StageMetric {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly pick: (s: StageStats) => number | null;
}

/** Per-stage series, in exposition order (the failure counters and the histogram are separate). */
const STAGE_METRICS: readonly StageMetric[] = [
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

const LATENCY_NAME = 'invoice_cell_ingest_to_store_seconds';
const LATENCY_HELP = 'Time from API acceptance to the record being stored.';

/** A gauge may go down (and below 0: `unaccounted`); missing or non-finite reads as 0. */
function gaugeValue(value: number | null): number {
  return value !== null && Number.isFinite(value) ? value : 0;
}

/** A counter never goes below 0 (prom-client throws, which would fail the whole scrape). */
function counterValue(value: number | null): number {
  return value !== null && Number.isFinite(value) && value > 0 ? value : 0;
}

type ReadStats = () => CellStats | undefined;

function registerStageMetric(register: Registry, metric: StageMetric, read: ReadStats): void {
  const config = {
    name: metric.name,
    help: metric.help,
    labelNames: ['stage'] as const,
    registers: [register],
  };
  if (metric.type === 'counter') {
    new Counter({
      ...config,
      collect() {
        this.reset();
        for (const [stage, s] of Object.entries(read()?.stages ?? {})) {
          this.inc({ stage }, counterValue(metric.pick(s)));
        }
      },
    });
    return;
  }
  new Gauge({
    ...config,
    collect() {
      this.reset();
      for (const [stage, s] of Object.entries(read()?.stages ?? {})) {
        this.set({ stage }, gaugeValue(metric.pick(s)));
      }
    },
  });
}

/** `le` is among the labels of the answer's bucket series, never a label name of the config. */
type LatencyLabel = 'stage' | 'le';

type HistogramAnswer = Awaited<ReturnType<Histogram<LatencyLabel>['get']>>;

/**
 * The ingest-to-store latency: the engine keeps the cumulative buckets, so this histogram answers
 * them as they are instead of observing values one by one. prom-client's text exposition reads a
 * histogram through `getForPromString()`, its JSON through `get()`; both give the same series.
 */
class SnapshotLatencyHistogram extends Histogram<LatencyLabel> {
  /** Never registered: it gives the name, help, type and aggregator of an answer. */
  readonly #shape = new Histogram({ name: LATENCY_NAME, help: LATENCY_HELP, registers: [] });
  readonly #read: ReadStats;

  constructor(register: Registry, read: ReadStats) {
    super({
      name: LATENCY_NAME,
      help: LATENCY_HELP,
      labelNames: ['stage'],
      buckets: [...LATENCY_BUCKETS_SEC],
      registers: [register],
    });
    this.#read = read;
  }

  override async get(): Promise<HistogramAnswer> {
    const shape = await this.#shape.get();
    const values: HistogramAnswer['values'] = [];
    for (const [stage, s] of Object.entries(this.#read()?.stages ?? {})) {
      LATENCY_BUCKETS_SEC.forEach((bound, i) => {
        values.push({
          metricName: `${LATENCY_NAME}_bucket`,
          labels: { stage, le: bound },
          value: counterValue(s.latency.buckets[i] ?? 0),
        });
      });
      const count = counterValue(s.latency.count);
      values.push({ metricName: `${LATENCY_NAME}_bucket`, labels: { stage, le: '+Inf' }, value: count });
      values.push({
        metricName: `${LATENCY_NAME}_sum`,
        labels: { stage },
        value: gaugeValue(s.latency.sumSec),
      });
      values.push({ metricName: `${LATENCY_NAME}_count`, labels: { stage }, value: count });
    }
    return { ...shape, values };
  }

  getForPromString(): Promise<HistogramAnswer> {
    return this.get();
  }
}

function registerCellMetrics(register: Registry, sources: CellMetricsSources, read: ReadStats): void {
  new Gauge({
    name: 'invoice_cell_up',
    help: '1 when the cell is ready, 0 while starting or draining.',
    registers: [register],
    collect() {
      this.set(read()?.status === 'ready' ? 1 : 0);
    },
  });
  const [beforeFailures, afterFailures] = [STAGE_METRICS.slice(0, 5), STAGE_METRICS.slice(5)];
  for (const metric of beforeFailures) registerStageMetric(register, metric, read);
  new Counter({
    name: 'invoice_cell_processing_failures_total',
    help: 'Messages the processor failed, by reason.',
    labelNames: ['stage', 'kind'],
    registers: [register],
    collect() {
      this.reset();
      for (const [stage, s] of Object.entries(read()?.stages ?? {})) {
        for (const [kind, n] of Object.entries(s.failures)) this.inc({ stage, kind }, counterValue(n));
      }
    },
  });
  for (const metric of afterFailures) registerStageMetric(register, metric, read);
  new SnapshotLatencyHistogram(register, read);
  new Counter({
    name: 'invoice_cell_commits_total',
    help: 'Group commits of the engine (ingest, queues, store).',
    registers: [register],
    collect() {
      this.reset();
      this.inc(counterValue(read()?.commits.total ?? 0));
    },
  });
  new Counter({
    name: 'invoice_cell_http_requests_total',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [register],
    collect() {
      this.reset();
      for (const [key, n] of sources.httpRequests) {
        const [method = '', route = '', status = ''] = key.split(' ');
        this.inc({ method, route, status }, counterValue(n));
      }
    },
  });
}

let processRegistry: Registry | undefined;

/** prom-client's default metrics, once per process (they hold an event-loop monitor and a GC observer). */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** A cell's metrics over its own registry, merged with the process metrics. */
export function createCellMetrics(sources: CellMetricsSources): CellMetrics {
  const cellRegistry = new Registry();
  // The last stats read: concurrent scrapes may each see the other's (equally fresh) numbers.
  let current: CellStats | undefined;
  registerCellMetrics(cellRegistry, sources, () => current);
  const registry = Registry.merge([cellRegistry, processMetrics()]);
  return {
    contentType: registry.contentType,
    async render() {
      current = await sources.stats();
      return registry.metrics();
    },
  };
}
