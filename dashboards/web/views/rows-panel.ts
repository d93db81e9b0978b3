import type { PanelData, PanelMeta, RecordsPanelData } from '../../../schemas/api/index.js';
import { categoryAxisTitle, timeAxisTitle, valueAxisTitle } from '../axis-titles.js';
import { type ChartPart, destroyChart, drawCharts } from '../charts.js';
import { el } from '../dom.js';
import { GROUP_FIELDS, type Row, type SeriesOptions, splitByCurrency, toSeries } from '../series.js';
import { POLL_MS } from '../state.js';
import { queueSeriesRows } from './queue-history.js';
import { renderRecordsTable } from './records-table.js';
import { renderSpecial, SPECIAL_SOURCES } from './special-panel.js';
import { renderStat } from './stat.js';

/** Units that count things: a bin without a row is zero, not unknown. */
const COUNTED_UNITS = ['count', 'events', 'events/min'];

/** The request's window (epoch ms), for time axes and labels. */
export interface PanelWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

/** What rows answers may carry beside their rows (the fields of `records` panel data). */
type RowsInfo = Pick<RecordsPanelData, 'timeBin' | 'binMs' | 'declaredTimeBin' | 'emptyReason'>;

/**
 * Renders one panel's data into its body, by the panel's source and chart kind: an error, a
 * special panel (stuck, alarms, reconcile), a table, a stat or charts (one per currency for
 * money). A panel with no value says why (the answer's `emptyReason`). Marks the panel section
 * with its row count and (for counted units, not live queues) its total, and its unit tag with
 * the unit per bin.
 *
 * @example
 * renderRowsPanel(panel, body, data.panels[panel.id], { fromMs, toMs });
 */
export function renderRowsPanel(
  panel: PanelMeta,
  body: HTMLElement,
  data: PanelData | undefined,
  window: PanelWindow,
): void {
  if (!data) {
    destroyChart(panel.id);
    showEmpty(body, 'The cell returned no data for this panel.');
    return;
  }
  if ('error' in data) {
    destroyChart(panel.id);
    body.replaceChildren(el('p', { class: 'error', 'data-testid': 'panel-error' }, data.error));
    return;
  }
  if (SPECIAL_SOURCES.has(panel.source)) {
    renderSpecial(panel.source, body, data);
    return;
  }
  const rows: readonly Row[] = data.rows;
  const info = data as RowsInfo;
  markSection(panel, body, rows);
  markUnit(panel, body, info);
  const empty = rows.every((r) => r.value === null || r.value === undefined);
  const reason = info.emptyReason ?? 'No data in this window.';
  if (panel.chart === 'stat') {
    renderStat(panel, body, rows);
    if (empty) body.append(reasonNote(reason));
    return;
  }
  // Live queue panels keep their history even while empty, so the line resumes where it was.
  const chartRows =
    panel.source === 'queue' && panel.chart === 'line' ? queueSeriesRows(panel.id, rows) : rows;
  if (empty) {
    destroyChart(panel.id);
    showEmpty(body, reason);
    return;
  }
  if (panel.chart === 'table') {
    renderRecordsTable(panel, body, rows, window.toMs - window.fromMs);
    return;
  }
  drawCharts(panel, body, chartParts(panel, chartRows, info, window));
  body.dataset.empty = 'false';
}

/**
 * The charts of a panel: one per currency for money (each titled by its code, so no axis mixes
 * currencies), one otherwise; axes titled with their units.
 */
function chartParts(
  panel: PanelMeta,
  rows: readonly Row[],
  info: RowsInfo,
  window: PanelWindow,
): ChartPart[] {
  const live = panel.source === 'queue';
  const timed = rows.some((r) => typeof r.binStartMs === 'number');
  const options: SeriesOptions = {
    spanMs: live ? 0 : window.toMs - window.fromMs,
    fillBins: !live,
    zeroFill: COUNTED_UNITS.includes(panel.unit),
    ...(info.binMs === undefined ? {} : { binMs: info.binMs, window }),
  };
  const binMs = live ? undefined : info.binMs;
  const firstGroup = GROUP_FIELDS.find((f) => f !== 'currency' && rows.some((r) => f in r)) ?? '';
  const xTitle = live
    ? timeAxisTitle({ liveEverySec: POLL_MS / 1000 })
    : timed
      ? timeAxisTitle(binMs === undefined ? {} : { binMs })
      : categoryAxisTitle(firstGroup);
  const perBin = binMs === undefined ? {} : { binMs };
  if (panel.unit !== 'money') {
    return [{ key: '', series: toSeries(rows, options), xTitle, yTitle: valueAxisTitle(panel.unit, perBin) }];
  }
  return splitByCurrency(rows).map(([currency, own]) => ({
    key: currency,
    currency,
    series: toSeries(own, { ...options, omitFromLabels: ['currency'] }),
    xTitle,
    yTitle: valueAxisTitle('money', { ...perBin, currency }),
  }));
}

function reasonNote(reason: string): HTMLElement {
  return el('p', { class: 'muted empty-reason', 'data-testid': 'empty-reason' }, reason);
}

/** An empty panel: its reason in place of a chart or table. */
function showEmpty(body: HTMLElement, reason: string): void {
  body.replaceChildren(reasonNote(reason));
  body.dataset.empty = 'true';
}

/** The header's unit tag: the unit per bin once the answer names its bin (and which bin it chose). */
function markUnit(panel: PanelMeta, body: HTMLElement, info: RowsInfo): void {
  const tag = body.parentElement?.querySelector<HTMLElement>('[data-testid="unit"]');
  if (!tag) return;
  if (panel.unit === 'money') {
    tag.textContent =
      panel.chart === 'table' || panel.chart === 'stat' ? 'per currency' : 'one chart per currency';
  } else {
    tag.textContent = valueAxisTitle(panel.unit, info.binMs === undefined ? {} : { binMs: info.binMs });
  }
  tag.title =
    info.declaredTimeBin !== undefined && info.timeBin !== undefined
      ? `Drawn in ${info.timeBin} bins: the panel's ${info.declaredTimeBin} bins would give too many or too few points for this range.`
      : '';
  if (info.timeBin !== undefined) tag.dataset.timeBin = info.timeBin;
}

/** `data-rows` and `data-total` on the panel's section (no total of money: it is per currency). */
function markSection(panel: PanelMeta, body: HTMLElement, rows: readonly Row[]): void {
  const total = panel.unit === 'money' ? undefined : rows.reduce((sum, r) => sum + (Number(r.value) || 0), 0);
  const section = body.parentElement as HTMLElement;
  section.dataset.rows = String(rows.length);
  if (total !== undefined && panel.source !== 'queue') section.dataset.total = String(total);
}
