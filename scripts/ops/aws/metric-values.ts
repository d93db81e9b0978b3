import type { CloudWatchClient, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { StageName, StageTopology } from '../../../cells/topology.js';
import { sumMetricData } from '../../../consumers/aws/metric-reconcile.js';
import { type AwsCell, stageResources } from './aws-cell.js';
import { awsCall } from './aws-error.js';
import { queueNameFromUrl } from './cell-resources.js';

/**
 * `sumMetricData` (the Lambdas' reader: all pages, 500 queries a request, sum or max per query)
 * with an SDK failure turned into the CLI's error naming the call.
 *
 * @example
 * const sums = await metricValues(cloudWatch, queries, fromMs, toMs, 'sum');
 * sums.get('relayed0');
 */
export async function metricValues(
  cloudWatch: CloudWatchClient,
  queries: readonly MetricDataQuery[],
  fromMs: number,
  toMs: number,
  reduce: 'sum' | 'max',
): Promise<Map<string, number>> {
  return awsCall('CloudWatch GetMetricData', () => sumMetricData(cloudWatch, queries, fromMs, toMs, reduce));
}

/**
 * Max of SQS `ApproximateAgeOfOldestMessage` over the last 5 minutes, per stage queue; a stage
 * whose queue reported no data point has no entry.
 */
export async function oldestMessageAges(
  aws: AwsCell,
  stages: readonly StageTopology[],
  nowMs: number,
): Promise<Map<StageName, number>> {
  const queries: MetricDataQuery[] = [];
  for (const [i, stage] of stages.entries()) {
    const r = await stageResources(aws, stage);
    queries.push({
      Id: `age${i}`,
      Label: stage.name,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateAgeOfOldestMessage',
          Dimensions: [{ Name: 'QueueName', Value: queueNameFromUrl(r.queueUrl) }],
        },
        Period: 60,
        Stat: 'Maximum',
      },
    });
  }
  const maxima = await metricValues(aws.clients.cloudWatch, queries, nowMs - 5 * 60_000, nowMs, 'max');
  const ages = new Map<StageName, number>();
  stages.forEach((stage, i) => {
    const value = maxima.get(`age${i}`);
    if (value !== undefined) ages.set(stage.name, value);
  });
  return ages;
}
