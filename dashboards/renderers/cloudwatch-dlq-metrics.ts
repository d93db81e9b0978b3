import type { CellTopology } from '../../cells/topology.js';
import {
  type CloudWatchMathSpec,
  type CloudWatchMetricSpec,
  type CloudWatchResource,
  SQS_METRICS,
} from './cloudwatch-spec.js';
import { UnsupportedQueryError } from './timestream-sql.js';

/**
 * The metrics of the cell's dead-letter paths: DLQ writes that failed (EventBridge rules, Lambda
 * async invocations) and the stuck-monitor DLQ. AWS-only: the local cell has no such paths.
 *
 * @example
 * const spec = ruleDlqDeliveryFailures(topology, 60); // FILL(rule0, 0) + FILL(rule1, 0) + ...
 */

/**
 * A metric-math alarm may use at most 10 metrics
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html).
 */
const MAX_ALARM_METRICS = 10;

function countMetric(
  namespace: string,
  metricName: string,
  resource: CloudWatchResource,
  periodSec: number,
  label: string,
): CloudWatchMetricSpec {
  return {
    kind: 'metric',
    namespace,
    metricName,
    statistic: 'Sum',
    periodSec,
    dimensions: {},
    resource,
    label,
  };
}

/** The sum of sparse counters: a counter without datapoints counts 0 instead of hiding the others. */
function sumOf(
  usingMetrics: Record<string, CloudWatchMetricSpec>,
  period: number,
  label: string,
): CloudWatchMathSpec {
  const ids = Object.keys(usingMetrics);
  if (ids.length > MAX_ALARM_METRICS) {
    throw new UnsupportedQueryError(
      `${label}: an alarm sums at most ${MAX_ALARM_METRICS} metrics, got ${ids.length}`,
    );
  }
  return {
    kind: 'math',
    expression: ids.map((id) => `FILL(${id}, 0)`).join(' + '),
    usingMetrics,
    periodSec: period,
    label,
  };
}

/**
 * Events a stage rule could neither deliver to its relay nor put in the relay DLQ, all stages.
 * `InvocationsFailedToBeSentToDlq` (AWS/Events, Sum); a rule on a custom bus publishes it with the
 * `EventBusName` and `RuleName` dimensions
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html). Pure.
 */
export function ruleDlqDeliveryFailures(topology: CellTopology, period: number): CloudWatchMathSpec {
  const usingMetrics: Record<string, CloudWatchMetricSpec> = {};
  for (const s of topology.stages) {
    usingMetrics[`rule${s.order}`] = countMetric(
      'AWS/Events',
      'InvocationsFailedToBeSentToDlq',
      { kind: 'relayRule', stage: s.name },
      period,
      `${s.name} rule DLQ write failures`,
    );
  }
  return sumOf(usingMetrics, period, 'rule DLQ write failures (all stages)');
}

/**
 * Failed asynchronous runs Lambda could not write to the DLQ: every relay and the stuck monitor.
 * `DeadLetterErrors` (AWS/Lambda, Sum, by FunctionName)
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html). Pure.
 */
export function functionDlqDeliveryFailures(topology: CellTopology, period: number): CloudWatchMathSpec {
  const usingMetrics: Record<string, CloudWatchMetricSpec> = {};
  for (const s of topology.stages) {
    usingMetrics[`relay${s.order}`] = countMetric(
      'AWS/Lambda',
      'DeadLetterErrors',
      { kind: 'relayFunction', stage: s.name },
      period,
      `${s.name} relay DLQ write failures`,
    );
  }
  usingMetrics.monitor = countMetric(
    'AWS/Lambda',
    'DeadLetterErrors',
    { kind: 'stuckMonitorFunction' },
    period,
    'stuck monitor DLQ write failures',
  );
  return sumOf(usingMetrics, period, 'Lambda DLQ write failures');
}

/** Messages in the stuck-monitor DLQ. Pure. */
export function stuckMonitorDlqDepth(period: number): CloudWatchMetricSpec {
  return {
    kind: 'metric',
    namespace: 'AWS/SQS',
    metricName: SQS_METRICS.visible,
    statistic: 'Maximum',
    periodSec: period,
    dimensions: {},
    resource: { kind: 'stuckMonitorDlq' },
    label: 'stuck monitor DLQ depth',
  };
}
