import type { PanelMeta } from '../../../schemas/api/index.js';
import { el } from '../dom.js';
import { formatValue } from '../format.js';
import type { Row } from '../series.js';

/**
 * A `stat` panel: one big figure per row (one per currency for money), `–` when there is none.
 *
 * @example
 * renderStat(panel, body, [{ value: 30 }]);
 */
export function renderStat(panel: PanelMeta, body: HTMLElement, rows: readonly Row[]): void {
  const values: readonly Row[] = rows.length === 0 ? [{ value: null }] : rows;
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
