import { METRICS_NAMESPACE } from './metric-names.js';

/**
 * Metrics of the scheduled monitor (not the stage handlers): the stuck-invoice count per stage,
 * which only a store query can compute. On AWS a scheduled job runs `timestreamLatestByInvoiceSql`
 * + `findStuckInvoices` and publishes {@link MONITOR_METRIC_NAMES.stuckInvoices} per stage, which
 * the `<stage>-stuck-invoices` alarms watch; locally the evaluator reads the count directly.
 *
 * Same namespace and dimension style as ./metric-names.ts: `service` + `stage`.
 *
 * @example
 * new cloudwatch.Metric({ namespace: MONITOR_METRICS_NAMESPACE, metricName: MONITOR_METRIC_NAMES.stuckInvoices,
 *   dimensionsMap: { service: MONITOR_METRIC_SERVICE, stage: 'posting' } });
 */
export const MONITOR_METRICS_NAMESPACE = METRICS_NAMESPACE;

/** The `service` dimension of the monitor's metrics. */
export const MONITOR_METRIC_SERVICE = 'invoice-monitor';

export const MONITOR_METRIC_NAMES = {
  /** Invoices past their stage SLA without reaching the next stage (Count, gauge). */
  stuckInvoices: 'StuckInvoices',
} as const;
