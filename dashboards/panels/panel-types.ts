import type { StageName } from '../../cells/topology.js';
import { API_DASHBOARD_IDS, API_PANEL_CHARTS, API_PANEL_UNITS } from '../../schemas/api/dashboards.js';

/**
 * The vocabulary of the dashboard definitions: units, charts, measures, aggregations, groupings,
 * time bins and the query sources a panel can name. The renderers read these; `validatePanel`
 * enforces the rules between them. The lists the HTTP answers carry (units, charts, sources,
 * dashboard ids) come from the HTTP contract (`schemas/api/dashboards.ts`), their one source; a
 * test keeps the query sources equal to the contract's `API_PANEL_SOURCES`.
 *
 * @example
 * const panel: Panel = { id: 'ops-dlq-depth', title: 'DLQ depth', unit: 'count', chart: 'bar',
 *   query: { source: 'queue', metric: 'dlqDepth' } };
 */

/** Units a panel's values are shown in. */
export const PANEL_UNITS = API_PANEL_UNITS;
export type PanelUnit = (typeof PANEL_UNITS)[number];

/** Chart kinds of a panel. */
export const PANEL_CHARTS = API_PANEL_CHARTS;
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
   * (by time, then eventId) among the filtered records over all history is used, per stage when
   * grouped by stage, and it counts when it falls in the window (so an invoice appears in the
   * window of its latest event only; rollups keep exactly this state). Without it, an invoice with
   * several events (RECEIVED then CAPTURED) would be counted, and its amount summed, several times.
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

/** The dashboards (views). */
export const DASHBOARD_IDS = API_DASHBOARD_IDS;
export type DashboardId = (typeof DASHBOARD_IDS)[number];

export interface Dashboard {
  readonly id: DashboardId;
  readonly title: string;
  readonly description: string;
  readonly panels: readonly Panel[];
}
