import {
  type CloudWatchClient,
  type MetricDataQuery,
  paginateGetMetricData,
} from '@aws-sdk/client-cloudwatch';
import type { StageName, StageTopology } from '../../../cells/topology.js';
import { type AwsCell, stageResources } from './aws-cell.js';
import { awsCall } from './aws-error.js';
import { queueNameFromUrl } from './cell-resources.js';

/** GetMetricData takes at most this many queries per request. */
const MAX_QUERIES_PER_REQUEST = 500;

/**
 * Runs CloudWatch `GetMetricData` over all pages (the SDK paginator), 500 queries a request, and
 * reduces each query's values by sum or max; a query with no data point has no entry.
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
  const out = new Map<string, number>();
  for (let start = 0; start < queries.length; start += MAX_QUERIES_PER_REQUEST) {
    const input = {
      MetricDataQueries: queries.slice(start, start + MAX_QUERIES_PER_REQUEST),
      StartTime: new Date(fromMs),
      EndTime: new Date(toMs),
    };
    await awsCall('CloudWatch GetMetricData', async () => {
      for await (const page of paginateGetMetricData({ client: cloudWatch }, input)) {
        for (const result of page.MetricDataResults ?? []) {
          if (!result.Id) continue;
          for (const v of result.Values ?? []) {
            const prev = out.get(result.Id);
            out.set(result.Id, prev === undefined ? v : reduce === 'sum' ? prev + v : Math.max(prev, v));
          }
        }
      }
    });
  }
  return out;
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
