import type { CellTopology } from '../../cells/topology.js';
import {
  type Dashboard,
  GROUP_BY_FIELDS,
  MEASURE_AGGREGATIONS,
  MONEY_MEASURES,
  PANEL_CHARTS,
  PANEL_UNITS,
  type Panel,
  type PanelUnit,
  QUEUE_METRICS,
  RECORD_MEASURES,
  type RecordsQuery,
  TIME_BINS,
} from './panel-types.js';

/**
 * The rules a panel definition must keep. Money rules: amounts are summed in integer minor units
 * *per currency* (a money panel always groups by currency; nothing sums across currencies), never
 * averaged or ranked, and never drawn as a chart that adds its series up.
 *
 * @example
 * validatePanel(panel, topology); // throws DashboardDefinitionError naming the panel and the rule
 */

/** A panel definition that breaks a rule (money across currencies, a percentile of money, ...). */
export class DashboardDefinitionError extends Error {
  readonly panelId: string;
  constructor(panelId: string, message: string) {
    super(`panel ${panelId}: ${message}`);
    this.name = 'DashboardDefinitionError';
    this.panelId = panelId;
  }
}

function problemsOfRecordsQuery(query: RecordsQuery, unit: PanelUnit, topology: CellTopology): string[] {
  const problems: string[] = [];
  if (!RECORD_MEASURES.includes(query.measure))
    problems.push(`unknown measure ${JSON.stringify(query.measure)}`);
  const allowed = MEASURE_AGGREGATIONS[query.measure] ?? [];
  if (!allowed.includes(query.aggregation)) {
    problems.push(
      `aggregation ${query.aggregation} does not apply to ${query.measure} (use ${allowed.join(', ')})`,
    );
  }
  if (new Set(query.groupBy).size !== query.groupBy.length) problems.push('groupBy lists a field twice');
  for (const field of query.groupBy) {
    if (!GROUP_BY_FIELDS.includes(field)) problems.push(`unknown groupBy field ${JSON.stringify(field)}`);
  }
  const money = MONEY_MEASURES.has(query.measure);
  if (money && !query.groupBy.includes('currency')) {
    problems.push('money is summed per currency: groupBy must include currency');
  }
  if (money !== (unit === 'money')) problems.push(`unit ${unit} does not match measure ${query.measure}`);
  if (query.measure === 'latency' && unit !== 'ms') problems.push('latency is shown in ms');
  if (query.measure === 'paymentTermsDays' && unit !== 'days')
    problems.push('payment terms are shown in days');
  if (query.measure === 'events' && !['events', 'events/min', 'count'].includes(unit)) {
    problems.push(`unit ${unit} does not fit counted events`);
  }
  if (unit === 'events/min' && query.timeBin !== '1m') problems.push('events/min needs a 1m time bin');
  if (query.timeBin !== undefined && !(query.timeBin in TIME_BINS))
    problems.push(`unknown timeBin ${query.timeBin}`);
  if (query.timeField === 'dueDate' && query.timeBin === undefined)
    problems.push('timeField dueDate needs a timeBin');
  const stage = query.filters?.stage;
  if (stage !== undefined && !topology.stages.some((s) => s.name === stage)) {
    problems.push(`filter stage ${JSON.stringify(stage)} is not in the topology`);
  }
  return problems;
}

/** Every rule a panel breaks, as sentences; empty when the panel is valid. Pure. */
export function panelProblems(panel: Panel, topology: CellTopology): string[] {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9-]{1,63}$/.test(panel.id)) problems.push('id must be kebab-case');
  if (!PANEL_UNITS.includes(panel.unit)) problems.push(`unknown unit ${JSON.stringify(panel.unit)}`);
  if (!PANEL_CHARTS.includes(panel.chart)) problems.push(`unknown chart ${JSON.stringify(panel.chart)}`);
  const { query } = panel;
  if (query.source === 'records') problems.push(...problemsOfRecordsQuery(query, panel.unit, topology));
  if (query.source === 'queue' && !QUEUE_METRICS.includes(query.metric)) {
    problems.push(`unknown queue metric ${JSON.stringify(query.metric)}`);
  }
  // A doughnut or stacked bar adds its series up: meaningless for money in several currencies.
  if (panel.unit === 'money' && (panel.chart === 'doughnut' || panel.chart === 'stacked-bar')) {
    problems.push(`a ${panel.chart} would add amounts of different currencies`);
  }
  return problems;
}

/** Throws {@link DashboardDefinitionError} for the first panel that breaks a rule. */
export function validatePanel(panel: Panel, topology: CellTopology): void {
  const problems = panelProblems(panel, topology);
  if (problems.length > 0) throw new DashboardDefinitionError(panel.id, problems.join('; '));
}

/** Validates every panel and that panel ids are unique across all dashboards. */
export function validateDashboards(dashboards: readonly Dashboard[], topology: CellTopology): void {
  const seen = new Set<string>();
  for (const dashboard of dashboards) {
    for (const panel of dashboard.panels) {
      validatePanel(panel, topology);
      if (seen.has(panel.id)) throw new DashboardDefinitionError(panel.id, 'id is used twice');
      seen.add(panel.id);
    }
  }
}
