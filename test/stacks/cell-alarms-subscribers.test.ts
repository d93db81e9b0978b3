import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveCellUnhealthy, subscriberDlqRuleId } from '../../cells/alarm-rules.js';
import { buildTopology, STAGE_SETTINGS, type StageName } from '../../cells/topology.js';
import { CellAlarms } from '../../stacks/cell-alarms.js';
import { CellStack } from '../../stacks/cell-stack.js';
import {
  type CellMetricResources,
  type StageMetricQueues,
  UnresolvedMetricResourceError,
} from '../../stacks/cloudwatch-signals.js';
import { cdkJsonContext, logicalIdOf, STUB_LAMBDA_CODE, templateJson } from './cell-fixture.js';
import { type AlarmJson, queueOf } from './support/cell-alarm-fixture.js';

// A cell whose ingestion topic has a pull subscriber and a push subscriber (the endpoint is a
// local-cell feature; on AWS both are filtered SQS FIFO queues with a DLQ).
const topology = buildTopology({}, STAGE_SETTINGS, {
  ingestion: [
    { id: 'eur-only', filterPolicy: { event: { amount: { currency: ['EUR'] } } } },
    {
      id: 'billify',
      filterPolicy: { event: { status: ['RECEIVED'] } },
      endpoint: 'https://hooks.billify.example/invoice-cell',
    },
  ],
});
const PREFIX = 'InvoiceCell-us-east-1-';
const SUBSCRIBERS = [
  { id: 'eur-only', dlq: 'IngestionConsumerEurOnlySubscriberDlq' },
  { id: 'billify', dlq: 'IngestionConsumerBillifySubscriberDlq' },
];

describe('CellAlarms (subscriber DLQs)', () => {
  let stack: CellStack;
  let template: Template;
  let alarms: Map<string, AlarmJson>;

  beforeAll(() => {
    const app = new App({ context: cdkJsonContext() });
    stack = new CellStack(app, 'InvoiceCell-us-east-1', {
      env: { account: '111122223333', region: 'us-east-1' },
      cell: { name: 'us-east-1', region: 'us-east-1' },
      topology,
      lambdaCode: STUB_LAMBDA_CODE,
    });
    template = Template.fromStack(stack);
    alarms = new Map(
      Object.values(templateJson(template).Resources)
        .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
        .map((r) => {
          const props = r.Properties as unknown as AlarmJson;
          return [props.AlarmName, props] as const;
        }),
    );
  });

  it("alarms on each subscriber DLQ's visible messages above 0 within one minute", () => {
    for (const sub of SUBSCRIBERS) {
      // Prepare
      const dlqId = logicalIdOf(template, 'AWS::SQS::Queue', sub.dlq);
      const name = `${PREFIX}ingestion-${sub.id}-subscriber-dlq-not-empty`;

      // Act
      const alarm = alarms.get(name);
      const stat = alarm?.Metrics.find((m) => m.MetricStat)?.MetricStat;

      // Assess
      expect(alarm).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(stat).toMatchObject({
        Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' },
        Period: 60,
        Stat: 'Maximum',
      });
      expect(stat?.Metric.Dimensions.map((d) => d.Name)).toEqual(['QueueName']);
      expect(queueOf(stat?.Metric.Dimensions[0]?.Value)).toBe(dlqId);
    }
  });

  it('notifies the warning topic and stays out of the cell-unhealthy composite (the receiver is not the cell)', () => {
    // Prepare
    const warning = logicalIdOf(template, 'AWS::SNS::Topic', 'AlarmsWarningTopic');
    const composite = deriveCellUnhealthy(stack.alarms.rules);

    for (const sub of SUBSCRIBERS) {
      // Act
      const alarm = alarms.get(`${PREFIX}${subscriberDlqRuleId({ name: 'ingestion' }, sub.id)}`);

      // Assess
      expect(alarm?.AlarmActions).toEqual([{ Ref: warning }]);
      expect(alarm?.OKActions).toEqual([{ Ref: warning }]);
      expect(composite.ruleIds).not.toContain(`ingestion-${sub.id}-subscriber-dlq-not-empty`);
    }
  });

  it('keeps the endpoint out of the alarm description and names the redrive', () => {
    // Act
    const description = String(
      alarms.get(`${PREFIX}ingestion-billify-subscriber-dlq-not-empty`)?.AlarmDescription,
    );

    // Assess
    expect(description).toContain('IngestionBillifySubscriberDlq');
    expect(description).toContain('invoice-ops dlq redrive --stage ingestion --subscriber billify');
    expect(description).not.toContain('hooks.billify.example');
  });

  it('names the subscriber whose DLQ the cell did not pass', () => {
    // Prepare: queues for both stages of a two-stage topology with a subscriber, but no subscriber DLQ
    const bare = new Stack(new App(), 'Bare', { env: { account: '111122223333', region: 'us-east-1' } });
    const queue = (id: string) => new sqs.Queue(bare, id);
    const stages = new Map<StageName, StageMetricQueues>(
      (['ingestion', 'reconciliation'] as const).map((s) => [
        s,
        {
          queue: queue(`${s}Q`),
          dlq: queue(`${s}D`),
          relayDlq: queue(`${s}R`),
          relayRuleName: `${s}-rule`,
          relayFunctionName: `${s}-relay`,
        },
      ]),
    );
    const resources: CellMetricResources = {
      stages,
      busDlq: queue('Bus'),
      busName: 'bus',
      stuckMonitor: { functionName: 'monitor', dlqName: 'monitor-dlq' },
      api: { apiName: 'Api', stageName: 'v1' },
    };
    const twoStages = buildTopology({}, STAGE_SETTINGS.slice(0, 2), {
      ingestion: [{ id: 'eur-only', filterPolicy: { event: { amount: { currency: ['EUR'] } } } }],
    });

    // Act (a fresh construct id per call: a failed construction leaves its scope behind)
    let attempt = 0;
    const build = () => new CellAlarms(bare, `Alarms${attempt++}`, { topology: twoStages, resources });

    // Assess
    expect(build).toThrow(UnresolvedMetricResourceError);
    expect(build).toThrow('metric names subscriber eur-only of stage ingestion');
  });
});
