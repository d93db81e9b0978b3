import { fetchStats, fetchViewData } from './api.js';
import { currentQuery } from './controls.js';
import { $ } from './dom.js';
import { currentDashboard, POLL_MS, state } from './state.js';
import { renderRowsPanel } from './views/rows-panel.js';
import { renderSummary } from './views/summary.js';
import { buildView, panelBody } from './views/view-grid.js';

/**
 * The refresh loop: every {@link POLL_MS} it reads `/stats` and the shown view's data and redraws
 * the summary and every panel. A view switch or a filter change starts a new generation, so an
 * answer to an older request is dropped and only the newest loop schedules the next poll.
 *
 * @example
 * showView('operations');
 */

function showUpdated(): void {
  const updated = $('[data-testid="updated-at"]');
  updated.textContent = `Updated ${new Date().toLocaleTimeString()} · every ${POLL_MS / 1000} s`;
  updated.dataset.updatedMs = String(Date.now());
}

/**
 * Polls once, draws the answers (if still current), and schedules the next poll. A failure shows
 * the error banner until a poll succeeds.
 *
 * @example
 * void refresh();
 */
export async function refresh(): Promise<void> {
  window.clearTimeout(state.timer);
  const generation = state.generation;
  const dashboard = currentDashboard();
  const banner = $('[data-testid="error-banner"]');
  const { params, fromMs, toMs } = currentQuery();
  try {
    const [stats, data] = await Promise.all([
      fetchStats(),
      dashboard ? fetchViewData(dashboard.id, params) : undefined,
    ]);
    if (generation !== state.generation) return;
    renderSummary(stats);
    for (const panel of dashboard?.panels ?? []) {
      const body = panelBody(panel.id);
      if (body) renderRowsPanel(panel, body, data?.panels[panel.id], { fromMs, toMs });
    }
    banner.hidden = true;
    showUpdated();
  } catch (error) {
    banner.textContent = `Refresh failed: ${(error as Error).message}. Retrying every ${POLL_MS / 1000} s.`;
    banner.hidden = false;
  } finally {
    if (generation === state.generation) state.timer = window.setTimeout(() => void refresh(), POLL_MS);
  }
}

/**
 * Shows a view: rebuilds the grid, keeps the view in the URL hash, refreshes now.
 *
 * @example
 * showView('finance');
 */
export function showView(id: string): void {
  state.view = id;
  state.generation += 1;
  buildView();
  const hash = new URLSearchParams(location.hash.slice(1));
  hash.set('view', id);
  history.replaceState(null, '', `#${hash}`);
  void refresh();
}

/**
 * Restarts the loop after a filter change: drops answers in flight and the live queue history.
 *
 * @example
 * restart();
 */
export function restart(): void {
  state.generation += 1;
  state.queueHistory.clear();
  void refresh();
}
