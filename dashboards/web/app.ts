import type { Chart as ChartClass, ChartConfiguration, ChartDataset } from 'chart.js';

/**
 * The local cell's web dashboard (browser side): three views rendered generically from
 * `GET /dashboards` panel metadata, refreshed every 5 s from `GET /dashboards/:view/data`,
 * `/stuck`, `/alarms`, `/reconcile` and `/stats`. Bundled in memory by the dashboard plugin
 * (esbuild); chart.js is the UMD build served by the cell (`window.Chart`), so it works offline.
 *
 * Nothing here names a stage: the stage filter is filled from `/stats` (topology order) and
 * series come from the rows. Money is a decimal string with its currency and is never added
 * across currencies: a money series is always one currency.
 *
 * @example
 * // served as /assets/app.js by cells/local/dashboard-plugin.ts
 */

declare global {
  interface Window {
    Chart: typeof ChartClass;
  }
}

interface PanelMeta {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly chart: 'line' | 'bar' | 'stacked-bar' | 'table' | 'stat' | 'doughnut';
  readonly source: string;
  readonly description?: string;
}

interface DashboardMeta {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly panels: readonly PanelMeta[];
}

type Row = Record<string, unknown>;
type PanelData = { rows: Row[] } | { error: string };

interface ViewData {
  readonly panels: Record<string, PanelData>;
}

interface StageStatsLite {
  readonly accepted: number;
  readonly stored: number;
  readonly inDlq: number;
  readonly inFlight: number;
  readonly visible: number;
}

interface StatsBody {
  readonly cell: string;
  readonly status: string;
  readonly stages: Record<string, StageStatsLite>;
  readonly totals: Record<string, number>;
}

interface StuckBody {
  readonly generatedAt?: string;
  readonly invoices: {
    invoiceId: string;
    stage: string;
    lastStatus: string;
    ageSec: number;
    overdueSec: number;
    slaSec: number;
  }[];
  readonly messages?: {
    stage?: string;
    kind?: string;
    message?: string;
    invoiceId?: string;
    eventId?: string;
    receiveCount?: number;
    ageSec?: number;
  }[];
}

interface AlarmItem {
  readonly id: string;
  readonly title: string;
  readonly stage?: string;
  readonly severity?: string;
  readonly state: string;
  readonly value?: number | null;
  readonly threshold?: number;
  readonly since?: string | number;
}

interface AlarmsBody {
  /** State of the composite "cell unhealthy" alarm. */
  readonly cellUnhealthy?: 'OK' | 'ALARM' | boolean;
  readonly alarms: AlarmItem[];
  readonly transitions?: Row[];
}

interface ReconcileStage {
  readonly stage: string;
  readonly accepted: number;
  readonly stored: number;
  readonly inDlq: number;
  readonly inFlight: number;
  readonly missing: readonly string[] | number;
  readonly balanced: boolean;
}

interface ReconcileBody {
  readonly stages: ReconcileStage[];
  readonly balanced: boolean;
}

interface TimelineBody {
  readonly invoiceId: string;
  readonly timeline: {
    stage: string;
    eventId: string;
    status: string;
    occurredAt: string;
    amount: { value: string; currency: string };
    receivedAtMs: number;
    storedAtMs: number;
  }[];
}

const POLL_MS = 5_000;
const RANGES_MS: Record<string, number> = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
};
/** Group fields a row may carry; the rest (value, amountMinor, counts) are measures. */
const GROUP_FIELDS = ['stage', 'currency', 'vendorId', 'status', 'paymentTermsDays'] as const;
/** Live queue panels keep this many polls of history to draw a line. */
const QUEUE_HISTORY = 60;
const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#4d7c0f'];
/** Sources whose panel data carries more than rows (and that have their own route too). */
const SPECIAL_SOURCES = new Set(['stuck', 'alarms', 'reconcile']);

const state = {
  dashboards: [] as DashboardMeta[],
  view: '',
  charts: new Map<string, ChartClass>(),
  queueHistory: new Map<string, { atMs: number; rows: Row[] }[]>(),
  timer: undefined as number | undefined,
  generation: 0,
};

