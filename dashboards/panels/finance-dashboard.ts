import type { StageTopology } from '../../cells/topology.js';
import type { Dashboard, Panel } from './panel-types.js';

const CASH_FLOW_BY_WEEK: Panel = {
  id: 'fin-cash-flow-by-week',
  title: 'Cash-flow projection by due week',
  unit: 'money',
  chart: 'bar',
  query: {
    source: 'records',
    measure: 'dueAmount',
    aggregation: 'sum',
    groupBy: ['currency'],
    timeBin: '1w',
    timeField: 'dueDate',
    distinctInvoices: true,
  },
  description:
    "Each invoice's latest amount (when that event falls in the window), by the ISO week (Monday) of its due date.",
};

const PAYMENT_TERMS_MIX: Panel = {
  id: 'fin-payment-terms-mix',
  title: 'Payment-terms mix',
  unit: 'count',
  chart: 'doughnut',
  query: {
    source: 'records',
    measure: 'events',
    aggregation: 'count',
    groupBy: ['paymentTermsDays'],
    distinctInvoices: true,
  },
};

const AVERAGE_PAYMENT_TERMS: Panel = {
  id: 'fin-average-payment-terms',
  title: 'Average payment terms',
  unit: 'days',
  chart: 'stat',
  query: {
    source: 'records',
    measure: 'paymentTermsDays',
    aggregation: 'avg',
    groupBy: [],
    distinctInvoices: true,
  },
};

/** Amounts of the invoices that entered the pipeline, grouped by currency (and vendor). */
function intakeAmounts(first: StageTopology): Panel[] {
  return [
    {
      id: 'fin-amount-by-currency',
      title: 'Invoice amounts by currency',
      unit: 'money',
      chart: 'table',
      query: {
        source: 'records',
        measure: 'amount',
        aggregation: 'sum',
        groupBy: ['currency'],
        filters: { stage: first.name },
        distinctInvoices: true,
      },
    },
    {
      id: 'fin-amount-by-vendor',
      title: 'Invoice amounts by vendor',
      unit: 'money',
      chart: 'table',
      query: {
        source: 'records',
        measure: 'amount',
        aggregation: 'sum',
        groupBy: ['vendorId', 'currency'],
        filters: { stage: first.name },
        distinctInvoices: true,
      },
    },
  ];
}

function completedValueTrend(last: StageTopology): Panel {
  return {
    id: 'fin-completed-value-trend',
    title: `Value reaching ${last.title} per day by status`,
    unit: 'money',
    chart: 'line',
    query: {
      source: 'records',
      measure: 'amount',
      aggregation: 'sum',
      groupBy: ['currency', 'status'],
      timeBin: '1d',
      filters: { stage: last.name },
      distinctInvoices: true,
    },
  };
}

/**
 * The finance view: amounts by currency and vendor, cash-flow projection by due week, payment-terms
 * mix. Amounts are read at the topology's first stage (intake) and last stage (completion). Pure;
 * not validated here (see `buildDashboards`).
 *
 * @example
 * const finance = financeDashboard(firstStage, lastStage);
 */
export function financeDashboard(first: StageTopology, last: StageTopology): Dashboard {
  return {
    id: 'finance',
    title: 'Finance',
    description: 'Amounts by currency and vendor, cash-flow projection by due week, payment-terms mix.',
    panels: [
      ...intakeAmounts(first),
      CASH_FLOW_BY_WEEK,
      PAYMENT_TERMS_MIX,
      AVERAGE_PAYMENT_TERMS,
      completedValueTrend(last),
    ],
  };
}
