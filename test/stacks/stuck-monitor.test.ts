import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../cells/topology.js';
import { LAMBDA_ENV } from '../../consumers/aws/lambda/lambda-env.js';
import { CELL_OUTPUT_IDS } from '../../stacks/cell-outputs.js';
import { StuckMonitor } from '../../stacks/stuck-monitor.js';
import { TimeseriesStore } from '../../stacks/timeseries-store.js';
import {
  actionsOf,
  logicalIdOf,
  resourcesOf,
  statementsOfRole,
  synthCells,
  templateJson,
} from './cell-fixture.js';

describe('StuckMonitor', () => {
  let template: Template;
  let ids: {
    fn: string;
    role: string;
    schedulerRole: string;
    dlq: string;
    table: string;
    warningTopic: string;
    alertKey: string;
    dlqKey: string;
  };

  beforeAll(() => {
    const found = synthCells('us-west-2').templates.get('us-west-2');
    if (!found) throw new Error('us-west-2 was not synthesized');
    template = found;
    ids = {
      fn: logicalIdOf(template, 'AWS::Lambda::Function', 'StuckMonitorFunction'),
      role: logicalIdOf(template, 'AWS::IAM::Role', 'StuckMonitorFunctionRole'),
      schedulerRole: logicalIdOf(template, 'AWS::IAM::Role', 'StuckMonitorSchedulerRole'),
      dlq: logicalIdOf(template, 'AWS::SQS::Queue', 'StuckMonitorDlq'),
      // The latest-state table (its stuck-state rows), not the records table.
      table: logicalIdOf(template, 'AWS::Timestream::Table', 'StoreLatestState'),
      warningTopic: logicalIdOf(template, 'AWS::SNS::Topic', 'AlarmsWarningTopic'),
      alertKey: logicalIdOf(template, 'AWS::KMS::Key', 'AlarmsKey'),
      dlqKey: logicalIdOf(template, 'AWS::KMS::Key', 'DlqKey'),
    };
  });

  describe('schedule', () => {
    it('invokes the monitor every 5 minutes with its own role, a retry policy and a DLQ', () => {
      // The stuck monitor's, and the monthly report's (test/stacks/monthly-report.test.ts).
      template.resourceCountIs('AWS::Scheduler::Schedule', 2);
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: { 'Fn::GetAtt': [ids.fn, 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [ids.schedulerRole, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [ids.dlq, 'Arn'] } },
          // A run older than one period is superseded by the next one.
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 240 },
        },
      });
    });

    it('runs as often as the stuck-invoice alarms evaluate the metric', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: Match.stringLikeRegexp('stuck-invoices$'),
        Metrics: [Match.objectLike({ MetricStat: Match.objectLike({ Period: 300 }) })],
      });
    });

    it('lets only EventBridge Scheduler of this account assume the scheduler role', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Condition: {
                StringEquals: {
                  'aws:SourceAccount': '111122223333',
                  'aws:SourceArn': 'arn:aws:scheduler:us-west-2:111122223333:schedule-group/default',
                },
              },
            },
          ],
        },
      });
    });

    it('gives the scheduler role invoke on the one function and writes to the DLQ, nothing else', () => {
      // Act
      const statements = statementsOfRole(template, ids.schedulerRole).map((s) => ({
        actions: actionsOf(s).sort(),
        resources: resourcesOf(s),
      }));

      // Assess: the function ARN itself, not `<function>:*`
      expect(statements).toEqual([
        { actions: ['lambda:InvokeFunction'], resources: [ids.fn] },
        { actions: ['sqs:SendMessage'], resources: [ids.dlq] },
        { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [ids.dlqKey] },
      ]);
    });
  });

  describe('function', () => {
    it('queries the latest-state table, publishes to the warning topic and writes its DLQ: least privilege', () => {
      // Act
      const statements = statementsOfRole(template, ids.role).map((s) => ({
        actions: actionsOf(s).sort(),
        resources: resourcesOf(s),
      }));
      const logs = logicalIdOf(template, 'AWS::Logs::LogGroup', 'StuckMonitorFunctionLogs');

      // Assess
      expect(statements).toEqual([
        { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logs] },
        { actions: ['sqs:SendMessage'], resources: [ids.dlq] },
        {
          actions: ['timestream:DescribeEndpoints', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
          resources: ['*'],
        },
        { actions: ['timestream:Select'], resources: [ids.table] },
        { actions: ['sns:Publish'], resources: [ids.warningTopic] },
        // The alert key to publish, the DLQ key for Lambda's own DLQ writes.
        { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [ids.alertKey, ids.dlqKey] },
      ]);
    });

    it('is configured from the environment contract, looking back over the memory store', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            [LAMBDA_ENV.cellName]: 'us-west-2',
            [LAMBDA_ENV.database]: {
              Ref: logicalIdOf(template, 'AWS::Timestream::Database', 'StoreDatabase'),
            },
            [LAMBDA_ENV.table]: { 'Fn::GetAtt': [ids.table, 'Name'] },
            [LAMBDA_ENV.alertTopicArn]: { Ref: ids.warningTopic },
            [LAMBDA_ENV.lookbackHours]: String(CELL_TOPOLOGY.settings.memoryRetentionHours),
          }),
        },
        Timeout: 240,
        DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [ids.dlq, 'Arn'] } },
      });
    });

    it('does not retry a failed run (the next run is the retry) and drops runs older than a period', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids.fn },
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 240,
      });
    });

    it('publishes its DLQ as an output and encrypts it with the DLQ key, not the alert key its runs fail on', () => {
      const resources = templateJson(template).Resources;
      expect(resources[ids.dlq]?.Properties?.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [ids.dlqKey, 'Arn'] });
      expect(templateJson(template).Outputs?.[CELL_OUTPUT_IDS.stuckMonitorDlqUrl]?.Value).toEqual({
        Ref: ids.dlq,
      });
    });
  });

  describe('constructor', () => {
    function build(period: Duration, lookbackHours = 24) {
      const stack = new Stack(new App(), 'Bare', { env: { account: '111122223333', region: 'us-east-1' } });
      const key = new kms.Key(stack, 'Key');
      return () =>
        new StuckMonitor(stack, 'Monitor', {
          topology: CELL_TOPOLOGY,
          cellName: 'c1',
          store: new TimeseriesStore(stack, 'Store', { settings: CELL_TOPOLOGY.settings }),
          alertTopic: new sns.Topic(stack, 'Topic'),
          alertKey: key,
          dlqKey: key,
          code: lambda.Code.fromInline('exports.handler = async () => undefined;'),
          logsKey: key,
          period,
          lookbackHours,
        });
    }

    it('refuses a period the function timeout cannot fit in, and a non-positive look-back', () => {
      expect(build(Duration.seconds(90))).toThrow(
        'stuck monitor period must be whole minutes in 2..60, got 90 s',
      );
      expect(build(Duration.minutes(5), 0)).toThrow('lookbackHours must be a positive integer, got 0');
      expect(build(Duration.minutes(10))).not.toThrow();
    });
  });
});