function $(selector: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return el;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

class HttpStatusError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpStatusError';
    this.status = status;
  }
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  if (!res.ok) throw new HttpStatusError(res.status, body.message ?? `${res.status} ${res.statusText}`);
  return body as T;
}

// ---- formatting ---------------------------------------------------------------------------------

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '–';
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** A value with its unit; money keeps its exact decimal string and currency code. */
function formatValue(value: unknown, unit: string, currency?: unknown): string {
  if (value === null || value === undefined) return '–';
  if (unit === 'money') return `${String(value)} ${typeof currency === 'string' ? currency : ''}`.trim();
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  switch (unit) {
    case '%':
      return `${numberFormat.format(n)} %`;
    case 's':
      return formatDuration(n);
    case 'ms':
      return `${numberFormat.format(n)} ms`;
    case 'days':
      return `${numberFormat.format(n)} days`;
    case 'events/min':
      return `${numberFormat.format(n)} events/min`;
    case 'events':
      return `${numberFormat.format(n)} events`;
    default:
      return numberFormat.format(n);
  }
}

const DAY_MS = 86_400_000;

/**
 * A bin label. Day or week bins (every bin on a UTC midnight, a day or more apart) show the date;
 * shorter bins show the time, with the date when the window spans days, seconds when it is short.
 */
function formatTime(ms: number, spanMs: number, stepMs: number): string {
  const d = new Date(ms);
  if (stepMs >= DAY_MS)
    return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  const time: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit' };
  if (spanMs >= DAY_MS) return d.toLocaleString(undefined, { month: 'short', day: 'numeric', ...time });
  if (spanMs < 3_600_000) return d.toLocaleTimeString(undefined, { ...time, second: '2-digit' });
  return d.toLocaleTimeString(undefined, time);
}

/** The bin width of sorted bin starts: the smallest gap; a lone midnight bin counts as a day. */
function binStep(starts: readonly number[]): number {
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < starts.length; i++)
    step = Math.min(step, (starts[i] as number) - (starts[i - 1] as number));
  if (Number.isFinite(step)) return step;
  return starts.length === 1 && (starts[0] as number) % DAY_MS === 0 ? DAY_MS : 0;
}

/** A group value as shown: payment terms carry their unit. */
function groupLabel(fieldName: string, value: unknown): string {
  if (value === null || value === undefined || value === 'null') return '(none)';
  return fieldName === 'paymentTermsDays' ? `${String(value)} days` : String(value);
}

function groupKey(row: Row, fields: readonly string[]): string {
  return fields.map((f) => groupLabel(f, row[f])).join(' · ');
}

// ---- query state ------------------------------------------------------------------------------

function controls(): HTMLFormElement {
  return $('form.controls') as HTMLFormElement;
}

function field(name: string): HTMLInputElement | HTMLSelectElement {
  return controls().elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
}

/** The window and filters as query parameters (`from`, `to` RFC 3339; `stage`, `cell` when set). */
function currentQuery(): { params: URLSearchParams; fromMs: number; toMs: number } {
  const range = field('range').value;
  let toMs = Date.now();
  let fromMs = toMs - (RANGES_MS[range] ?? 3_600_000);
  if (range === 'custom') {
    const from = Date.parse(field('from').value);
    const to = Date.parse(field('to').value);
    if (Number.isFinite(from)) fromMs = from;
    if (Number.isFinite(to)) toMs = to;
  }
  const params = new URLSearchParams({
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
  });
  for (const name of ['stage', 'cell']) {
    const v = field(name).value;
    if (v) params.set(name, v);
  }
  return { params, fromMs, toMs };
}

// ---- charts -----------------------------------------------------------------------------------

interface Series {
  readonly labels: string[];
  readonly datasets: { label: string; data: (number | null)[]; currency?: string }[];
}

/** A time axis is filled bin by bin up to this many bins; beyond, only bins with data are shown. */
const MAX_FILLED_BINS = 500;

