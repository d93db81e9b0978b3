import type { StatsAnswer } from '../../../schemas/api/index.js';
import { field } from '../controls.js';
import { $, el } from '../dom.js';
import { formatNumber } from '../format.js';

/**
 * The summary cards above the grid (from `GET /stats`), the cell name in the top bar, and the
 * stage and cell filters' options (stages in topology order, as `/stats` lists them).
 *
 * @example
 * renderSummary(await fetchStats());
 */
export function renderSummary(stats: StatsAnswer): void {
  const { totals } = stats;
  const items: [string, string, number][] = [
    ['accepted', 'Accepted events', totals.accepted],
    ['stored', 'Stored records', totals.stored],
    ['in-flight', 'In queues', totals.visible + totals.inFlight],
    ['in-dlq', 'In DLQs', totals.inDlq],
    ['unaccounted', 'Unaccounted', totals.unaccounted],
  ];
  $('section.summary').replaceChildren(...items.map(([key, label, value]) => summaryCard(key, label, value)));
  $('[data-testid="cell-name"]').textContent = `· cell ${stats.cell} (${stats.status})`;
  fillSelect(field('stage') as HTMLSelectElement, Object.keys(stats.stages));
  fillSelect(field('cell') as HTMLSelectElement, [stats.cell]);
}

/** A card; the DLQ card turns red when a DLQ holds anything. */
function summaryCard(key: string, label: string, value: number): HTMLDivElement {
  return el(
    'div',
    { class: `card${key === 'in-dlq' && value > 0 ? ' bad' : ''}`, 'data-testid': `summary-${key}` },
    el('span', { class: 'label' }, label),
    el(
      'span',
      { class: 'value', 'data-testid': 'stat-value', 'data-value': String(value) },
      formatNumber(value),
    ),
  );
}

/** Adds options once (keeps the user's choice). */
function fillSelect(select: HTMLSelectElement, values: readonly string[]): void {
  const have = new Set(Array.from(select.options, (o) => o.value));
  for (const v of values) if (!have.has(v)) select.append(el('option', { value: v }, v));
}
