import type { GetMetricDataCommandInput, GetMetricDataCommandOutput } from '@aws-sdk/client-cloudwatch';
import type { GetQueueAttributesCommandInput, GetQueueAttributesCommandOutput } from '@aws-sdk/client-sqs';
import type { StageName } from '../../../cells/topology.js';

/**
 * What CloudWatch and SQS answer for the reconciliation: the per-stage sums as hourly values over two
 * `GetMetricData` pages (the second asked for with the first's token), and each queue's depth.
 *
 * @example
 * cloudWatch.on(GetMetricDataCommand).callsFake(metricAnswer([{ relayed: [60, 40], processed: [100] }]));
 * sqs.on(GetQueueAttributesCommand).callsFake(depthAnswer({ [url]: [1, 2] }));
 */

/** Per stage index: the relay's and the processor's hourly values. */
export type StageSeries = readonly { readonly relayed: number[]; readonly processed: number[] }[];

/** GetMetricData in two pages: each query's first value, then the rest when asked with `NextToken`. */
export function metricAnswer(
  series: StageSeries,
): (input: GetMetricDataCommandInput) => GetMetricDataCommandOutput {
  return (input) => {
    const second = input.NextToken === 'page-2';
    const results = series.flatMap((s, i) => [
      { Id: `relayed${i}`, Values: second ? s.relayed.slice(1) : s.relayed.slice(0, 1) },
      { Id: `processed${i}`, Values: second ? s.processed.slice(1) : s.processed.slice(0, 1) },
    ]);
    return { $metadata: {}, MetricDataResults: results, ...(second ? {} : { NextToken: 'page-2' }) };
  };
}

/** Every queue empty, except `depths` ([visible, not visible]) by URL. */
export function depthAnswer(
  depths: Readonly<Record<string, readonly [number, number]>> = {},
): (input: GetQueueAttributesCommandInput) => GetQueueAttributesCommandOutput {
  return (input) => {
    const [visible, hidden] = depths[input.QueueUrl ?? ''] ?? [0, 0];
    return {
      $metadata: {},
      Attributes: {
        ApproximateNumberOfMessages: String(visible),
        ApproximateNumberOfMessagesNotVisible: String(hidden),
      },
    };
  };
}

/** A queue URL of the fake cell. */
export function fakeQueueUrl(stage: StageName, kind: 'queue' | 'dlq'): string {
  return `https://sqs.us-east-1.amazonaws.com/123456789012/cell-${stage}-${kind}.fifo`;
}

/** Every stage's fake queue URLs, by stage. */
export function fakeStageQueues(
  stages: readonly StageName[],
): Map<StageName, { queueUrl: string; dlqUrl: string }> {
  return new Map(
    stages.map((s) => [s, { queueUrl: fakeQueueUrl(s, 'queue'), dlqUrl: fakeQueueUrl(s, 'dlq') }]),
  );
}