interface SeriesOptions {
  /** Window length, for labels. */
  readonly spanMs: number;
  /** Add the empty bins between the first and last one (regular bins; not live samples). */
  readonly fillBins: boolean;
  /** A missing bin means zero (counted units), not unknown (latency, money). */
  readonly zeroFill: boolean;
}

/**
 * Rows to chart series. Time-binned rows: x = bins, one series per group key. Otherwise x = the
 * first group field and one series per the remaining fields. A money series always carries its
 * currency in the key (money panels group by currency), so no series mixes currencies.
 */
function toSeries(rows: readonly Row[], options: SeriesOptions): Series {
  if (rows.length === 0) return { labels: [], datasets: [] };
  const groups = GROUP_FIELDS.filter((f) => rows.some((r) => f in r));
  const timed = rows.some((r) => typeof r.binStartMs === 'number');
  const xField = timed ? 'binStartMs' : (groups[0] ?? '');
  const seriesFields = timed ? groups : groups.slice(1);
  let xs = [...new Set(rows.map((r) => (xField ? String(r[xField]) : '')))];
  let step = 0;
  if (timed) {
    const starts = xs.map(Number).sort((a, b) => a - b);
    step = binStep(starts);
    const first = starts[0] as number;
    const last = starts[starts.length - 1] as number;
    if (options.fillBins && step > 0 && (last - first) / step <= MAX_FILLED_BINS) {
      xs = [];
      for (let t = first; t <= last; t += step) xs.push(String(t));
    } else xs = starts.map(String);
  }
  const index = new Map(xs.map((x, i) => [x, i]));
  const byKey = new Map<string, { data: (number | null)[]; currency?: string }>();
  for (const row of rows) {
    const key = seriesFields.length > 0 ? groupKey(row, seriesFields) : 'value';
    let series = byKey.get(key);
    if (!series) {
      series = {
        data: xs.map(() => (options.zeroFill ? 0 : null)),
        ...(typeof row.currency === 'string' ? { currency: row.currency } : {}),
      };
      byKey.set(key, series);
    }
    const x = index.get(xField ? String(row[xField]) : '');
    if (x === undefined) continue;
    const v = row.value === null || row.value === undefined ? null : Number(row.value);
    series.data[x] = v !== null && Number.isFinite(v) ? v : null;
  }
  return {
    labels: xs.map((x) =>
      timed ? formatTime(Number(x), options.spanMs, step) : x === 'null' ? '(none)' : x,
    ),
    datasets: [...byKey].map(([label, s]) => ({ label, ...s })),
  };
}

function chartConfig(panel: PanelMeta, series: Series): ChartConfiguration {
  // A line through one bin is a lone dot on the axis: draw that bin as a bar until there are more.
  const kind =
    panel.chart === 'stacked-bar' || (panel.chart === 'line' && series.labels.length === 1)
      ? 'bar'
      : panel.chart === 'doughnut'
        ? 'doughnut'
        : panel.chart;
  const stacked = panel.chart === 'stacked-bar';
  const datasets = series.datasets.map((s, i): ChartDataset => {
    const color = PALETTE[i % PALETTE.length] as string;
    if (kind === 'doughnut') {
      return {
        label: s.label,
        data: s.data,
        backgroundColor: series.labels.map((_, j) => PALETTE[j % PALETTE.length]),
      };
    }
    return {
      label: s.label,
      data: s.data,
      borderColor: color,
      backgroundColor: kind === 'line' ? color : `${color}cc`,
      pointRadius: kind === 'line' ? 2 : 0,
      tension: 0,
      spanGaps: true,
    } as ChartDataset;
  });
  const unitLabel = panel.unit === 'money' ? 'amount (per currency)' : panel.unit;
  const tooltipLabel = (ctx: { dataset: { label?: string }; raw: unknown; datasetIndex: number }) => {
    const currency = series.datasets[ctx.datasetIndex]?.currency;
    const raw = ctx.raw as number | null;
    const shown = panel.unit === 'money' && raw !== null ? raw.toFixed(2) : raw;
    return `${ctx.dataset.label ?? ''}: ${formatValue(shown, panel.unit, currency)}`;
  };
  return {
    type: kind,
    data: { labels: series.labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: {
          position: kind === 'doughnut' ? 'right' : 'bottom',
          labels: { boxWidth: 10, font: { size: 11 } },
        },
        tooltip: { callbacks: { label: tooltipLabel } },
      },
      ...(kind === 'doughnut'
        ? {}
        : {
            scales: {
              x: {
                stacked,
                ticks: {
                  maxRotation: 0,
                  autoSkip: true,
                  autoSkipPadding: 16,
                  maxTicksLimit: 6,
                  font: { size: 10 },
                },
              },
              y: {
                stacked,
                beginAtZero: true,
                title: { display: true, text: unitLabel, font: { size: 10 } },
                ticks: {
                  font: { size: 10 },
                  precision: panel.unit === 'count' || panel.unit === 'events' ? 0 : undefined,
                },
              },
            },
          }),
    } as ChartConfiguration['options'],
  } as ChartConfiguration;
}

