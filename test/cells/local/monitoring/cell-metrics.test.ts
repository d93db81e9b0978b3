import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS_SEC } from '../../../../cells/local/engine/engine.js';
import { type LocalCell, startLocalCell } from '../../../../cells/local/local-cell.js';
import { createCellMetrics } from '../../../../cells/local/monitoring/cell-metrics.js';
import {
  assembleStats,
  type CellStats,
  type StageStats,
} from '../../../../cells/local/monitoring/cell-stats.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';
import { TEST_API_KEY, tempDataDir } from '../helpers/cell-process.js';

const topology = CELL_TOPOLOGY;
const first = topology.stages[0] as StageTopology;

/** Every series of the cell's own, with its type, as before prom-client (dashboards and alerts use them). */
const CELL_METRIC_TYPES = {
  invoice_cell_up: 'gauge',
  invoice_cell_events_accepted_total: 'counter',
  invoice_cell_events_duplicate_total: 'counter',
  invoice_cell_events_conflict_total: 'counter',
  invoice_cell_records_stored_total: 'counter',
  invoice_cell_messages_processed_total: 'counter',
  invoice_cell_processing_failures_total: 'counter',
  invoice_cell_store_retries_total: 'counter',
  invoice_cell_dlq_moves_total: 'counter',
  invoice_cell_queue_visible_messages: 'gauge',
  invoice_cell_queue_in_flight_messages: 'gauge',
  invoice_cell_dlq_messages: 'gauge',
  invoice_cell_queue_oldest_message_age_seconds: 'gauge',
  invoice_cell_processor_batches_in_flight: 'gauge',
  invoice_cell_unaccounted_events: 'gauge',
  invoice_cell_ingest_to_store_seconds: 'histogram',
  invoice_cell_commits_total: 'counter',
  invoice_cell_http_requests_total: 'counter',
} as const;

/** Stats of an idle cell with the first stage's numbers replaced by `first`. */
function statsWith(patch: Partial<StageStats>, status: CellStats['status'] = 'ready'): CellStats {
  const stats = assembleStats({
    topology,
    queues: new Map(),
    snapshot: undefined,
    state: status,
    cellName: 'local',
  });
  const stage = stats.stages[first.name] as StageStats;
  return {
    ...stats,
    stages: { ...stats.stages, [first.name]: { ...stage, ...patch } },
    commits: { total: 42, largest: 7 },
  };
}

const LATENCY = {
  buckets: LATENCY_BUCKETS_SEC.map((bound) => (bound >= 0.1 ? 5 : bound >= 0.05 ? 2 : 0)),
  count: 5,
  sumSec: 0.4,
  p50Sec: 0.1,
  p99Sec: 0.1,
};

