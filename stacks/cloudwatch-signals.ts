import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { StageName } from '../cells/topology.js';
import type {
  CloudWatchMetricSpec,
  CloudWatchResource,
  CloudWatchSignalSpec,
} from '../dashboards/renderers/cloudwatch-metric.js';

/**
 * Turns the renderer's plain-data metric specs (dashboards/render-cloudwatch-metric.ts) into CDK
 * metrics, completing the dimensions only the stack knows: a queue's `QueueName`, the API's
 * `ApiName` and `Stage`. Alarms and the CloudWatch dashboard both go through here, so a widget
 * always shows exactly the series its alarm watches.
 *
 * @example
 * const signal = toCloudWatchSignal(renderAlarmMetric(rule, topology), resources);
 * new cloudwatch.Alarm(this, 'Alarm', { metric: signal, threshold: rule.threshold, ... });
 */

/** The queues (and relay) of one stage whose metrics alarms and widgets read. */
export interface StageMetricQueues {
  readonly queue: sqs.IQueue;
  readonly dlq: sqs.IQueue;
  readonly relayDlq: sqs.IQueue;
  /** The stage's rule on the cell bus (`RuleName` dimension). */
  readonly relayRuleName: string;
  /** The stage's relay Lambda (`FunctionName` dimension). */
  readonly relayFunctionName: string;
  /** The DLQ of each subscriber declared on the stage, by subscriber id; none when absent. */
  readonly subscriberDlqs?: ReadonlyMap<string, sqs.IQueue>;
}

/** The constructs a `resource` reference of a metric spec resolves to. */
export interface CellMetricResources {
  readonly stages: ReadonlyMap<StageName, StageMetricQueues>;
  readonly busDlq: sqs.IQueue;
  /** The cell bus (`EventBusName` dimension of its rules' metrics). */
  readonly busName: string;
  /** The stuck monitor's Lambda (`FunctionName`) and DLQ (`QueueName`). */
  readonly stuckMonitor: { readonly functionName: string; readonly dlqName: string };
  /** The ingest REST API: its name and deployed stage are the `ApiName` and `Stage` dimensions. */
  readonly api: { readonly apiName: string; readonly stageName: string };
}

/** Raised when a spec names a resource the cell did not pass (wiring error, at synth). */
export class UnresolvedMetricResourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnresolvedMetricResourceError';
  }
}

function stageQueues(resources: CellMetricResources, stage: StageName): StageMetricQueues {
  const queues = resources.stages.get(stage);
  if (!queues) {
    throw new UnresolvedMetricResourceError(
      `metric names stage ${stage}, but the cell passed queues for ${[...resources.stages.keys()].join(', ') || 'no stage'}`,
    );
  }
  return queues;
}

/** The dimensions a resource reference stands for. */
export function resourceDimensions(
  resource: CloudWatchResource,
  resources: CellMetricResources,
): Record<string, string> {
  switch (resource.kind) {
    case 'stageQueue':
      return { QueueName: stageQueues(resources, resource.stage).queue.queueName };
    case 'stageDlq':
      return { QueueName: stageQueues(resources, resource.stage).dlq.queueName };
    case 'subscriberDlq': {
      const dlq = stageQueues(resources, resource.stage).subscriberDlqs?.get(resource.subscriber);
      if (!dlq) {
        throw new UnresolvedMetricResourceError(
          `metric names subscriber ${resource.subscriber} of stage ${resource.stage}, but the cell passed no DLQ for it`,
        );
      }
      return { QueueName: dlq.queueName };
    }
    case 'relayDlq':
      return { QueueName: stageQueues(resources, resource.stage).relayDlq.queueName };
    case 'busDlq':
      return { QueueName: resources.busDlq.queueName };
    case 'restApi':
      return { ApiName: resources.api.apiName, Stage: resources.api.stageName };
    case 'relayRule':
      return {
        EventBusName: resources.busName,
        RuleName: stageQueues(resources, resource.stage).relayRuleName,
      };
    case 'relayFunction':
      return { FunctionName: stageQueues(resources, resource.stage).relayFunctionName };
    case 'stuckMonitorFunction':
      return { FunctionName: resources.stuckMonitor.functionName };
    case 'stuckMonitorDlq':
      return { QueueName: resources.stuckMonitor.dlqName };
  }
}

/** One metric spec as a CDK metric. */
export function toCloudWatchMetric(
  spec: CloudWatchMetricSpec,
  resources: CellMetricResources,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: spec.namespace,
    metricName: spec.metricName,
    statistic: spec.statistic,
    period: Duration.seconds(spec.periodSec),
    dimensionsMap: {
      ...spec.dimensions,
      ...(spec.resource ? resourceDimensions(spec.resource, resources) : {}),
    },
    label: spec.label,
  });
}

/** A metric or metric-math spec as a CDK metric or math expression. */
export function toCloudWatchSignal(
  spec: CloudWatchSignalSpec,
  resources: CellMetricResources,
): cloudwatch.IMetric {
  if (spec.kind === 'metric') return toCloudWatchMetric(spec, resources);
  const usingMetrics: Record<string, cloudwatch.IMetric> = {};
  for (const [id, metric] of Object.entries(spec.usingMetrics)) {
    usingMetrics[id] = toCloudWatchMetric(metric, resources);
  }
  return new cloudwatch.MathExpression({
    expression: spec.expression,
    usingMetrics,
    period: Duration.seconds(spec.periodSec),
    label: spec.label,
  });
}
