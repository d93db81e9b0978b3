import type { DashboardMeta } from '../../../schemas/api/index.js';
import { $, el } from '../dom.js';
import { REPORTS_VIEW } from './reports.js';

/** The tab after the dashboards': the stored monthly reports (`views/reports.ts`). */
const REPORTS_TAB = {
  id: REPORTS_VIEW,
  title: 'Reports',
  description: 'Monthly reports stored by the cell: download HTML, JSON or CSV',
};

/**
 * One tab per dashboard in the top bar, then the Reports tab; clicking a tab calls `onSelect`
 * with its id.
 *
 * @example
 * renderTabs(state.dashboards, showView);
 */
export function renderTabs(dashboards: readonly DashboardMeta[], onSelect: (id: string) => void): void {
  $('nav.tabs').replaceChildren(
    ...[...dashboards, REPORTS_TAB].map((d) => {
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