function drawChart(panel: PanelMeta, body: HTMLElement, series: Series): void {
  let canvas = body.querySelector('canvas');
  let chart = state.charts.get(panel.id);
  const next = chartConfig(panel, series);
  if (chart && (chart.config as { type?: string }).type !== next.type) {
    chart.destroy();
    chart = undefined;
  }
  if (!canvas || !chart) {
    canvas = el('canvas');
    body.replaceChildren(el('div', { class: 'chart-box' }, canvas));
    chart = new window.Chart(canvas, next);
    state.charts.set(panel.id, chart);
  } else {
    chart.data = next.data;
    chart.update('none');
  }
  const empty = series.datasets.length === 0 || series.datasets.every((d) => d.data.every((v) => v === null));
  body.classList.toggle('is-empty', empty);
  body.dataset.empty = String(empty);
}

// ---- panel renderers ---------------------------------------------------------------------------

function table(
  headers: string[],
  rows: (Node | string)[][],
  attrs: (i: number) => Record<string, string> = () => ({}),
) {
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((cells, i) => el('tr', attrs(i), ...cells.map((c) => el('td', {}, c))))),
  );
}

function renderRecordsTable(panel: PanelMeta, body: HTMLElement, rows: readonly Row[], spanMs: number): void {
  const groups = GROUP_FIELDS.filter((f) => f !== 'currency' && rows.some((r) => f in r));
  const timed = rows.some((r) => typeof r.binStartMs === 'number');
  const step = timed ? binStep([...new Set(rows.map((r) => Number(r.binStartMs)))].sort((a, b) => a - b)) : 0;
  const headers = [...(timed ? ['time'] : []), ...groups, panel.unit === 'money' ? 'amount' : panel.unit];
  const cells = rows.map((r) => [
    ...(timed ? [formatTime(Number(r.binStartMs), spanMs, step)] : []),
    ...groups.map((g) => (r[g] === null || r[g] === undefined ? '(none)' : String(r[g]))),
    el('span', { class: 'num', 'data-testid': 'cell-value' }, formatValue(r.value, panel.unit, r.currency)),
  ]);
  body.replaceChildren(
    rows.length === 0 ? el('p', { class: 'muted' }, 'No data in this window.') : table(headers, cells),
  );
}

function renderStat(panel: PanelMeta, body: HTMLElement, rows: readonly Row[]): void {
  const values = rows.length === 0 ? [{ value: null } as Row] : rows;
  body.replaceChildren(
    ...values.map((r) =>
      el(
        'div',
        { class: 'stat', 'data-testid': 'stat-value', 'data-value': String(r.value ?? '') },
        formatValue(r.value, panel.unit, r.currency),
      ),
    ),
  );
}

/** Queue panels are live gauges: each poll adds a point, so the line shows the recent trend. */
function queueSeriesRows(panelId: string, rows: readonly Row[]): Row[] {
  if (rows.some((r) => typeof r.binStartMs === 'number')) return [...rows];
  const history = state.queueHistory.get(panelId) ?? [];
  history.push({ atMs: Date.now(), rows: [...rows] });
  if (history.length > QUEUE_HISTORY) history.shift();
  state.queueHistory.set(panelId, history);
  return history.flatMap((h) => h.rows.map((r) => ({ ...r, binStartMs: h.atMs })));
}

