import type { StageTopology } from '../../cells/topology.js';
import type { Dashboard, Panel } from './panel-types.js';

const INVOICES_BY_STAGE: Panel = {
  id: 'exec-invoices-by-stage',
  title: 'Invoices by stage',
  unit: 'count',
  chart: 'bar',
  query: {
    source: 'records',
    measure: 'events',
    aggregation: 'count',
    groupBy: ['stage'],
    distinctInvoices: true,
  },
  description: 'Invoices whose latest event at each stage falls in the window.',
};

const VALUE_BY_STAGE: Panel = {
  id: 'exec-value-by-stage',
  title: 'Invoice value by stage and currency',
  unit: 'money',
  chart: 'table',
  query: {
    source: 'records',
    measure: 'amount',
    aggregation: 'sum',
    groupBy: ['stage', 'currency'],
    distinctInvoices: true,
  },
  description:
    "Each invoice's latest amount at each stage (when that event falls in the window), summed per currency.",
};

const EVENTS_TREND: Panel = {
  id: 'exec-events-trend',
  title: 'Events per hour by stage',
  unit: 'events',
  chart: 'line',
  query: {
    source: 'records',
    measure: 'events',
    aggregation: 'count',
    groupBy: ['stage'],
    timeBin: '1h',
  },
};

const SLA_ATTAINMENT: Panel = {
  id: 'exec-sla-attainment',
  title: 'SLA attainment by stage',
  unit: '%',
  chart: 'bar',
  query: { source: 'sla' },
  description: 'Invoices that reached the next stage within the stage SLA, of those judged.',
};

function intakeValueTrend(first: StageTopology): Panel {
  return {
    id: 'exec-intake-value-trend',
    title: `Value entering the pipeline per day (${first.title})`,
    unit: 'money',
    chart: 'line',
    query: {
      source: 'records',
      measure: 'amount',
      aggregation: 'sum',
      groupBy: ['currency'],
      timeBin: '1d',
      filters: { stage: first.name },
      distinctInvoices: true,
    },
  };
}

function outcomes(last: StageTopology): Panel {
  return {
    id: 'exec-outcomes',
    title: `Outcomes at ${last.title}`,
    unit: 'count',
    chart: 'doughnut',
    query: {
      source: 'records',
      measure: 'events',
      aggregation: 'count',
      groupBy: ['status'],
      filters: { stage: last.name },
      distinctInvoices: true,
    },
  };
}

/**
 * The executive view: volume and value by stage, trends, SLA attainment. The intake and outcome
 * panels name the topology's first and last stage. Pure; not validated (see `buildDashboards`).
 *
 * @example
 * const executive = executiveDashboard(firstStage, lastStage);
 */
export function executiveDashboard(first: StageTopology, last: StageTopology): Dashboard {
  return {
    id: 'executive',
    title: 'Executive',
    description: 'Volume and value by stage, trends, SLA attainment.',
    panels: [
      INVOICES_BY_STAGE,
      VALUE_BY_STAGE,
      EVENTS_TREND,
      intakeValueTrend(first),
      SLA_ATTAINMENT,
      outcomes(last),
    ],
  };
}
