import type { PanelMeta } from '../../../schemas/api/index.js';
import { categoryAxisTitle } from '../axis-titles.js';
import { el, table } from '../dom.js';
import { formatTime, formatValue } from '../format.js';
import { binStep, GROUP_FIELDS, type Row } from '../series.js';

/**
 * A `table` panel: one line per row, with its time bin (when binned), its group fields and its
 * value. The currency is not a column: money values show it next to the amount, formatted in it
 * (one currency per row; nothing is added across currencies). A vendor shows its name beside its
 * id when the cell knows the name.
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
  const headers = [
    ...(timed ? ['time'] : []),
    ...groups.map(categoryAxisTitle),
    panel.unit === 'money' ? 'amount' : panel.unit,
  ];
  const cells = rows.map((r) => [
    ...(timed ? [formatTime(Number(r.binStartMs), spanMs, step)] : []),
    ...groups.map((g) => groupCell(g, r)),
    el('span', { class: 'num', 'data-testid': 'cell-value' }, formatValue(r.value, panel.unit, r.currency)),
  ]);
  body.replaceChildren(table(headers, cells));
  body.dataset.empty = 'false';
}

/** A group field's cell; a vendor is its name (when known) with its id beside it. */
function groupCell(field: string, row: Row): Node | string {
  const value = row[field];
  if (value === null || value === undefined) return '(none)';
  if (field !== 'vendorId') return String(value);
  const id = el('span', { class: 'muted vendor-id', 'data-testid': 'vendor-id' }, String(value));
  if (typeof row.vendorName !== 'string') return el('span', { class: 'vendor' }, id);
  return el(
    'span',
    { class: 'vendor' },
    el('span', { 'data-testid': 'vendor-name' }, row.vendorName),
    ' ',
    id,
  );
}
