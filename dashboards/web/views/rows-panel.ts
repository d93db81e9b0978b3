import type { PanelData, PanelMeta } from '../../../schemas/api/index.js';
import { destroyChart, drawChart } from '../charts.js';
import { el } from '../dom.js';
import { type Row, toSeries } from '../series.js';
import { queueSeriesRows } from './queue-history.js';
import { renderRecordsTable } from './records-table.js';
import { renderSpecial, SPECIAL_SOURCES } from './special-panel.js';
import { renderStat } from './stat.js';

/** Units that count things: a bin without a row is zero, not unknown. */
const COUNTED_UNITS = ['count', 'events', 'events/min'];

/**
 * Renders one panel's data into its body, by the panel's source and chart kind: an error, a
 * special panel (stuck, alarms, reconcile), a table, a stat or a chart. Marks the panel section
 * with its row count and (for counted units, not live queues) its total.
 *
 * @example
 * renderRowsPanel(panel, body, data.panels[panel.id], toMs - fromMs);
 */
export function renderRowsPanel(
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
    destroyChart(panel.id);
    body.replaceChildren(el('p', { class: 'error', 'data-testid': 'panel-error' }, data.error));
    return;
  }
  if (SPECIAL_SOURCES.has(panel.source)) {
    renderSpecial(panel.source, body, data);
    return;
  }
  const rows: readonly Row[] = data.rows;
  markSection(panel, body, rows);
  if (panel.chart === 'table') {
    renderRecordsTable(panel, body, rows, spanMs);
    return;
  }
  if (panel.chart === 'stat') {
    renderStat(panel, body, rows);
    return;
  }
  const live = panel.source === 'queue';
  const chartRows = live && panel.chart === 'line' ? queueSeriesRows(panel.id, rows) : rows;
  const counted = COUNTED_UNITS.includes(panel.unit);
  drawChart(
    panel,
    body,
    toSeries(chartRows, { spanMs: live ? 0 : spanMs, fillBins: !live, zeroFill: counted }),
  );
}

/** `data-rows` and `data-total` on the panel's section (no total of money: it is per currency). */
function markSection(panel: PanelMeta, body: HTMLElement, rows: readonly Row[]): void {
  const total = panel.unit === 'money' ? undefined : rows.reduce((sum, r) => sum + (Number(r.value) || 0), 0);
  const section = body.parentElement as HTMLElement;
  section.dataset.rows = String(rows.length);
  if (total !== undefined && panel.source !== 'queue') section.dataset.total = String(total);
}
