import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import {
  metricStageCounts,
  reconcileMetricQueries,
  reconcilePeriodSec,
  sumMetricData,
} from '../../../consumers/aws/metric-reconcile.js';

const cloudWatchMock = mockClient(CloudWatchClient);

describe('metric reconcile', () => {
  afterEach(() => {
    cloudWatchMock.reset();
  });

  it('counts a shortfall as a gap that unbalances, and a surplus as no loss', () => {
    expect(metricStageCounts('posting', { accepted: 10, stored: 7, inDlq: 1, inFlight: 0 })).toEqual({
      stage: 'posting',
      accepted: 10,
      stored: 7,
      inDlq: 1,
      inFlight: 0,
      accounted: 8,
      gap: 2,
      balanced: false,
    });
    expect(metricStageCounts('posting', { accepted: 10, stored: 11, inDlq: 0, inFlight: 1 })).toMatchObject({
      accounted: 10,
      gap: -2,
      balanced: true,
    });
  });

  it('asks two sums per stage, at minutes up to a day and hours beyond', () => {
    const day = { fromMs: 0, toMs: 86_400_000 };
    expect(reconcilePeriodSec(day)).toBe(60);
    expect(reconcilePeriodSec({ fromMs: 0, toMs: day.toMs + 1 })).toBe(3600);
    const queries = reconcileMetricQueries(CELL_TOPOLOGY.stages, 3600);
    expect(queries.map((q) => [q.Id, q.MetricStat?.Metric?.MetricName])).toEqual(
      CELL_TOPOLOGY.stages.flatMap((_s, i) => [
        [`relayed${i}`, 'RelayedEvents'],
        [`processed${i}`, 'EventsProcessed'],
      ]),
    );
  });

  it('sends at most 500 queries a request and adds up each query over its values', async () => {
    // Prepare: 501 queries; every query answers 1 and 2
    cloudWatchMock.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries?: MetricDataQuery[] }) => ({
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => ({ Id: q.Id, Values: [1, 2] })),
    }));
    const queries = Array.from({ length: 501 }, (_v, i) => ({ Id: `q${i}` }) satisfies MetricDataQuery);

    // Act
    const sums = await sumMetricData(new CloudWatchClient({ region: 'us-east-1' }), queries, 0, 3_600_000);

    // Assess
    const sizes = cloudWatchMock
      .commandCalls(GetMetricDataCommand)
      .map((c) => c.args[0].input.MetricDataQueries?.length);
    expect(sizes).toEqual([500, 1]);
    expect(sums.size).toBe(501);
    expect(sums.get('q500')).toBe(3);
  });
});
