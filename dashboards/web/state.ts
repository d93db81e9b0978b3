import type { Chart as ChartClass } from 'chart.js';
import type { DashboardMeta } from '../../schemas/api/index.js';
import type { Row } from './series.js';

/** How often the page polls the cell. */
export const POLL_MS = 5_000;

/**
 * The page's one mutable state: the dashboards, the shown view, its live charts and queue
 * history, and the refresh loop's timer and generation. A generation bump (view switch, filter
 * change) makes an answer of an older request be dropped instead of drawn over the new view.
 *
 * @example
 * state.generation += 1; // answers already in flight are now stale
 */
export const state = {
  dashboards: [] as readonly DashboardMeta[],
  view: '',
  /** The charts of each chart panel of the view, by panel id, then by part (currency, or ''). */
  charts: new Map<string, Map<string, ChartClass>>(),
  /** Recent polls of each live queue panel, by panel id. */
  queueHistory: new Map<string, { atMs: number; rows: readonly Row[] }[]>(),
  timer: undefined as number | undefined,
  generation: 0,
};

/**
 * The dashboard of the shown view, if any.
 *
 * @example
 * const panels = currentDashboard()?.panels ?? [];
 */
export function currentDashboard(): DashboardMeta | undefined {
  return state.dashboards.find((d) => d.id === state.view);
}
