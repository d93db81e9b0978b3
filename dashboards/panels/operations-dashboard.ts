import type { Dashboard, Panel, QueueMetric } from './panel-types.js';

const THROUGHPUT: Panel = {
  id: 'ops-throughput',
  title: 'Throughput per stage',
  unit: 'events/min',
  chart: 'line',
  query: {
    source: 'records',
    measure: 'events',
    aggregation: 'count',
    groupBy: ['stage'],
    timeBin: '1m',
  },
};

const LATENCY_PERCENTILES: readonly Panel[] = (['p50', 'p95', 'p99'] as const).map(
  (p): Panel => ({
    id: `ops-latency-${p}`,
    title: `Ingest-to-store latency ${p}`,
    unit: 'ms',
    chart: 'line',
    query: { source: 'records', measure: 'latency', aggregation: p, groupBy: ['stage'], timeBin: '5m' },
  }),
);

function queuePanel(id: string, title: string, metric: QueueMetric, unit: 'count' | 's' = 'count'): Panel {
  return { id, title, unit, chart: 'line', query: { source: 'queue', metric } };
}

const QUEUE_PANELS: readonly Panel[] = [
  queuePanel('ops-queue-depth', 'Queue depth', 'queueDepth'),
  queuePanel('ops-in-flight', 'Messages in flight', 'inFlight'),
  queuePanel('ops-oldest-message', 'Oldest message age', 'oldestMessageAgeSec', 's'),
  { ...queuePanel('ops-dlq-depth', 'DLQ depth', 'dlqDepth'), chart: 'bar' },
  queuePanel('ops-processing-failures', 'Processing failures', 'processingFailures'),
  queuePanel('ops-relay-failures', 'Relay failures', 'relayFailures'),
  queuePanel('ops-api-errors', 'API 5xx answers', 'apiErrors'),
];

const STUCK_INVOICES: Panel = {
  id: 'ops-stuck-invoices',
  title: 'Stuck invoices',
  unit: 's',
  chart: 'table',
  query: { source: 'stuck' },
  description: 'Invoices past their stage SLA without reaching the next stage, oldest first.',
};

const ALARM_STATES: Panel = {
  id: 'ops-alarm-states',
  title: 'Alarm states',
  unit: 'count',
  chart: 'table',
  query: { source: 'alarms' },
};

const RECONCILIATION: Panel = {
  id: 'ops-reconciliation',
  title: 'Reconciliation',
  unit: 'events',
  chart: 'table',
  query: { source: 'reconcile' },
  description: 'accepted = stored + in DLQ + in flight per stage; differences by eventId.',
};

/**
 * The operations view: throughput, latency, queues, DLQs, stuck invoices, alarms and
 * reconciliation per stage. It names no stage, so it is the same for every topology. Not
 * validated here (see `buildDashboards`).
 *
 * @example
 * const queuePanels = OPERATIONS_DASHBOARD.panels.filter((p) => p.query.source === 'queue');
 */
export const OPERATIONS_DASHBOARD: Dashboard = {
  id: 'operations',
  title: 'Operations',
  description: 'Throughput, latency, queues, DLQs, stuck invoices, alarms and reconciliation per stage.',
  panels: [THROUGHPUT, ...LATENCY_PERCENTILES, ...QUEUE_PANELS, STUCK_INVOICES, ALARM_STATES, RECONCILIATION],
};
