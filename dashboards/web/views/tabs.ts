import type { DashboardMeta } from '../../../schemas/api/index.js';
import { $, el } from '../dom.js';

/**
 * One tab per dashboard in the top bar; clicking a tab calls `onSelect` with its id.
 *
 * @example
 * renderTabs(state.dashboards, showView);
 */
export function renderTabs(dashboards: readonly DashboardMeta[], onSelect: (id: string) => void): void {
  $('nav.tabs').replaceChildren(
    ...dashboards.map((d) => {
      const tab = el(
        'button',
        { type: 'button', 'data-view': d.id, 'data-testid': `tab-${d.id}`, title: d.description },
        d.title,
      );
      tab.addEventListener('click', () => onSelect(d.id));
      return tab;
    }),
  );
}
