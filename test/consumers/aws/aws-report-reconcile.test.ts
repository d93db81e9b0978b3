import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import {
  METRIC_REPORT_RECONCILE_NOTES,
  MetricReportReconciler,
  ReportReconcileError,
} from '../../../consumers/aws/aws-report-reconcile.js';
import { monthRange } from '../../../consumers/reports/report-month.js';
import { depthAnswer, fakeQueueUrl, fakeStageQueues, metricAnswer } from '../support/metric-fakes.js';

const cloudWatchMock = mockClient(CloudWatchClient);
const sqsMock = mockClient(SQSClient);

const STAGES = CELL_TOPOLOGY.stages.map((s) => s.name);
const OCT = monthRange('2026-10', 'UTC');
const RANGE = { month: '2026-10', ...OCT, asOfMs: OCT.toMs };
const NOW = Date.parse('2026-11-01T01:10:00Z');

function reconciler(nowMs = NOW): MetricReportReconciler {
  return new MetricReportReconciler({
    cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
    sqs: new SQSClient({ region: 'us-east-1' }),
    topology: CELL_TOPOLOGY,
    queues: fakeStageQueues(STAGES),
    now: () => nowMs,
  });
}

describe('MetricReportReconciler', () => {
  afterEach(() => {
    cloudWatchMock.reset();
    sqsMock.reset();
  });

  it("sums each stage's relayed and processed events over every page against the queue depths", async () => {
    // Prepare: ingestion balanced; reconciliation 3 short with 1 in its DLQ and 1 in flight;
    // authorization 2 over (a replay); posting short by 5 with nothing queued.
    cloudWatchMock.on(GetMetricDataCommand).callsFake(
      metricAnswer([
        { relayed: [60, 40], processed: [100] },
        { relayed: [50, 50], processed: [90, 7] },
        { relayed: [10], processed: [10, 2] },
        { relayed: [20, 0], processed: [15] },
      ]),
    );
    sqsMock.on(GetQueueAttributesCommand).callsFake(
      depthAnswer({
        [fakeQueueUrl('reconciliation', 'dlq')]: [1, 0],
        [fakeQueueUrl('reconciliation', 'queue')]: [0, 1],
      }),
    );

    // Act
    const read = await reconciler().read(RANGE);

    // Assess
    expect(read.reconciliation).toEqual({
      complete: true,
      stages: [
        {
          stage: 'ingestion',
          accepted: 100,
          stored: 100,
          inDlqNow: 0,
          inFlightNow: 0,
          missing: 0,
          unexpected: 0,
          balanced: true,
        },
        {
          stage: 'reconciliation',
          accepted: 100,
          stored: 97,
          inDlqNow: 1,
          inFlightNow: 1,
          missing: 1,
          unexpected: 0,
          balanced: false,
        },
        {
          stage: 'authorization',
          accepted: 10,
          stored: 12,
          inDlqNow: 0,
          inFlightNow: 0,
          missing: 0,
          unexpected: 2,
          balanced: true,
        },
        {
          stage: 'posting',
          accepted: 20,
          stored: 15,
          inDlqNow: 0,
          inFlightNow: 0,
          missing: 5,
          unexpected: 0,
          balanced: false,
        },
      ],
    });
    expect(read.notes).toEqual(METRIC_REPORT_RECONCILE_NOTES);
    expect(read.notes.join('\n')).toMatch(/approximate: accepted = relay RelayedEvents/);
    expect(read.notes.join('\n')).toMatch(/event ids cannot be named on AWS/);
    // Assess: the month at hourly points, the second page asked for with the first's token
    const calls = cloudWatchMock.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.NextToken).toBe('page-2');
    expect(calls[0]?.StartTime).toEqual(new Date(OCT.fromMs));
    expect(calls[0]?.EndTime).toEqual(new Date(OCT.toMs));
    expect(calls[0]?.MetricDataQueries?.map((q) => q.MetricStat?.Period)).toEqual(Array(8).fill(3600));
    expect(calls[0]?.MetricDataQueries?.[2]?.MetricStat?.Metric).toEqual({
      Namespace: 'InvoicePlatform',
      MetricName: 'RelayedEvents',
      Dimensions: [
        { Name: 'service', Value: 'invoice-relay' },
        { Name: 'stage', Value: 'reconciliation' },
      ],
    });
    const urls = sqsMock.commandCalls(GetQueueAttributesCommand).map((c) => c.args[0].input.QueueUrl);
    expect(urls.sort()).toEqual(
      STAGES.flatMap((s) => [fakeQueueUrl(s, 'queue'), fakeQueueUrl(s, 'dlq')]).sort(),
    );
  });

  it('sums a month so far up to the as-of time', async () => {
    // Prepare
    cloudWatchMock.on(GetMetricDataCommand).callsFake(metricAnswer([]));
    sqsMock.on(GetQueueAttributesCommand).callsFake(depthAnswer());
    const asOfMs = OCT.fromMs + 3 * 86_400_000;

    // Act
    const read = await reconciler(asOfMs).read({ ...RANGE, asOfMs });

    // Assess: no data point is zero, and zero is balanced
    expect(cloudWatchMock.commandCalls(GetMetricDataCommand)[0]?.args[0].input.EndTime).toEqual(
      new Date(asOfMs),
    );
    expect(read.reconciliation.stages.every((s) => s.accepted === 0 && s.balanced)).toBe(true);
  });

  it('asks CloudWatch nothing for a month that starts right now', async () => {
    // Prepare
    sqsMock.on(GetQueueAttributesCommand).callsFake(depthAnswer());

    // Act
    const read = await reconciler(OCT.fromMs).read({ ...RANGE, asOfMs: OCT.fromMs });

    // Assess
    expect(cloudWatchMock.commandCalls(GetMetricDataCommand)).toEqual([]);
    expect(read.reconciliation.stages.map((s) => s.accepted)).toEqual([0, 0, 0, 0]);
  });

  it("says it is incomplete when the month starts before CloudWatch's 455 days of hourly points", async () => {
    // Prepare
    cloudWatchMock.on(GetMetricDataCommand).callsFake(metricAnswer([]));
    sqsMock.on(GetQueueAttributesCommand).callsFake(depthAnswer());
    const nowMs = OCT.fromMs + 455 * 86_400_000 + 3_600_000;

    // Act
    const read = await reconciler(nowMs).read(RANGE);

    // Assess
    expect(read.reconciliation.complete).toBe(false);
    expect(read.notes[0]).toBe(
      'reconciliation is incomplete: CloudWatch keeps hourly metrics for 455 days, so only the month from 2026-10-01T01:00:00.000Z is reconciled',
    );
  });

  it('fails naming the call when CloudWatch or SQS fails, so no report is built from part of the data', async () => {
    // Prepare
    cloudWatchMock
      .on(GetMetricDataCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    sqsMock.on(GetQueueAttributesCommand).callsFake(depthAnswer());

    // Act + Assess
    await expect(reconciler().read(RANGE)).rejects.toThrow(
      new ReportReconcileError('reconciliation: CloudWatch GetMetricData failed: Throttling: Rate exceeded'),
    );

    // Prepare
    cloudWatchMock.on(GetMetricDataCommand).callsFake(metricAnswer([]));
    sqsMock
      .on(GetQueueAttributesCommand, { QueueUrl: fakeQueueUrl('posting', 'dlq') })
      .rejects(Object.assign(new Error('Access to the resource is denied'), { name: 'AccessDenied' }));

    // Act + Assess
    await expect(reconciler().read(RANGE)).rejects.toThrow(
      `reconciliation: SQS GetQueueAttributes ${fakeQueueUrl('posting', 'dlq')} failed: AccessDenied: Access to the resource is denied`,
    );
  });

  it('refuses a depth that is not a count', async () => {
    // Prepare
    cloudWatchMock.on(GetMetricDataCommand).callsFake(metricAnswer([]));
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '-1' } });

    // Act + Assess
    await expect(reconciler().read(RANGE)).rejects.toThrow(
      /ApproximateNumberOfMessages is not a count: "-1"/,
    );
  });

  it('refuses a topology stage without queues', () => {
    expect(
      () =>
        new MetricReportReconciler({
          cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
          sqs: new SQSClient({ region: 'us-east-1' }),
          topology: CELL_TOPOLOGY,
          queues: fakeStageQueues(['ingestion']),
        }),
    ).toThrow('reconciliation: no queue URLs for stage reconciliation');
  });
});