function renderRowsPanel(
  panel: PanelMeta,
  body: HTMLElement,
  data: PanelData | undefined,
  spanMs: number,
): void {
  if (!data) {
    body.replaceChildren(el('p', { class: 'muted' }, 'No data returned for this panel.'));
    return;
  }
  if ('error' in data) {
    state.charts.get(panel.id)?.destroy();
    state.charts.delete(panel.id);
    body.replaceChildren(el('p', { class: 'error', 'data-testid': 'panel-error' }, data.error));
    return;
  }
  const rows = data.rows ?? [];
  if (SPECIAL_SOURCES.has(panel.source)) {
    renderSpecial(panel.source, body, data as { rows: Row[] } & Row);
    return;
  }
  const total = panel.unit === 'money' ? undefined : rows.reduce((sum, r) => sum + (Number(r.value) || 0), 0);
  const section = body.parentElement as HTMLElement;
  section.dataset.rows = String(rows.length);
  if (total !== undefined && panel.source !== 'queue') section.dataset.total = String(total);
  if (panel.chart === 'table') {
    renderRecordsTable(panel, body, rows, spanMs);
    return;
  }
  if (panel.chart === 'stat') {
    renderStat(panel, body, rows);
    return;
  }
  const chartRows =
    panel.source === 'queue' && panel.chart === 'line' ? queueSeriesRows(panel.id, rows) : rows;
  const live = panel.source === 'queue';
  const counted = ['count', 'events', 'events/min'].includes(panel.unit);
  drawChart(
    panel,
    body,
    toSeries(chartRows, { spanMs: live ? 0 : spanMs, fillBins: !live, zeroFill: counted }),
  );
}

/** Stuck, alarm and reconcile panels: their data is the answer of /stuck, /alarms, /reconcile with `rows`. */
function renderSpecial(source: string, body: HTMLElement, data: { rows: Row[] } & Row): void {
  if (source === 'stuck') renderStuck(body, { ...data, invoices: data.rows } as unknown as StuckBody);
  else if (source === 'alarms') renderAlarms(body, { ...data, alarms: data.rows } as unknown as AlarmsBody);
  else renderReconcile(body, { ...data, stages: data.rows } as unknown as ReconcileBody);
}

function renderStuck(body: HTMLElement, stuck: StuckBody): void {
  const invoices = [...stuck.invoices].sort((a, b) => b.overdueSec - a.overdueSec);
  const rows = invoices.map((s) => [
    el('a', { href: `#invoice=${encodeURIComponent(s.invoiceId)}`, class: 'invoice-link' }, s.invoiceId),
    s.stage,
    el('span', { class: 'num' }, formatDuration(s.ageSec)),
    el('span', { class: 'num warn' }, formatDuration(s.overdueSec)),
    s.lastStatus,
  ]);
  const messages = stuck.messages ?? [];
  body.replaceChildren(
    invoices.length === 0
      ? el('p', { class: 'muted', 'data-testid': 'stuck-empty' }, 'No invoice is past its stage SLA.')
      : table(['invoice', 'stage', 'age', 'overdue', 'last status'], rows, (i) => ({
          'data-testid': `stuck-row-${invoices[i]?.invoiceId ?? ''}`,
        })),
    ...(messages.length > 0
      ? [
          el('h3', {}, 'Stuck messages (DLQ, old messages)'),
          table(
            ['stage', 'kind', 'invoice', 'receives', 'age', 'detail'],
            messages.map((m) => [
              m.stage ?? '',
              m.kind ?? '',
              m.invoiceId ?? '',
              String(m.receiveCount ?? ''),
              el('span', { class: 'num' }, m.ageSec === undefined ? '–' : formatDuration(m.ageSec)),
              m.message ?? m.eventId ?? '',
            ]),
            (i) => ({ 'data-testid': `stuck-message-${messages[i]?.eventId ?? messages[i]?.stage ?? ''}` }),
          ),
        ]
      : []),
  );
}

