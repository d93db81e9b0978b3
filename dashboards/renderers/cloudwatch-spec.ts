import type { StageName } from '../../cells/topology.js';

/**
 * The plain-data shape of a CloudWatch metric or metric-math expression, as the renderers give it
 * and the CDK (stacks/cloudwatch-signals.ts) completes it with the physical names only the stack
 * knows.
 *
 * @example
 * const spec: CloudWatchMetricSpec = { kind: 'metric', namespace: 'AWS/SQS', metricName: SQS_METRICS.visible,
 *   statistic: 'Maximum', periodSec: 60, dimensions: {}, resource: { kind: 'busDlq' }, label: 'bus DLQ depth' };
 */

/** An AWS resource whose identity completes a metric's dimensions. */
export type CloudWatchResource =
  /** The stage's SQS FIFO queue: dimension QueueName. */
  | { readonly kind: 'stageQueue'; readonly stage: StageName }
  /** The stage's SQS FIFO DLQ: dimension QueueName. */
  | { readonly kind: 'stageDlq'; readonly stage: StageName }
  /** The FIFO DLQ of a subscriber declared on the stage: dimension QueueName. */
  | { readonly kind: 'subscriberDlq'; readonly stage: StageName; readonly subscriber: string }
  /** The stage's relay DLQ (standard SQS): dimension QueueName. */
  | { readonly kind: 'relayDlq'; readonly stage: StageName }
  /** The bus DLQ (standard SQS): dimension QueueName. */
  | { readonly kind: 'busDlq' }
  /** The ingest REST API: dimensions ApiName and Stage (the API stage, e.g. `v1`). */
  | { readonly kind: 'restApi' }
  /** The stage's rule on the cell bus: dimensions EventBusName and RuleName. */
  | { readonly kind: 'relayRule'; readonly stage: StageName }
  /** The stage's relay Lambda: dimension FunctionName. */
  | { readonly kind: 'relayFunction'; readonly stage: StageName }
  /** The stuck-monitor Lambda: dimension FunctionName. */
  | { readonly kind: 'stuckMonitorFunction' }
  /** The stuck-monitor DLQ (standard SQS): dimension QueueName. */
  | { readonly kind: 'stuckMonitorDlq' };

export interface CloudWatchMetricSpec {
  readonly kind: 'metric';
  readonly namespace: string;
  readonly metricName: string;
  /** `Sum`, `Maximum`, `Average`, or a percentile like `p99`. */
  readonly statistic: string;
  readonly periodSec: number;
  /** Dimensions known without the stack (EMF metrics; API method and resource path). */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly resource?: CloudWatchResource;
  readonly label: string;
}

export interface CloudWatchMathSpec {
  readonly kind: 'math';
  /** CloudWatch metric math over the ids of `usingMetrics`. */
  readonly expression: string;
  readonly usingMetrics: Readonly<Record<string, CloudWatchMetricSpec>>;
  readonly periodSec: number;
  readonly label: string;
}

export type CloudWatchSignalSpec = CloudWatchMetricSpec | CloudWatchMathSpec;

export const SQS_METRICS = {
  visible: 'ApproximateNumberOfMessagesVisible',
  notVisible: 'ApproximateNumberOfMessagesNotVisible',
  oldestAge: 'ApproximateAgeOfOldestMessage',
} as const;
