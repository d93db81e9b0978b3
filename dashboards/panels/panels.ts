import { CELL_TOPOLOGY, type CellTopology } from '../../cells/topology.js';
import { executiveDashboard } from './executive-dashboard.js';
import { financeDashboard } from './finance-dashboard.js';
import { OPERATIONS_DASHBOARD } from './operations-dashboard.js';
import type { Dashboard, Panel } from './panel-types.js';
import { validateDashboards } from './validate-panel.js';

/**
 * The three dashboards (executive, operations, finance) as data. Each panel names its query once;
 * the renderers turn that one definition into Timestream SQL (QuickSight data sets), CloudWatch
 * metric widgets, and SQLite SQL for the local web dashboard:
 *
 * | query source | AWS                                       | local cell                        |
 * |--------------|-------------------------------------------|-----------------------------------|
 * | `records`    | `renderTimestreamSql` (latency: CloudWatch `renderCloudWatchMetric`) | `renderLocalSql` / `runLocalPanel` |
 * | `sla`        | `renderTimestreamSql`                     | `runLocalPanel`                   |
 * | `queue`      | `renderCloudWatchMetric` (AWS/SQS, EMF)   | the cell's live stats             |
 * | `stuck`      | `timestreamLatestByInvoiceSql` + `findStuckInvoices` | `runLocalPanel`        |
 * | `alarms`     | CloudWatch alarm states                   | the in-process alarm evaluator    |
 * | `reconcile`  | archive + Timestream + SQS counts         | `runLocalPanel`                   |
 *
 * Money rules: amounts are summed in integer minor units *per currency* (a money panel always
 * groups by currency; nothing sums across currencies), never converted to a float in SQL, and
 * formatted with `formatMinorUnits` only when presented. {@link validatePanel} enforces this.
 *
 * Files: panel-types.ts (the vocabulary), validate-panel.ts (the rules), one file per view
 * (executive, operations, finance); this module assembles and validates them.
 *
 * Panels are derived from the topology (the first and last stage are named through it), so no
 * stage name is written here.
 *
 * @example
 * const dashboards = buildDashboards(CELL_TOPOLOGY);
 * const ops = dashboards.find((d) => d.id === 'operations');
 * for (const panel of ops.panels) render(panel.query);
 */

export {
  AGGREGATIONS,
  type Aggregation,
  type AlarmsQuery,
  DASHBOARD_IDS,
  type Dashboard,
  type DashboardId,
  GROUP_BY_FIELDS,
  type GroupByField,
  MEASURE_AGGREGATIONS,
  MONEY_MEASURES,
  PANEL_CHARTS,
  PANEL_UNITS,
  type Panel,
  type PanelChart,
  type PanelQuery,
  type PanelUnit,
  PERCENTILES,
  type PercentileAggregation,
  QUEUE_METRICS,
  type QueueMetric,
  type QueueQuery,
  RECORD_MEASURES,
  type ReconcileQuery,
  type RecordFilters,
  type RecordMeasure,
  type RecordsQuery,
  type SlaQuery,
  type StuckQuery,
  TIME_BINS,
  type TimeBin,
} from './panel-types.js';
export {
  DashboardDefinitionError,
  panelProblems,
  validateDashboards,
  validatePanel,
} from './validate-panel.js';

/** The three dashboards of a cell with this topology; validated. Pure. */
export function buildDashboards(topology: CellTopology): readonly Dashboard[] {
  const first = topology.stages[0];
  const last = topology.stages[topology.stages.length - 1];
  if (!first || !last) throw new Error('dashboards need a topology with at least one stage');
  const dashboards = [executiveDashboard(first, last), OPERATIONS_DASHBOARD, financeDashboard(first, last)];
  validateDashboards(dashboards, topology);
  return dashboards;
}

/** The dashboards of the default topology (`CELL_TOPOLOGY`). */
export const DASHBOARDS: readonly Dashboard[] = buildDashboards(CELL_TOPOLOGY);

/** Every panel of every dashboard, by id. */
export function findPanel(dashboards: readonly Dashboard[], id: string): Panel | undefined {
  for (const dashboard of dashboards) {
    const panel = dashboard.panels.find((p) => p.id === id);
    if (panel) return panel;
  }
  return undefined;
}
