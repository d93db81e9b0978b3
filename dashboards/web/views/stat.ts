import type { PanelMeta, Row } from '../api.js';
import { el } from '../dom.js';
import { formatValue } from '../format.js';

/**
 * A `stat` panel: one big figure per row (one per currency for money), `–` when there is none.
 *
 * @example
 * renderStat(panel, body, [{ value: 30 }]);
 */
export function renderStat(panel: PanelMeta, body: HTMLElement, rows: readonly Row[]): void {
  const values = rows.length === 0 ? [{ value: null } as Row] : rows;
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
