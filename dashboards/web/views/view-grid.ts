import type { PanelMeta } from '../../../schemas/api/index.js';
import { destroyAllCharts } from '../charts.js';
import { $, el } from '../dom.js';
import { currentDashboard, state } from '../state.js';
import { REPORTS_VIEW, showReports } from './reports.js';
import { SPECIAL_SOURCES } from './special-panel.js';

/**
 * The empty section of a panel: its title, unit and a `loading…` body the refresh fills.
 */
function panelSection(p: PanelMeta): HTMLElement {
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
      el('span', { class: 'unit', 'data-testid': 'unit' }, p.unit === 'money' ? 'per currency' : p.unit),
    ),
    el('div', { class: 'body' }, el('p', { class: 'muted' }, 'loading…')),
  );
}

/**
 * Rebuilds the grid for the shown view (drops its charts and queue history) and marks its tab.
 *
 * @example
 * state.view = 'finance';
 * buildView();
 */
export function buildView(): void {
  destroyAllCharts();
  state.queueHistory.clear();
  const dashboard = currentDashboard();
  const view = $('main.grid');
  view.dataset.view = state.view;
  for (const tab of Array.from(document.querySelectorAll<HTMLElement>('nav.tabs button'))) {
    tab.setAttribute('aria-selected', String(tab.dataset.view === state.view));
  }
  if (state.view === REPORTS_VIEW) {
    showReports();
    return;
  }
  if (!dashboard) {
    view.replaceChildren(el('p', { class: 'muted' }, 'No dashboards.'));
    return;
  }
  view.replaceChildren(...dashboard.panels.map(panelSection));
}

/**
 * The body of a panel of the grid, if the grid has it.
 *
 * @example
 * const body = panelBody('fin-amount-by-currency');
 */
export function panelBody(id: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`[data-testid="panel-${id}"] .body`);
}
