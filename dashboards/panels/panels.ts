import { CELL_TOPOLOGY, type CellTopology, type StageName } from '../../cells/topology.js';

/**
 * The three dashboards (executive, operations, finance) as data. Each panel names its query once;
 * the renderers turn that one definition into Timestream SQL (QuickSight data sets), CloudWatch
 * metric widgets, and SQLite SQL for the local web dashboard:
 *
 * | query source | AWS                                       | local cell                        |
 * |--------------|-------------------------------------------|-----------------------------------|
 * | `records`    | `renderTimestreamSql` (latency: CloudWatch `renderCloudWatchMetric`) | `renderLocalSql` / `runLocalPanel` |
 * | `sla`        | `renderTimestreamSql`                     | `runLocalPanel`                   |
 * | `queue`      | `renderCloudWatchMetric` (AWS/SQS, EMF)   | the cell's live stats             |
 * | `stuck`      | `timestreamLatestByInvoiceSql` + `findStuckInvoices` | `runLocalPanel`        |
 * | `alarms`     | CloudWatch alarm states                   | the in-process alarm evaluator    |
 * | `reconcile`  | archive + Timestream + SQS counts         | `runLocalPanel`                   |
 *
 * Money rules: amounts are summed in integer minor units *per currency* (a money panel always
 * groups by currency; nothing sums across currencies), never converted to a float in SQL, and
 * formatted with `formatMinorUnits` only when presented. {@link validatePanel} enforces this.
 *
 * Panels are derived from the topology (the first and last stage are named through it), so no
 * stage name is written here.
 *
 * @example
 * const dashboards = buildDashboards(CELL_TOPOLOGY);
 * const ops = dashboards.find((d) => d.id === 'operations');
 * for (const panel of ops.panels) render(panel.query);
 */

export const PANEL_UNITS = ['events', 'events/min', 'money', 'ms', 's', '%', 'count', 'days'] as const;
export type PanelUnit = (typeof PANEL_UNITS)[number];

export const PANEL_CHARTS = ['line', 'bar', 'stacked-bar', 'table', 'stat', 'doughnut'] as const;
export type PanelChart = (typeof PANEL_CHARTS)[number];

/**
 * What a `records` query measures:
 * - `events`: records (one per event); with `distinctInvoices`, invoices.
 * - `amount`: `amount_minor`, integer minor units (money).
 * - `dueAmount`: `amount_minor` of records that carry a due date (money; cash-flow projection).
 * - `latency`: ingest-to-store latency in ms. Local: `stored_at_ms - received_at_ms`; AWS: the
 *   processor's `IngestToStoreLatency` EMF metric (Timestream does not hold it).
 * - `paymentTermsDays`: net payment days of records that carry payment terms.
 */
export const RECORD_MEASURES = ['events', 'amount', 'latency', 'dueAmount', 'paymentTermsDays'] as const;
export type RecordMeasure = (typeof RECORD_MEASURES)[number];

