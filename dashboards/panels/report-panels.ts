import type { CellTopology } from '../../cells/topology.js';
import type { PanelSet } from '../rollups/rollup-specs.js';
import type { Panel } from './panel-types.js';
import { buildDashboards } from './panels.js';
import { validatePanel } from './validate-panel.js';

/**
 * The panels of the monthly report that no dashboard draws: a hidden panel set, never listed by
 * the dashboard routes, whose only purpose is that the rollups are derived for it too (a rollup
 * spec follows from a `records` panel). Each costs write time per record, so there are two:
 *
 * - `report-payment-terms-by-currency`: the received invoices (latest event at the first stage)
 *   counted by currency and payment days; it follows the per (invoice, stage) latest state the
 *   intake panels already keep.
 * - `report-open-book`: each invoice's latest event over all stages, its amount summed by currency
 *   and status; it follows the per-invoice latest state the payment-terms mix panel already keeps.
 *   Read over all history up to the report's as-of time, its non-ended statuses are the open book.
 *
 * The finance panels the report also reads (`fin-amount-by-vendor`, `fin-completed-value-trend`)
 * stay on the finance dashboard.
 *
 * @example
 * const rollups = rollupsOf(rollupDashboards(topology)); // the dashboards' specs + the report's
 */

/** Ids of the hidden report panels (and of the finance panels the report reads). */
export const REPORT_PANEL_IDS = {
  receivedByVendor: 'fin-amount-by-vendor',
  postedByStatus: 'fin-completed-value-trend',
  paymentTermsByCurrency: 'report-payment-terms-by-currency',
  openBook: 'report-open-book',
} as const;

/** A panel set the rollups are derived from but no dashboard route lists. */
export interface HiddenPanelSet extends PanelSet {
  readonly id: 'report';
}

/**
 * The hidden report panels of a topology (see the module comment); validated. Pure.
 *
 * @example
 * reportPanelSet(CELL_TOPOLOGY).panels.map((p) => p.id); // ['report-payment-terms-by-currency', 'report-open-book']
 */
export function reportPanelSet(topology: CellTopology): HiddenPanelSet {
  const first = topology.stages[0];
  if (!first) throw new Error('the report panels need a topology with at least one stage');
  const panels: Panel[] = [
    {
      id: REPORT_PANEL_IDS.paymentTermsByCurrency,
      title: 'Received invoices by currency and payment terms',
      unit: 'count',
      chart: 'table',
      query: {
        source: 'records',
        measure: 'events',
        aggregation: 'count',
        groupBy: ['currency', 'paymentTermsDays'],
        filters: { stage: first.name },
        distinctInvoices: true,
      },
    },
    {
      id: REPORT_PANEL_IDS.openBook,
      title: 'Latest amount of each invoice by currency and status',
      unit: 'money',
      chart: 'table',
      query: {
        source: 'records',
        measure: 'amount',
        aggregation: 'sum',
        groupBy: ['currency', 'status'],
        distinctInvoices: true,
      },
    },
  ];
  for (const panel of panels) validatePanel(panel, topology);
  return { id: 'report', title: 'Monthly report (hidden)', panels };
}

/**
 * What the rollups of a cell are derived from: its dashboards and the hidden report panels. Pure.
 *
 * @example
 * deriveRollupSpecs(rollupDashboards(CELL_TOPOLOGY));
 */
export function rollupDashboards(topology: CellTopology): readonly PanelSet[] {
  return [...buildDashboards(topology), reportPanelSet(topology)];
}