function formatSince(since: unknown): string {
  if (since === undefined || since === null) return '–';
  const ms = typeof since === 'number' ? since : Date.parse(String(since));
  return Number.isFinite(ms) ? new Date(ms).toLocaleTimeString() : String(since);
}

function renderAlarms(body: HTMLElement, alarms: AlarmsBody): void {
  const sorted = [...alarms.alarms].sort((a, b) => Number(b.state === 'ALARM') - Number(a.state === 'ALARM'));
  const rows = sorted.map((a) => [
    el('span', { class: `state state-${a.state.toLowerCase()}` }, a.state),
    a.title,
    a.stage ?? 'cell',
    a.severity ?? '',
    el(
      'span',
      { class: 'num' },
      `${a.value === null || a.value === undefined ? '–' : numberFormat.format(a.value)} / ${a.threshold ?? '–'}`,
    ),
    formatSince(a.since),
  ]);
  const unhealthy = alarms.cellUnhealthy === true || alarms.cellUnhealthy === 'ALARM';
  // Newest first, as the monitoring route answers.
  const transitions = (alarms.transitions ?? []).slice(0, 8);
  body.replaceChildren(
    el(
      'p',
      { class: unhealthy ? 'health bad' : 'health ok', 'data-testid': 'cell-health' },
      unhealthy ? 'Cell unhealthy (a critical alarm fires)' : 'Cell healthy',
    ),
    table(['state', 'alarm', 'stage', 'severity', 'value / threshold', 'since'], rows, (i) => ({
      'data-testid': `alarm-${sorted[i]?.id ?? ''}`,
      'data-state': sorted[i]?.state ?? '',
    })),
    el('h3', {}, 'Recent transitions'),
    transitions.length === 0
      ? el('p', { class: 'muted' }, 'No transitions yet.')
      : el(
          'ul',
          { class: 'history', 'data-testid': 'alarm-history' },
          ...transitions.map((t) =>
            el(
              'li',
              {},
              `${formatSince(t.atMs ?? t.at)} ${String(t.title ?? t.ruleId ?? t.id ?? '')}: ${String(t.from ?? '')} → ${String(t.to ?? '')}`,
            ),
          ),
        ),
  );
}

function renderReconcile(body: HTMLElement, report: ReconcileBody): void {
  const missingCount = (m: ReconcileStage['missing']) => (Array.isArray(m) ? m.length : Number(m) || 0);
  const rows = report.stages.map((s) => [
    s.stage,
    ...[s.accepted, s.stored, s.inDlq, s.inFlight, missingCount(s.missing)].map((n) =>
      el('span', { class: 'num' }, String(n)),
    ),
    el('span', { class: s.balanced ? 'ok' : 'bad' }, s.balanced ? 'balanced' : 'NOT balanced'),
  ]);
  body.replaceChildren(
    el(
      'p',
      {
        class: report.balanced ? 'health ok' : 'health bad',
        'data-testid': 'reconcile-balanced',
        'data-balanced': String(report.balanced),
      },
      report.balanced
        ? 'Every accepted event is stored, in a DLQ or in flight.'
        : 'Some accepted events are unaccounted for.',
    ),
    table(['stage', 'accepted', 'stored', 'in DLQ', 'in flight', 'missing', ''], rows, (i) => ({
      'data-testid': `reconcile-row-${report.stages[i]?.stage ?? ''}`,
    })),
  );
}

// ---- view --------------------------------------------------------------------------------------

function currentDashboard(): DashboardMeta | undefined {
  return state.dashboards.find((d) => d.id === state.view);
}