export const AGGREGATIONS = ['count', 'sum', 'avg', 'p50', 'p95', 'p99'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** Percentile aggregations and their rank (percent). */
export const PERCENTILES = { p50: 50, p95: 95, p99: 99 } as const;
export type PercentileAggregation = keyof typeof PERCENTILES;

export const GROUP_BY_FIELDS = ['stage', 'currency', 'vendorId', 'status', 'paymentTermsDays'] as const;
export type GroupByField = (typeof GROUP_BY_FIELDS)[number];

/** Time bins and their width in ms. `1w` bins start on Monday 00:00 UTC (ISO weeks). */
export const TIME_BINS = {
  '1m': 60_000,
  '5m': 300_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
  '1w': 604_800_000,
} as const;
export type TimeBin = keyof typeof TIME_BINS;

/** Which aggregations make sense for which measure (the others are refused by validation). */
export const MEASURE_AGGREGATIONS: Readonly<Record<RecordMeasure, readonly Aggregation[]>> = {
  events: ['count'],
  // Money is summed only: an average or percentile of minor units would need a float or rounding.
  amount: ['sum'],
  dueAmount: ['sum'],
  latency: ['avg', 'p50', 'p95', 'p99'],
  paymentTermsDays: ['avg', 'p50', 'p95', 'p99'],
};

/** Measures whose values are money (minor units, one currency per row). */
export const MONEY_MEASURES: ReadonlySet<RecordMeasure> = new Set(['amount', 'dueAmount']);

export interface RecordFilters {
  readonly stage?: StageName;
  /** Usually left out of definitions: the dashboard scopes by cell at run time. */
  readonly cell?: string;
  readonly status?: string;
}

/** A query over the time-series records (SQLite `records` locally, Timestream on AWS). */
export interface RecordsQuery {
  readonly source: 'records';
  readonly measure: RecordMeasure;
  readonly aggregation: Aggregation;
  readonly groupBy: readonly GroupByField[];
  /** Bin width; none = one row per group over the whole window. */
  readonly timeBin?: TimeBin;
  /** What is binned: the record time (`occurredAt`, default) or the due date (cash-flow by week). */
  readonly timeField?: 'time' | 'dueDate';
  readonly filters?: RecordFilters;
  /**
   * Count each invoice once per group instead of every event: only the invoice's latest record
   * (by time) among the filtered records is used, per stage when grouped by stage. Without it, an
   * invoice with several events (RECEIVED then CAPTURED) would be counted, and its amount summed,
   * several times.
   */
  readonly distinctInvoices?: boolean;
}

/** Operational metrics, one series per stage. */
export const QUEUE_METRICS = [
  'queueDepth',
  'inFlight',
  'oldestMessageAgeSec',
  'dlqDepth',
  'relayFailures',
  'apiErrors',
  'processingFailures',
] as const;
export type QueueMetric = (typeof QUEUE_METRICS)[number];

export interface QueueQuery {
  readonly source: 'queue';
  readonly metric: QueueMetric;
}

/**
 * SLA attainment per stage: of the invoices that entered stage N in the window, the share that
 * entered N+1 within stage N's `slaSec` (`met / (met + missed)`); invoices still inside their SLA
 * (`pending`) and those that ended at N with a terminal status (`ended`) are not judged.
 */
export interface SlaQuery {
  readonly source: 'sla';
}

/** Business-stuck invoices with their age (see consumers/monitoring/stuck.ts). */
export interface StuckQuery {
  readonly source: 'stuck';
}

/** Every alarm rule's state (cells/alarm-rules.ts). */
export interface AlarmsQuery {
  readonly source: 'alarms';
}

/** accepted = stored + in DLQ + in flight per stage, with missing eventIds (consumers/monitoring/reconcile.ts). */
export interface ReconcileQuery {
  readonly source: 'reconcile';
}

export type PanelQuery = RecordsQuery | QueueQuery | SlaQuery | StuckQuery | AlarmsQuery | ReconcileQuery;

export interface Panel {
  /** Stable across releases: dashboards, tests and links refer to it. */
  readonly id: string;
  readonly title: string;
  readonly unit: PanelUnit;
  readonly chart: PanelChart;
  readonly query: PanelQuery;
  readonly description?: string;
}

export const DASHBOARD_IDS = ['executive', 'operations', 'finance'] as const;
export type DashboardId = (typeof DASHBOARD_IDS)[number];

export interface Dashboard {
  readonly id: DashboardId;
  readonly title: string;
  readonly description: string;
  readonly panels: readonly Panel[];
}

/** A panel definition that breaks a rule (money across currencies, a percentile of money, ...). */
export class DashboardDefinitionError extends Error {
  readonly panelId: string;
  constructor(panelId: string, message: string) {
    super(`panel ${panelId}: ${message}`);
    this.name = 'DashboardDefinitionError';
    this.panelId = panelId;
  }
}

function problemsOfRecordsQuery(query: RecordsQuery, unit: PanelUnit, topology: CellTopology): string[] {
  const problems: string[] = [];
  if (!RECORD_MEASURES.includes(query.measure))
    problems.push(`unknown measure ${JSON.stringify(query.measure)}`);
  const allowed = MEASURE_AGGREGATIONS[query.measure] ?? [];
  if (!allowed.includes(query.aggregation)) {
    problems.push(
      `aggregation ${query.aggregation} does not apply to ${query.measure} (use ${allowed.join(', ')})`,
    );
  }
  if (new Set(query.groupBy).size !== query.groupBy.length) problems.push('groupBy lists a field twice');
  for (const field of query.groupBy) {
    if (!GROUP_BY_FIELDS.includes(field)) problems.push(`unknown groupBy field ${JSON.stringify(field)}`);
  }
  const money = MONEY_MEASURES.has(query.measure);
  if (money && !query.groupBy.includes('currency')) {
    problems.push('money is summed per currency: groupBy must include currency');
  }
  if (money !== (unit === 'money')) problems.push(`unit ${unit} does not match measure ${query.measure}`);
  if (query.measure === 'latency' && unit !== 'ms') problems.push('latency is shown in ms');
  if (query.measure === 'paymentTermsDays' && unit !== 'days')
    problems.push('payment terms are shown in days');
  if (query.measure === 'events' && !['events', 'events/min', 'count'].includes(unit)) {
    problems.push(`unit ${unit} does not fit counted events`);
  }
  if (unit === 'events/min' && query.timeBin !== '1m') problems.push('events/min needs a 1m time bin');
  if (query.timeBin !== undefined && !(query.timeBin in TIME_BINS))
    problems.push(`unknown timeBin ${query.timeBin}`);
  if (query.timeField === 'dueDate' && query.timeBin === undefined)
    problems.push('timeField dueDate needs a timeBin');
  const stage = query.filters?.stage;
  if (stage !== undefined && !topology.stages.some((s) => s.name === stage)) {
    problems.push(`filter stage ${JSON.stringify(stage)} is not in the topology`);
  }
  return problems;
}

/** Every rule a panel breaks, as sentences; empty when the panel is valid. Pure. */
export function panelProblems(panel: Panel, topology: CellTopology = CELL_TOPOLOGY): string[] {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9-]{1,63}$/.test(panel.id)) problems.push('id must be kebab-case');
  if (!PANEL_UNITS.includes(panel.unit)) problems.push(`unknown unit ${JSON.stringify(panel.unit)}`);
  if (!PANEL_CHARTS.includes(panel.chart)) problems.push(`unknown chart ${JSON.stringify(panel.chart)}`);
  const { query } = panel;
  if (query.source === 'records') problems.push(...problemsOfRecordsQuery(query, panel.unit, topology));
  if (query.source === 'queue' && !QUEUE_METRICS.includes(query.metric)) {
    problems.push(`unknown queue metric ${JSON.stringify(query.metric)}`);
  }
  // A doughnut or stacked bar adds its series up: meaningless for money in several currencies.
  if (panel.unit === 'money' && (panel.chart === 'doughnut' || panel.chart === 'stacked-bar')) {
    problems.push(`a ${panel.chart} would add amounts of different currencies`);
  }
  return problems;
}

