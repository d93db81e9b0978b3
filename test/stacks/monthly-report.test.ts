import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTopology, CELL_TOPOLOGY, type CellTopology } from '../../cells/topology.js';
import { LAMBDA_ENV } from '../../consumers/aws/lambda/lambda-env.js';
import {
  parseTimestreamReportSpec,
  type TimestreamReportSpec,
} from '../../consumers/aws/timestream-report-spec.js';
import { CELL_OUTPUT_IDS } from '../../stacks/cell-outputs.js';
import { MonthlyReport, type MonthlyReportProps } from '../../stacks/monthly-report.js';
import { TimeseriesStore } from '../../stacks/timeseries-store.js';
import {
  actionsOf,
  logicalIdOf,
  referencedId,
  resourcesOf,
  statementsOfRole,
  synthCells,
  templateJson,
} from './cell-fixture.js';

const SPEC: TimestreamReportSpec = {
  timeZone: 'UTC',
  figures: {
    received: { scope: 's_aaaaaaaaaa', stage: 'ingestion' },
    posted: { scope: 's_aaaaaaaaaa', stage: 'posting' },
    paymentTerms: { scope: 's_aaaaaaaaaa', stage: 'ingestion' },
    open: { scope: 's_bbbbbbbbbb' },
  },
};

/** A bare stack with just the report construct (and what it needs) on `topology`. */
function bare(topology: CellTopology, overrides: Partial<MonthlyReportProps> = {}) {
  const stack = new Stack(new App(), 'Bare', { env: { account: '111122223333', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key');
  const stageQueues = topology.stages.map((s) => ({
    stage: s.name,
    queue: new sqs.Queue(stack, `${s.ids.queue}`),
    dlq: new sqs.Queue(stack, `${s.ids.dlq}`),
  }));
  return () => {
    new MonthlyReport(stack, 'MonthlyReport', {
      topology,
      cellName: 'c1',
      store: new TimeseriesStore(stack, 'Store', { settings: topology.settings }).latestState,
      stageQueues,
      spec: { ...SPEC, timeZone: topology.settings.timeZone },
      runAt: { hour: 1, minute: 10 },
      code: lambda.Code.fromInline('exports.handler = async () => undefined;'),
      logsKey: key,
      dlqKey: key,
      alarmTopic: new sns.Topic(stack, 'Alarms'),
      alarmNamePrefix: 'c1-',
      ...overrides,
    });
    return Template.fromStack(stack);
  };
}

describe('MonthlyReport', () => {
  let template: Template;
  let ids: Record<
    'fn' | 'role' | 'schedulerRole' | 'dlq' | 'bucket' | 'topic' | 'key' | 'dlqKey' | 'latest' | 'warning',
    string
  >;

  beforeAll(() => {
    const found = synthCells('us-east-1').templates.get('us-east-1');
    if (!found) throw new Error('us-east-1 was not synthesized');
    template = found;
    ids = {
      fn: logicalIdOf(template, 'AWS::Lambda::Function', 'MonthlyReportFunction'),
      role: logicalIdOf(template, 'AWS::IAM::Role', 'MonthlyReportFunctionRole'),
      schedulerRole: logicalIdOf(template, 'AWS::IAM::Role', 'MonthlyReportSchedulerRole'),
      dlq: logicalIdOf(template, 'AWS::SQS::Queue', 'MonthlyReportDlq'),
      bucket: logicalIdOf(template, 'AWS::S3::Bucket', 'MonthlyReportReports'),
      topic: logicalIdOf(template, 'AWS::SNS::Topic', 'MonthlyReportTopic'),
      key: logicalIdOf(template, 'AWS::KMS::Key', 'MonthlyReportKey'),
      dlqKey: logicalIdOf(template, 'AWS::KMS::Key', 'DlqKey'),
      latest: logicalIdOf(template, 'AWS::Timestream::Table', 'StoreLatestState'),
      warning: logicalIdOf(template, 'AWS::SNS::Topic', 'AlarmsWarningTopic'),
    };
  });

  /** Each stage's queue and DLQ logical ids, in stage order. */
  const stageQueueIds = () =>
    CELL_TOPOLOGY.stages.map((stage) => ({
      stage: stage.name,
      queue: logicalIdOf(template, 'AWS::SQS::Queue', `${stage.ids.consumer}${stage.ids.queue}`),
      dlq: logicalIdOf(template, 'AWS::SQS::Queue', `${stage.ids.consumer}${stage.ids.dlq}`),
    }));

  describe('schedule', () => {
    it("runs on the 1st at 01:10 in the cell's zone, with the scheduled time as input, a day of retries and a DLQ", () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(10 1 1 * ? *)',
        ScheduleExpressionTimezone: 'UTC',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: { 'Fn::GetAtt': [ids.fn, 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [ids.schedulerRole, 'Arn'] },
          Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}',
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [ids.dlq, 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        },
      });
    });

    it("takes the time zone from the cell's topology", () => {
      // Act
      const paris = bare(buildTopology({ timeZone: 'Europe/Paris' }))();

      // Assess
      paris.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(10 1 1 * ? *)',
        ScheduleExpressionTimezone: 'Europe/Paris',
      });
      paris.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            [LAMBDA_ENV.reportSpec]: Match.stringLikeRegexp('"timeZone":"Europe/Paris"'),
          }),
        },
      });
    });

    it('lets the scheduler role invoke the one function and write the DLQ, nothing else', () => {
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
    it('queries only the latest-state table, reads only the stage queues, writes only reports/ of its bucket, publishes only to its topic', () => {
      // Act
      const statements = statementsOfRole(template, ids.role).map((s) => ({
        actions: actionsOf(s).sort(),
        resources: resourcesOf(s),
      }));
      const logs = logicalIdOf(template, 'AWS::Logs::LogGroup', 'MonthlyReportFunctionLogs');

      // Assess
      expect(statements).toEqual([
        { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logs] },
        { actions: ['sqs:SendMessage'], resources: [ids.dlq] },
        {
          // DescribeEndpoints (Timestream endpoint discovery) and GetMetricData have no resource-level permission.
          actions: [
            'cloudwatch:GetMetricData',
            'timestream:DescribeEndpoints',
            'xray:PutTelemetryRecords',
            'xray:PutTraceSegments',
          ],
          resources: ['*'],
        },
        { actions: ['timestream:Select'], resources: [ids.latest] },
        {
          actions: ['s3:PutObject'],
          resources: [
            JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.bucket, 'Arn'] }, '/reports/*']] }),
          ],
        },
        { actions: ['sns:Publish'], resources: [ids.topic] },
        // The reconciliation's depths: exactly the stage queues and DLQs.
        {
          actions: ['sqs:GetQueueAttributes'],
          // CDK sorts the resources.
          resources: stageQueueIds()
            .flatMap((q) => [q.queue, q.dlq])
            .sort(),
        },
        // CDK sorts the resources: the DLQ key, then the report key (reports and notices).
        { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [ids.dlqKey, ids.key] },
      ]);
    });

    it('is configured through the environment contract and retries a failed run twice before the DLQ', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            [LAMBDA_ENV.cellName]: 'us-east-1',
            [LAMBDA_ENV.table]: { 'Fn::GetAtt': [ids.latest, 'Name'] },
            [LAMBDA_ENV.reportBucket]: { Ref: ids.bucket },
            [LAMBDA_ENV.reportKeyArn]: { 'Fn::GetAtt': [ids.key, 'Arn'] },
            [LAMBDA_ENV.reportTopicArn]: { Ref: ids.topic },
          }),
        },
        Timeout: 900,
        DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [ids.dlq, 'Arn'] } },
      });
      // Assess: every stage's queue and DLQ URL, for the reconciliation's depths
      const fn = templateJson(template).Resources[ids.fn]?.Properties as {
        Environment: { Variables: Record<string, { 'Fn::Join': [string, unknown[]] }> };
      };
      const joined = fn.Environment.Variables[LAMBDA_ENV.reportStageQueues]?.['Fn::Join'][1] ?? [];
      const queues = JSON.parse(
        joined.map((part) => (typeof part === 'string' ? part : referencedId(part))).join(''),
      );
      expect(queues).toEqual(
        Object.fromEntries(stageQueueIds().map((q) => [q.stage, { queueUrl: q.queue, dlqUrl: q.dlq }])),
      );
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids.fn },
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 21_600,
      });
    });
  });

  describe('storage and notice', () => {
    it('keeps the reports in a private, versioned bucket encrypted under the report key, TLS only', () => {
      const bucket = templateJson(template).Resources[ids.bucket];
      expect(bucket?.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [ids.key, 'Arn'] },
              },
            },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
      expect(bucket?.DeletionPolicy).toBe('RetainExceptOnCreate');
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: ids.bucket },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('encrypts the notice topic under the report key', () => {
      expect(templateJson(template).Resources[ids.topic]?.Properties?.KmsMasterKeyId).toEqual({
        'Fn::GetAtt': [ids.key, 'Arn'],
      });
    });

    it('alarms the warning topic while the DLQ holds a failed report', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'InvoiceCell-us-east-1-monthly-report-failed',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.dlq, 'QueueName'] } }],
        Threshold: 1,
        AlarmActions: [{ Ref: ids.warning }],
      });
    });

    it('publishes where the reports are and what the CLI needs to build one', () => {
      // Act
      const outputs = templateJson(template).Outputs ?? {};
      const spec = parseTimestreamReportSpec(
        String(outputs[CELL_OUTPUT_IDS.monthlyReportSpec]?.Value),
        'MonthlyReportSpec',
      );

      // Assess: the spec the function runs with
      expect(outputs[CELL_OUTPUT_IDS.monthlyReportBucket]?.Value).toEqual({ Ref: ids.bucket });
      expect(outputs[CELL_OUTPUT_IDS.monthlyReportTopicArn]?.Value).toEqual({ Ref: ids.topic });
      expect(outputs[CELL_OUTPUT_IDS.timestreamLatestStateTable]?.Value).toEqual({
        'Fn::GetAtt': [ids.latest, 'Name'],
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [LAMBDA_ENV.reportSpec]: JSON.stringify(spec) }) },
      });
      expect(spec.figures.received.stage).toBe('ingestion');
      expect(spec.figures.posted.stage).toBe('posting');
    });
  });

  describe('constructor', () => {
    it('refuses a time of day that is not one, and a spec in another zone than the topology', () => {
      expect(bare(CELL_TOPOLOGY, { runAt: { hour: 24, minute: 0 } })).toThrow(
        'monthly report runAt must be a time of day (hour 0..23, minute 0..59), got 24:0',
      );
      expect(bare(CELL_TOPOLOGY, { spec: { ...SPEC, timeZone: 'Asia/Tokyo' } })).toThrow(
        "monthly report spec timeZone must be the topology's UTC, got Asia/Tokyo",
      );
      expect(bare(CELL_TOPOLOGY, { stageQueues: [] })).toThrow(
        'monthly report stageQueues must name each stage of the topology once (ingestion, reconciliation, authorization, posting), got none',
      );
      expect(bare(CELL_TOPOLOGY)).not.toThrow();
    });
  });
});