function buildView(): void {
  for (const chart of state.charts.values()) chart.destroy();
  state.charts.clear();
  state.queueHistory.clear();
  const dashboard = currentDashboard();
  const view = $('main.grid');
  view.dataset.view = state.view;
  if (!dashboard) {
    view.replaceChildren(el('p', { class: 'muted' }, 'No dashboards.'));
    return;
  }
  view.replaceChildren(
    ...dashboard.panels.map((p) => {
      const wide = SPECIAL_SOURCES.has(p.source);
      return el(
        'section',
        {
          class: `panel chart-${p.chart}${wide ? ' wide' : ''}`,
          'data-testid': `panel-${p.id}`,
          'data-chart': p.chart,
          'data-unit': p.unit,
        },
        el(
          'header',
          {},
          el('h2', { title: p.description ?? p.title }, p.title),
          el(
            'span',
            { class: 'unit', 'data-testid': 'unit' },
            p.unit === 'money' ? 'money · per currency' : p.unit,
          ),
        ),
        el('div', { class: 'body' }, el('p', { class: 'muted' }, 'loading…')),
      );
    }),
  );
  for (const tab of Array.from(document.querySelectorAll<HTMLElement>('nav.tabs button'))) {
    tab.setAttribute('aria-selected', String(tab.dataset.view === state.view));
  }
}

function panelBody(id: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`[data-testid="panel-${id}"] .body`);
}

function renderSummary(stats: StatsBody): void {
  const items: [string, string, number][] = [
    ['accepted', 'Accepted events', stats.totals.accepted ?? 0],
    ['stored', 'Stored records', stats.totals.stored ?? 0],
    ['in-flight', 'In queues', (stats.totals.visible ?? 0) + (stats.totals.inFlight ?? 0)],
    ['in-dlq', 'In DLQs', stats.totals.inDlq ?? 0],
    ['unaccounted', 'Unaccounted', stats.totals.unaccounted ?? 0],
  ];
  $('section.summary').replaceChildren(
    ...items.map(([key, label, value]) =>
      el(
        'div',
        { class: `card${key === 'in-dlq' && value > 0 ? ' bad' : ''}`, 'data-testid': `summary-${key}` },
        el('span', { class: 'label' }, label),
        el(
          'span',
          { class: 'value', 'data-testid': 'stat-value', 'data-value': String(value) },
          numberFormat.format(value),
        ),
      ),
    ),
  );
  $('[data-testid="cell-name"]').textContent = `· cell ${stats.cell} (${stats.status})`;
  fillSelect(field('stage') as HTMLSelectElement, Object.keys(stats.stages));
  fillSelect(field('cell') as HTMLSelectElement, [stats.cell]);
}

/** Adds options once (keeps the user's choice). */
function fillSelect(select: HTMLSelectElement, values: readonly string[]): void {
  const have = new Set(Array.from(select.options, (o) => o.value));
  for (const v of values) if (!have.has(v)) select.append(el('option', { value: v }, v));
}

async function refresh(): Promise<void> {
  window.clearTimeout(state.timer);
  const generation = state.generation;
  const dashboard = currentDashboard();
  const banner = $('[data-testid="error-banner"]');
  const { params, fromMs, toMs } = currentQuery();
  try {
    const [stats, data] = await Promise.all([
      getJson<StatsBody>('/stats'),
      dashboard
        ? getJson<ViewData>(`/dashboards/${encodeURIComponent(dashboard.id)}/data?${params}`)
        : undefined,
    ]);
    if (generation !== state.generation) return;
    renderSummary(stats);
    for (const panel of dashboard?.panels ?? []) {
      const body = panelBody(panel.id);
      if (body) renderRowsPanel(panel, body, data?.panels[panel.id], toMs - fromMs);
    }
    banner.hidden = true;
    const updated = $('[data-testid="updated-at"]');
    updated.textContent = `Updated ${new Date().toLocaleTimeString()} · every ${POLL_MS / 1000} s`;
    updated.dataset.updatedMs = String(Date.now());
  } catch (error) {
    banner.textContent = `Refresh failed: ${(error as Error).message}. Retrying every ${POLL_MS / 1000} s.`;
    banner.hidden = false;
  } finally {
    if (generation === state.generation) state.timer = window.setTimeout(() => void refresh(), POLL_MS);
  }
}