describe('createCellMetrics', () => {
  describe('render', () => {
    it('writes every metric of the cell with its type', async () => {
      // Prepare
      const metrics = createCellMetrics({ stats: async () => statsWith({}), httpRequests: new Map() });

      // Act
      const text = await metrics.render();

      // Assess
      for (const [name, type] of Object.entries(CELL_METRIC_TYPES)) {
        expect(text).toContain(`# TYPE ${name} ${type}\n`);
      }
      expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    });

    it("writes the stats' numbers with their stage, kind and route labels", async () => {
      // Prepare
      const stats = statsWith({
        accepted: 12,
        stored: 9,
        visible: 2,
        inDlq: 1,
        unaccounted: -3,
        oldestMessageAgeSec: null,
        failures: { invalid: 1, rejected: 0, transient: 4, 'group-blocked': 0 },
        latency: LATENCY,
      });
      const http = new Map([
        ['POST /invoices/:stage 200', 12],
        ['GET /stats 200', 3],
      ]);
      const metrics = createCellMetrics({ stats: async () => stats, httpRequests: http });

      // Act
      const text = await metrics.render();

      // Assess
      const s = first.name;
      expect(text).toContain('invoice_cell_up 1\n');
      expect(text).toContain(`invoice_cell_events_accepted_total{stage="${s}"} 12\n`);
      expect(text).toContain(`invoice_cell_records_stored_total{stage="${s}"} 9\n`);
      expect(text).toContain(`invoice_cell_queue_visible_messages{stage="${s}"} 2\n`);
      expect(text).toContain(`invoice_cell_dlq_messages{stage="${s}"} 1\n`);
      expect(text).toContain(`invoice_cell_unaccounted_events{stage="${s}"} -3\n`);
      expect(text).toContain(`invoice_cell_queue_oldest_message_age_seconds{stage="${s}"} 0\n`);
      expect(text).toContain(`invoice_cell_processing_failures_total{stage="${s}",kind="transient"} 4\n`);
      expect(text).toContain('invoice_cell_commits_total 42\n');
      expect(text).toContain(
        'invoice_cell_http_requests_total{method="POST",route="/invoices/:stage",status="200"} 12\n',
      );
      expect(text).toContain(`invoice_cell_ingest_to_store_seconds_bucket{stage="${s}",le="0.025"} 0\n`);
      expect(text).toContain(`invoice_cell_ingest_to_store_seconds_bucket{stage="${s}",le="0.05"} 2\n`);
      expect(text).toContain(`invoice_cell_ingest_to_store_seconds_bucket{stage="${s}",le="+Inf"} 5\n`);
      expect(text).toContain(`invoice_cell_ingest_to_store_seconds_sum{stage="${s}"} 0.4\n`);
      expect(text).toContain(`invoice_cell_ingest_to_store_seconds_count{stage="${s}"} 5\n`);
      for (const stage of topology.stages) {
        expect(text).toContain(`invoice_cell_records_stored_total{stage="${stage.name}"}`);
      }
    });

    it('answers the numbers of each scrape, not of the first', async () => {
      // Prepare
      let stored = 1;
      const metrics = createCellMetrics({
        stats: async () => statsWith({ stored }),
        httpRequests: new Map(),
      });
      await metrics.render();
      stored = 5;

      // Act
      const text = await metrics.render();

      // Assess
      expect(text).toContain(`invoice_cell_records_stored_total{stage="${first.name}"} 5\n`);
      expect(text).not.toContain(`invoice_cell_records_stored_total{stage="${first.name}"} 1\n`);
    });

    it('keeps two cells of one process apart while both show the process metrics', async () => {
      // Prepare
      const ready = createCellMetrics({
        stats: async () => statsWith({ stored: 3 }),
        httpRequests: new Map(),
      });
      const draining = createCellMetrics({
        stats: async () => statsWith({ stored: 8 }, 'draining'),
        httpRequests: new Map(),
      });

      // Act
      const [a, b] = await Promise.all([ready.render(), draining.render()]);

      // Assess
      expect(a).toContain('invoice_cell_up 1\n');
      expect(a).toContain(`invoice_cell_records_stored_total{stage="${first.name}"} 3\n`);
      expect(b).toContain('invoice_cell_up 0\n');
      expect(b).toContain(`invoice_cell_records_stored_total{stage="${first.name}"} 8\n`);
      for (const text of [a, b]) {
        expect(text).toMatch(/^process_cpu_seconds_total \d/m);
        expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
        expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
        expect(text).toMatch(/^process_resident_memory_bytes \d/m);
      }
    });

    it('never fails a scrape over a counter that went backwards', async () => {
      // Prepare
      const metrics = createCellMetrics({
        stats: async () => statsWith({ stored: -1 }),
        httpRequests: new Map(),
      });

      // Act
      const text = await metrics.render();

      // Assess
      expect(text).toContain(`invoice_cell_records_stored_total{stage="${first.name}"} 0\n`);
    });
  });
});

describe('GET /metrics', () => {
  let cell: LocalCell;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDataDir('cell-metrics-');
    cell = await startLocalCell({
      dataDir,
      port: 0,
      apiKey: TEST_API_KEY,
      logLevel: 'silent',
      processorThread: 'inline',
    });
  });

  afterAll(async () => {
    await cell?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers prom-client's text format with the cell's and the process's metrics", async () => {
    // Prepare
    await fetch(`${cell.url}/stats`);

    // Act
    const res = await fetch(`${cell.url}/metrics`);
    const text = await res.text();

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text).toContain('invoice_cell_up 1\n');
    expect(text).toContain('invoice_cell_http_requests_total{method="GET",route="/stats",status="200"} 1\n');
    expect(text).toContain(`invoice_cell_records_stored_total{stage="${first.name}"} 0\n`);
    expect(text).toContain('# TYPE process_cpu_seconds_total counter\n');
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge\n');
  });
});
