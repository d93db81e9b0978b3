import type { Row } from '../series.js';
import { state } from '../state.js';

/** Live queue panels keep this many polls of history to draw a line. */
const QUEUE_HISTORY = 60;

/**
 * Queue panels are live gauges: each poll adds a point, so the line shows the recent trend.
 * Binned rows (a queue panel over a window) are drawn as they are.
 *
 * @example
 * const chartRows = queueSeriesRows(panel.id, rows); // rows stamped with each poll's time
 */
export function queueSeriesRows(panelId: string, rows: readonly Row[]): Row[] {
  if (rows.some((r) => typeof r.binStartMs === 'number')) return [...rows];
  const history = state.queueHistory.get(panelId) ?? [];
  history.push({ atMs: Date.now(), rows: [...rows] });
  if (history.length > QUEUE_HISTORY) history.shift();
  state.queueHistory.set(panelId, history);
  return history.flatMap((h) => h.rows.map((r) => ({ ...r, binStartMs: h.atMs })));
}
