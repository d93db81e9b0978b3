import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeAlarmHistoryCommand,
  type DescribeAlarmHistoryCommandInput,
  type DescribeAlarmHistoryCommandOutput,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  type DescribeAlarmsCommandOutput,
  GetMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/client-timestream-query';
import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { queryPage } from '../../consumers/support/timestream-fakes.js';
import {
  ALARM_PREFIX,
  describeStacks,
  dlqMessage,
  queueUrl,
  STACK_NAME,
  stackOutputs,
} from './support/aws-fixtures.js';
import {
  CELL,
  cfn,
  cloudWatch,
  depth,
  INGESTION,
  NOW,
  POSTING,
  run,
  sqs,
  timestream,
  useAwsMocks,
} from './support/aws-mocks.js';
import { jsonOf } from './support/run-ops.js';

/**
 * `invoice-ops stuck|reconcile|alarms --cell`: Timestream and SQS for stuck invoices and messages,
 * CloudWatch sums for the verify count, and alarms with their history over every page, with every
 * AWS client mocked.
 */

useAwsMocks();

describe('invoice-ops against a deployed cell', () => {
  describe('stuck', () => {
    it('lists invoices past their SLA from Timestream and DLQ messages by invoice', async () => {
      // Prepare: INV-S1 entered reconciliation 2 h ago (SLA 1 h); INV-S2 is within its SLA.
      timestream.on(QueryCommand).resolves(
        queryPage(
          ['invoice_id', 'stage', 'status', 'time_ms', 'vendor_id'],
          [
            ['INV-S1', 'reconciliation', 'MISMATCHED', String(NOW - 2 * 3_600_000), 'V-1'],
            ['INV-S2', 'reconciliation', 'MATCHED', String(NOW - 60_000), 'V-2'],
          ],
        ),
      );
      cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
      sqs.on(GetQueueAttributesCommand).resolves(depth(0));
      sqs.on(GetQueueAttributesCommand, { QueueUrl: queueUrl(INGESTION, 'dlq') }).resolves(depth(1));
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [dlqMessage(9, 'INV-D', NOW - 600_000)] })
        .resolves({ Messages: [] });
      sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });

      // Act
      const result = await run(['stuck', ...CELL, '--json']);

      // Assess
      expect(result.code).toBe(0);
      const report = jsonOf<{
        business: { invoiceId: string; overdueSec: number }[];
        technical: { kind: string; invoiceId?: string; stage: string }[];
      }>(result);
      expect(report.business).toEqual([expect.objectContaining({ invoiceId: 'INV-S1', overdueSec: 3600 })]);
      expect(report.technical).toEqual([
        expect.objectContaining({ stage: 'ingestion', kind: 'dlq', invoiceId: 'INV-D' }),
      ]);
      const query = timestream.commandCalls(QueryCommand)[0]?.args[0].input.QueryString ?? '';
      expect(query).toMatch(/time >= ago\(7d\)/);
      expect(query).toMatch(/cell = 'us-east-1'/);
      expect(query).toMatch(/to_milliseconds\(now\(\)\)/); // overdue rows only, not every open invoice
    });
  });

  describe('reconcile', () => {
    it('exits 1 and says it is approximate when accepted exceeds stored + DLQ + in flight', async () => {
      // Prepare: 100 relayed per stage, 100 processed except 97 at posting, nothing queued.
      const postingIndex = CELL_TOPOLOGY.stages.indexOf(POSTING);
      cloudWatch.on(GetMetricDataCommand).resolves({
        MetricDataResults: CELL_TOPOLOGY.stages.flatMap((_s, i) => [
          { Id: `relayed${i}`, Values: [60, 40] },
          { Id: `processed${i}`, Values: i === postingIndex ? [57, 40] : [60, 40] },
        ]),
      });
      sqs.on(GetQueueAttributesCommand).resolves(depth(0));

      // Act
      const result = await run([
        'reconcile',
        ...CELL,
        '--from',
        '2026-11-21T00:00:00Z',
        '--to',
        '2026-11-22T00:00:00Z',
      ]);

      // Assess
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/\(approximate\)/);
      expect(result.stdout).toMatch(/posting\s+100\s+97\s+0\s+0\s+3\s+0\s+NO/);
      expect(result.stdout).toMatch(/GAP/);
    });
  });

  describe('alarms', () => {
    it('falls back to the stack name as the alarm prefix when the stack has no AlarmNamePrefix output', async () => {
      // Prepare
      const { AlarmNamePrefix: _p, ...older } = stackOutputs();
      cfn.on(DescribeStacksCommand).resolves(describeStacks(older));
      cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
      cloudWatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });

      // Act
      const result = await run(['alarms', ...CELL]);

      // Assess
      expect(result.code).toBe(0);
      expect(cloudWatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input.AlarmNamePrefix).toBe(
        `${STACK_NAME}-`,
      );
      expect(result.stdout).toMatch(/no alarms found/);
    });

    it('pages DescribeAlarms and DescribeAlarmHistory by NextToken and maps alarms to their rules', async () => {
      // Prepare
      const prefix = ALARM_PREFIX;
      const alarmPages: DescribeAlarmsCommandOutput[] = [
        {
          $metadata: {},
          MetricAlarms: [
            {
              AlarmName: `${prefix}posting-dlq-not-empty`,
              StateValue: 'ALARM',
              StateReason: 'Threshold Crossed',
              StateUpdatedTimestamp: new Date(NOW - 60_000),
            },
          ],
          NextToken: 'alarms-2',
        },
        {
          $metadata: {},
          MetricAlarms: [{ AlarmName: `${prefix}ingestion-latency-p99`, StateValue: 'OK' }],
          CompositeAlarms: [{ AlarmName: `${prefix}cell-unhealthy`, StateValue: 'ALARM' }],
        },
      ];
      const historyPages: DescribeAlarmHistoryCommandOutput[] = [
        {
          $metadata: {},
          AlarmHistoryItems: [
            {
              AlarmName: `${prefix}posting-dlq-not-empty`,
              Timestamp: new Date(NOW - 60_000),
              HistoryItemType: 'StateUpdate',
              HistorySummary: 'Alarm updated from OK to ALARM',
              HistoryData: JSON.stringify({
                oldState: { stateValue: 'OK' },
                newState: { stateValue: 'ALARM' },
              }),
            },
            { AlarmName: 'SomeoneElsesAlarm', Timestamp: new Date(NOW), HistorySummary: 'not ours' },
          ],
          NextToken: 'history-2',
        },
        { $metadata: {}, AlarmHistoryItems: [] },
      ];
      // The SDK paginators reuse one input object across pages: record each request as sent.
      const alarmCalls: DescribeAlarmsCommandInput[] = [];
      cloudWatch.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => {
        alarmCalls.push({ ...input });
        return alarmPages[alarmCalls.length - 1];
      });
      const historyCalls: DescribeAlarmHistoryCommandInput[] = [];
      cloudWatch.on(DescribeAlarmHistoryCommand).callsFake((input: DescribeAlarmHistoryCommandInput) => {
        historyCalls.push({ ...input });
        return historyPages[historyCalls.length - 1];
      });

      // Act
      const result = await run(['alarms', ...CELL, '--history', '6h', '--json']);

      // Assess
      expect(result.code).toBe(0);
      expect(alarmCalls).toHaveLength(2);
      expect(alarmCalls[0]).toMatchObject({ AlarmNamePrefix: prefix });
      expect(alarmCalls[1]).toMatchObject({ AlarmNamePrefix: prefix, NextToken: 'alarms-2' });
      expect(historyCalls).toHaveLength(2);
      expect(historyCalls[0]).toMatchObject({
        HistoryItemType: 'StateUpdate',
        StartDate: new Date(NOW - 6 * 3_600_000),
      });
      expect(historyCalls[1]).toMatchObject({ NextToken: 'history-2' });
      const report = jsonOf<{
        alarms: { name: string; state: string; severity?: string; stage?: string }[];
        transitions: { name: string; from: string; to: string }[];
      }>(result);
      expect(report.alarms.map((a) => [a.state, a.severity, a.stage ?? null])).toEqual([
        ['ALARM', 'critical', null], // the composite "cell unhealthy"
        ['ALARM', 'critical', 'posting'],
        ['OK', 'critical', 'ingestion'],
      ]);
      expect(report.transitions).toEqual([
        expect.objectContaining({
          name: `${prefix}posting-dlq-not-empty`,
          from: 'OK',
          to: 'ALARM',
        }),
      ]);
    });
  });
});