function showView(id: string): void {
  state.view = id;
  state.generation += 1;
  buildView();
  const hash = new URLSearchParams(location.hash.slice(1));
  hash.set('view', id);
  history.replaceState(null, '', `#${hash}`);
  void refresh();
}

function restart(): void {
  state.generation += 1;
  state.queueHistory.clear();
  void refresh();
}

// ---- invoice search ------------------------------------------------------------------------------

async function searchInvoice(invoiceId: string): Promise<void> {
  const box = $('[data-testid="invoice-result"]');
  const id = invoiceId.trim();
  if (!id) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.replaceChildren(el('p', { class: 'muted' }, `Looking up ${id}…`));
  const close = el('button', { type: 'button', class: 'close', 'aria-label': 'Close' }, '×');
  close.addEventListener('click', () => {
    box.hidden = true;
  });
  try {
    const body = await getJson<TimelineBody>(`/invoices/${encodeURIComponent(id)}`);
    const rows = body.timeline.map((t) => [
      t.stage,
      t.status,
      new Date(t.occurredAt).toLocaleString(),
      el('span', { class: 'num' }, `${t.amount.value} ${t.amount.currency}`),
      el('span', { class: 'num' }, `${t.storedAtMs - t.receivedAtMs} ms`),
      el('code', {}, t.eventId),
    ]);
    box.replaceChildren(
      close,
      el('h2', {}, `Invoice ${body.invoiceId} · ${body.timeline.length} stored events`),
      table(['stage', 'status', 'occurred at', 'amount', 'ingest → store', 'event id'], rows, () => ({
        'data-testid': 'timeline-row',
      })),
    );
  } catch (error) {
    const notFound = error instanceof HttpStatusError && error.status === 404;
    box.replaceChildren(
      close,
      el(
        'p',
        {
          class: notFound ? 'muted' : 'error',
          'data-testid': notFound ? 'invoice-not-found' : 'invoice-error',
        },
        notFound
          ? `No stored events for invoice “${id}”. Check the id, or it may still be in a queue or DLQ.`
          : (error as Error).message,
      ),
    );
  }
}

// ---- start -------------------------------------------------------------------------------------

async function start(): Promise<void> {
  const form = controls();
  form.addEventListener('submit', (e) => e.preventDefault());
  form.addEventListener('change', (e) => {
    const target = e.target as HTMLElement;
    if (target === field('invoice')) return;
    const custom = field('range').value === 'custom';
    for (const label of Array.from(form.querySelectorAll<HTMLElement>('label.custom')))
      label.hidden = !custom;
    if (custom && !field('from').value) {
      const toLocal = (ms: number) =>
        new Date(ms - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
      field('from').value = toLocal(Date.now() - 3_600_000);
      field('to').value = toLocal(Date.now());
    }
    restart();
  });
  field('invoice').addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter') {
      e.preventDefault();
      void searchInvoice(field('invoice').value);
    }
  });
  $('main.grid').addEventListener('click', (e) => {
    const link = (e.target as HTMLElement).closest<HTMLAnchorElement>('a.invoice-link');
    if (!link) return;
    e.preventDefault();
    field('invoice').value = link.textContent ?? '';
    void searchInvoice(link.textContent ?? '');
  });

  try {
    state.dashboards = await getJson<DashboardMeta[]>('/dashboards');
  } catch (error) {
    const banner = $('[data-testid="error-banner"]');
    banner.textContent = `Cannot load dashboards: ${(error as Error).message}`;
    banner.hidden = false;
    return;
  }
  $('nav.tabs').replaceChildren(
    ...state.dashboards.map((d) => {
      const tab = el(
        'button',
        { type: 'button', 'data-view': d.id, 'data-testid': `tab-${d.id}`, title: d.description ?? '' },
        d.title,
      );
      tab.addEventListener('click', () => showView(d.id));
      return tab;
    }),
  );
  const wanted = new URLSearchParams(location.hash.slice(1)).get('view');
  showView(
    state.dashboards.some((d) => d.id === wanted) ? (wanted as string) : (state.dashboards[0]?.id ?? ''),
  );
}

void start();
