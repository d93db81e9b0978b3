import { fetchDashboards } from './api.js';
import { bindControls } from './controls.js';
import { $ } from './dom.js';
import { restart, showView } from './refresh-loop.js';
import { state } from './state.js';
import { bindInvoiceLinks, searchInvoice } from './views/invoice-search.js';
import { REPORTS_VIEW } from './views/reports.js';
import { renderTabs } from './views/tabs.js';

/**
 * The local cell's web dashboard (browser side): three views rendered generically from
 * `GET /dashboards` panel metadata, refreshed every 5 s from `GET /dashboards/:view/data`,
 * `/stuck`, `/alarms`, `/reconcile` and `/stats`, plus the Reports tab (`GET /reports`). Bundled
 * in memory by the dashboard plugin (esbuild); chart.js is the UMD build served by the cell
 * (`window.Chart`), so it works offline.
 *
 * Nothing here names a stage: the stage filter is filled from `/stats` (topology order) and
 * series come from the rows. Money is a decimal string with its currency and is never added
 * across currencies: a money series is always one currency.
 *
 * This entry only wires the modules: `api` (every fetch; the answers are typed by the HTTP
 * contract `schemas/api`, imported as types only), `controls` (range, filters), `refresh-loop`
 * (polling), `charts` (chart.js), `format`, `series` and `views/*`.
 *
 * @example
 * // served as /assets/app.js by cells/local/plugins/dashboard-plugin.ts
 */

/** The view named in the URL hash (`#view=finance`, `#view=reports`) if it exists, else the first one. */
function initialView(): string {
  const wanted = new URLSearchParams(location.hash.slice(1)).get('view');
  const exists = wanted === REPORTS_VIEW || state.dashboards.some((d) => d.id === wanted);
  return exists ? (wanted as string) : (state.dashboards[0]?.id ?? '');
}

async function start(): Promise<void> {
  bindControls({ onFilterChange: restart, onInvoiceSearch: (id) => void searchInvoice(id) });
  bindInvoiceLinks();
  try {
    state.dashboards = await fetchDashboards();
  } catch (error) {
    const banner = $('[data-testid="error-banner"]');
    banner.textContent = `Cannot load dashboards: ${(error as Error).message}`;
    banner.hidden = false;
    return;
  }
  renderTabs(state.dashboards, showView);
  showView(initialView());
}

void start();
