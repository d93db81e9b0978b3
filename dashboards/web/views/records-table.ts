import type { PanelMeta } from '../../../schemas/api/index.js';
import { el, table } from '../dom.js';
import { formatTime, formatValue } from '../format.js';
import { binStep, GROUP_FIELDS, type Row } from '../series.js';

/**
 * A `table` panel: one line per row, with its time bin (when binned), its group fields and its
 * value. The currency is not a column: money values show it next to the amount.
 *
 * @example
 * renderRecordsTable(panel, body, rows, toMs - fromMs);
 */
export function renderRecordsTable(
  panel: PanelMeta,
  body: HTMLElement,
  rows: readonly Row[],
  spanMs: number,
): void {
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
