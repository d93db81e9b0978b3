/**
 * The cell's HTTP API as the web dashboard reads it: every `fetch` of the page and the types of
 * the answers it reads. All answer types live here, so they can be swapped in one place for the
 * shared HTTP contract module later. The types are as loose as the page's reading of them (e.g.
 * `cellUnhealthy` is a state or a boolean): the renderers accept both.
 *
 * @example
 * const stats = await fetchStats();
 * const data = await fetchViewData('executive', new URLSearchParams({ from, to }));
 */

/** One panel of a dashboard, as `GET /dashboards` describes it. */
export interface PanelMeta {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly chart: 'line' | 'bar' | 'stacked-bar' | 'table' | 'stat' | 'doughnut';
  readonly source: string;
  readonly description?: string;
}

/** One dashboard (a view of the page), as `GET /dashboards` describes it. */
export interface DashboardMeta {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly panels: readonly PanelMeta[];
}

/** A row of panel data: group fields (`stage`, `currency`…), `binStartMs` when binned, `value`. */
export type Row = Record<string, unknown>;

/** The data of one panel: its rows, or the error its query raised. */
export type PanelData = { rows: Row[] } | { error: string };

/** `GET /dashboards/{view}/data`: the data of every panel of a view, by panel id. */
export interface ViewData {
  readonly panels: Record<string, PanelData>;
}

/** The counters of one stage in `GET /stats`. */
export interface StageStatsLite {
  readonly accepted: number;
  readonly stored: number;
  readonly inDlq: number;
  readonly inFlight: number;
  readonly visible: number;
}

/** `GET /stats`: the cell, its status, per-stage counters (topology order) and totals. */
export interface StatsBody {
  readonly cell: string;
  readonly status: string;
  readonly stages: Record<string, StageStatsLite>;
  readonly totals: Record<string, number>;
}

/** An invoice past its stage SLA, in `GET /stuck`. */
export interface StuckInvoice {
  invoiceId: string;
  stage: string;
  lastStatus: string;
  ageSec: number;
  overdueSec: number;
  slaSec: number;
}

/** A stuck message (in a DLQ, or old in a queue), in `GET /stuck`. */
export interface StuckMessage {
  stage?: string;
  kind?: string;
  message?: string;
  invoiceId?: string;
  eventId?: string;
  receiveCount?: number;
  ageSec?: number;
}

/** `GET /stuck`: invoices past their SLA and stuck messages. */
export interface StuckBody {
  readonly generatedAt?: string;
  readonly invoices: StuckInvoice[];
  readonly messages?: StuckMessage[];
}

/** One alarm and its state, in `GET /alarms`. */
export interface AlarmItem {
  readonly id: string;
  readonly title: string;
  readonly stage?: string;
  readonly severity?: string;
  readonly state: string;
  readonly value?: number | null;
  readonly threshold?: number;
  readonly since?: string | number;
}

/** `GET /alarms`: the alarms, the cell's health and recent transitions (newest first). */
export interface AlarmsBody {
  /** State of the composite "cell unhealthy" alarm. */
  readonly cellUnhealthy?: 'OK' | 'ALARM' | boolean;
  readonly alarms: AlarmItem[];
  readonly transitions?: Row[];
}

/** The reconciliation of one stage, in `GET /reconcile`. */
export interface ReconcileStage {
  readonly stage: string;
  readonly accepted: number;
  readonly stored: number;
  readonly inDlq: number;
  readonly inFlight: number;
  readonly missing: readonly string[] | number;
  readonly balanced: boolean;
}

/** `GET /reconcile`: per stage, whether every accepted event is accounted for. */
export interface ReconcileBody {
  readonly stages: ReconcileStage[];
  readonly balanced: boolean;
}

/** One stored event of an invoice, in `GET /invoices/{id}`. */
export interface TimelineEntry {
  stage: string;
  eventId: string;
  status: string;
  occurredAt: string;
  amount: { value: string; currency: string };
  receivedAtMs: number;
  storedAtMs: number;
}

/** `GET /invoices/{id}`: the stored events of an invoice. */
export interface TimelineBody {
  readonly invoiceId: string;
  readonly timeline: TimelineEntry[];
}

/**
 * A non-2xx answer, with its status (a 404 of an invoice lookup is "not found", not a failure).
 *
 * @example
 * if (error instanceof HttpStatusError && error.status === 404) showNotFound();
 */
export class HttpStatusError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpStatusError';
    this.status = status;
  }
}

/** GETs a JSON answer; a non-2xx answer throws with the body's `message` when it has one. */
async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  if (!res.ok) throw new HttpStatusError(res.status, body.message ?? `${res.status} ${res.statusText}`);
  return body as T;
}

/**
 * `GET /dashboards`: the views and their panels.
 *
 * @example
 * const dashboards = await fetchDashboards();
 */
export function fetchDashboards(): Promise<DashboardMeta[]> {
  return getJson<DashboardMeta[]>('/dashboards');
}

/**
 * `GET /stats`: the cell's counters.
 *
 * @example
 * const { totals } = await fetchStats();
 */
export function fetchStats(): Promise<StatsBody> {
  return getJson<StatsBody>('/stats');
}

/**
 * `GET /dashboards/{view}/data?{params}`: the panel data of a view for a window and filters.
 *
 * @example
 * const { panels } = await fetchViewData('finance', params);
 */
export function fetchViewData(dashboardId: string, params: URLSearchParams): Promise<ViewData> {
  return getJson<ViewData>(`/dashboards/${encodeURIComponent(dashboardId)}/data?${params}`);
}

/**
 * `GET /invoices/{id}`: the timeline of an invoice; throws an {@link HttpStatusError} 404 when it
 * has no stored event.
 *
 * @example
 * const { timeline } = await fetchInvoiceTimeline('INV-1');
 */
export function fetchInvoiceTimeline(invoiceId: string): Promise<TimelineBody> {
  return getJson<TimelineBody>(`/invoices/${encodeURIComponent(invoiceId)}`);
}