/** Throws {@link DashboardDefinitionError} for the first panel that breaks a rule. */
export function validatePanel(panel: Panel, topology: CellTopology = CELL_TOPOLOGY): void {
  const problems = panelProblems(panel, topology);
  if (problems.length > 0) throw new DashboardDefinitionError(panel.id, problems.join('; '));
}

/** Validates every panel and that panel ids are unique across all dashboards. */
export function validateDashboards(
  dashboards: readonly Dashboard[],
  topology: CellTopology = CELL_TOPOLOGY,
): void {
  const seen = new Set<string>();
  for (const dashboard of dashboards) {
    for (const panel of dashboard.panels) {
      validatePanel(panel, topology);
      if (seen.has(panel.id)) throw new DashboardDefinitionError(panel.id, 'id is used twice');
      seen.add(panel.id);
    }
  }
}

/** The three dashboards of a cell with this topology; validated. Pure. */
export function buildDashboards(topology: CellTopology = CELL_TOPOLOGY): readonly Dashboard[] {
  const first = topology.stages[0];
  const last = topology.stages[topology.stages.length - 1];
  if (!first || !last) throw new Error('dashboards need a topology with at least one stage');

  const executive: Dashboard = {
    id: 'executive',
    title: 'Executive',
    description: 'Volume and value by stage, trends, SLA attainment.',
    panels: [
      {
        id: 'exec-invoices-by-stage',
        title: 'Invoices by stage',
        unit: 'count',
        chart: 'bar',
        query: {
          source: 'records',
          measure: 'events',
          aggregation: 'count',
          groupBy: ['stage'],
          distinctInvoices: true,
        },
        description: 'Distinct invoices with at least one event at each stage in the window.',
      },
      {
        id: 'exec-value-by-stage',
        title: 'Invoice value by stage and currency',
        unit: 'money',
        chart: 'table',
        query: {
          source: 'records',
          measure: 'amount',
          aggregation: 'sum',
          groupBy: ['stage', 'currency'],
          distinctInvoices: true,
        },
        description: "Each invoice's latest amount at each stage, summed per currency.",
      },
      {
        id: 'exec-events-trend',
        title: 'Events per hour by stage',
        unit: 'events',
        chart: 'line',
        query: {
          source: 'records',
          measure: 'events',
          aggregation: 'count',
          groupBy: ['stage'],
          timeBin: '1h',
        },
      },
      {
        id: 'exec-intake-value-trend',
        title: `Value entering the pipeline per day (${first.title})`,
        unit: 'money',
        chart: 'line',
        query: {
          source: 'records',
          measure: 'amount',
          aggregation: 'sum',
          groupBy: ['currency'],
          timeBin: '1d',
          filters: { stage: first.name },
          distinctInvoices: true,
        },
      },
      {
        id: 'exec-sla-attainment',
        title: 'SLA attainment by stage',
        unit: '%',
        chart: 'bar',
        query: { source: 'sla' },
        description: 'Invoices that reached the next stage within the stage SLA, of those judged.',
      },
      {
        id: 'exec-outcomes',
        title: `Outcomes at ${last.title}`,
        unit: 'count',
        chart: 'doughnut',
        query: {
          source: 'records',
          measure: 'events',
          aggregation: 'count',
          groupBy: ['status'],
          filters: { stage: last.name },
          distinctInvoices: true,
        },
      },
    ],
  };

  const operations: Dashboard = {
    id: 'operations',
    title: 'Operations',
    description: 'Throughput, latency, queues, DLQs, stuck invoices, alarms and reconciliation per stage.',
    panels: [
      {
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
      },
      ...(['p50', 'p95', 'p99'] as const).map(
        (p): Panel => ({
          id: `ops-latency-${p}`,
          title: `Ingest-to-store latency ${p}`,
          unit: 'ms',
          chart: 'line',
          query: { source: 'records', measure: 'latency', aggregation: p, groupBy: ['stage'], timeBin: '5m' },
        }),
      ),
      {
        id: 'ops-queue-depth',
        title: 'Queue depth',
        unit: 'count',
        chart: 'line',
        query: { source: 'queue', metric: 'queueDepth' },
      },
      {
        id: 'ops-in-flight',
        title: 'Messages in flight',
        unit: 'count',
        chart: 'line',
        query: { source: 'queue', metric: 'inFlight' },
      },
      {
        id: 'ops-oldest-message',
        title: 'Oldest message age',
        unit: 's',
        chart: 'line',
        query: { source: 'queue', metric: 'oldestMessageAgeSec' },
      },
      {
        id: 'ops-dlq-depth',
        title: 'DLQ depth',
        unit: 'count',
        chart: 'bar',
        query: { source: 'queue', metric: 'dlqDepth' },
      },
      {
        id: 'ops-processing-failures',
        title: 'Processing failures',
        unit: 'count',
        chart: 'line',
        query: { source: 'queue', metric: 'processingFailures' },
      },
      {
        id: 'ops-relay-failures',
        title: 'Relay failures',
        unit: 'count',
        chart: 'line',
        query: { source: 'queue', metric: 'relayFailures' },
      },
      {
        id: 'ops-api-errors',
        title: 'API 5xx answers',
        unit: 'count',
        chart: 'line',
        query: { source: 'queue', metric: 'apiErrors' },
      },
      {
        id: 'ops-stuck-invoices',
        title: 'Stuck invoices',
        unit: 's',
        chart: 'table',
        query: { source: 'stuck' },
        description: 'Invoices past their stage SLA without reaching the next stage, oldest first.',
      },
      {
        id: 'ops-alarm-states',
        title: 'Alarm states',
        unit: 'count',
        chart: 'table',
        query: { source: 'alarms' },
      },
      {
        id: 'ops-reconciliation',
        title: 'Reconciliation',
        unit: 'events',
        chart: 'table',
        query: { source: 'reconcile' },
        description: 'accepted = stored + in DLQ + in flight per stage; differences by eventId.',
      },
    ],
  };

  const finance: Dashboard = {
    id: 'finance',
    title: 'Finance',
    description: 'Amounts by currency and vendor, cash-flow projection by due week, payment-terms mix.',
    panels: [
      {
        id: 'fin-amount-by-currency',
        title: 'Invoice amounts by currency',
        unit: 'money',
        chart: 'table',
        query: {
          source: 'records',
          measure: 'amount',
          aggregation: 'sum',
          groupBy: ['currency'],
          filters: { stage: first.name },
          distinctInvoices: true,
        },
      },
      {
        id: 'fin-amount-by-vendor',
        title: 'Invoice amounts by vendor',
        unit: 'money',
        chart: 'table',
        query: {
          source: 'records',
          measure: 'amount',
          aggregation: 'sum',
          groupBy: ['vendorId', 'currency'],
          filters: { stage: first.name },
          distinctInvoices: true,
        },
      },
      {
        id: 'fin-cash-flow-by-week',
        title: 'Cash-flow projection by due week',
        unit: 'money',
        chart: 'bar',
        query: {
          source: 'records',
          measure: 'dueAmount',
          aggregation: 'sum',
          groupBy: ['currency'],
          timeBin: '1w',
          timeField: 'dueDate',
          distinctInvoices: true,
        },
        description: "Each invoice's latest amount, by the ISO week (Monday) of its due date.",
      },
      {
        id: 'fin-payment-terms-mix',
        title: 'Payment-terms mix',
        unit: 'count',
        chart: 'doughnut',
        query: {
          source: 'records',
          measure: 'events',
          aggregation: 'count',
          groupBy: ['paymentTermsDays'],
          distinctInvoices: true,
        },
      },
      {
        id: 'fin-average-payment-terms',
        title: 'Average payment terms',
        unit: 'days',
        chart: 'stat',
        query: {
          source: 'records',
          measure: 'paymentTermsDays',
          aggregation: 'avg',
          groupBy: [],
          distinctInvoices: true,
        },
      },
      {
        id: 'fin-completed-value-trend',
        title: `Value reaching ${last.title} per day by status`,
        unit: 'money',
        chart: 'line',
        query: {
          source: 'records',
          measure: 'amount',
          aggregation: 'sum',
          groupBy: ['currency', 'status'],
          timeBin: '1d',
          filters: { stage: last.name },
          distinctInvoices: true,
        },
      },
    ],
  };

  const dashboards = [executive, operations, finance];
  validateDashboards(dashboards, topology);
  return dashboards;
}

/** The dashboards of the default topology. */
export const DASHBOARDS: readonly Dashboard[] = buildDashboards();

/** Every panel of every dashboard, by id. */
export function findPanel(dashboards: readonly Dashboard[], id: string): Panel | undefined {
  for (const dashboard of dashboards) {
    const panel = dashboard.panels.find((p) => p.id === id);
    if (panel) return panel;
  }
  return undefined;
}
