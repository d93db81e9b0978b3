import type {
  DashboardDataAnswer,
  DashboardsAnswer,
  ErrorAnswer,
  ReportsAnswer,
  StatsAnswer,
  TimelineAnswer,
} from '../../schemas/api/index.js';

/**
 * The cell's HTTP API as the web dashboard reads it: every `fetch` of the page. The answers are
 * typed by the HTTP contract (`schemas/api`), imported as types only: esbuild drops them, so the
 * browser bundle carries none of the contract's (Node-side) code.
 *
 * @example
 * const stats = await fetchStats();
 * const data = await fetchViewData('executive', new URLSearchParams({ from, to }));
 */

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
  const body = (await res.json().catch(() => ({}))) as Partial<ErrorAnswer>;
  if (!res.ok) throw new HttpStatusError(res.status, body.message ?? `${res.status} ${res.statusText}`);
  return body as T;
}

/**
 * `GET /dashboards`: the views and their panels.
 *
 * @example
 * const dashboards = await fetchDashboards();
 */
export function fetchDashboards(): Promise<DashboardsAnswer> {
  return getJson<DashboardsAnswer>('/dashboards');
}

/**
 * `GET /stats`: the cell's counters.
 *
 * @example
 * const { totals } = await fetchStats();
 */
export function fetchStats(): Promise<StatsAnswer> {
  return getJson<StatsAnswer>('/stats');
}

/**
 * `GET /dashboards/{view}/data?{params}`: the panel data of a view for a window and filters.
 *
 * @example
 * const { panels } = await fetchViewData('finance', params);
 */
export function fetchViewData(dashboardId: string, params: URLSearchParams): Promise<DashboardDataAnswer> {
  return getJson<DashboardDataAnswer>(`/dashboards/${encodeURIComponent(dashboardId)}/data?${params}`);
}

/**
 * `GET /invoices/{id}`: the timeline of an invoice; throws an {@link HttpStatusError} 404 when it
 * has no stored event.
 *
 * @example
 * const { timeline } = await fetchInvoiceTimeline('INV-1');
 */
export function fetchInvoiceTimeline(invoiceId: string): Promise<TimelineAnswer> {
  return getJson<TimelineAnswer>(`/invoices/${encodeURIComponent(invoiceId)}`);
}

/**
 * `GET /reports`: the monthly reports the cell has stored, newest month first.
 *
 * @example
 * const [latest] = await fetchReports();
 */
export function fetchReports(): Promise<ReportsAnswer> {
  return getJson<ReportsAnswer>('/reports');
}
