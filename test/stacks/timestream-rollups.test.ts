import { App, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../cells/topology.js';
import { DASHBOARDS } from '../../dashboards/panels/panels.js';
import { timestreamRollupJobs } from '../../dashboards/renderers/timestream-rollup-jobs.js';
import { rollupsOf } from '../../dashboards/rollups/apply-record.js';
import { TimeseriesStore } from '../../stacks/timeseries-store.js';
import { TimestreamRollups } from '../../stacks/timestream-rollups.js';
import {
  actionsOf,
  logicalIdOf,
  logicalIdsOfType,
  resourcesOf,
  statementsOfRole,
  synthCells,
  templateJson,
} from './cell-fixture.js';

const { jobs } = timestreamRollupJobs(rollupsOf(DASHBOARDS), { topology: CELL_TOPOLOGY });

/** The scheduled query of a job, by the job id in its construct path. */
function queryProps(template: Template, jobId: string): Record<string, unknown> {
  // The logical id is the path without separators plus an 8-digit hash.
  const exact = new RegExp(`^RollupsQuery${jobId.replaceAll(/[^A-Za-z0-9]/g, '')}[0-9A-F]{8}$`);
  const ids = logicalIdsOfType(template, 'AWS::Timestream::ScheduledQuery').filter((id) => exact.test(id));
  if (ids.length !== 1) throw new Error(`expected one scheduled query for ${jobId}, got ${ids.join(', ')}`);
  return templateJson(template).Resources[ids[0] as string]?.Properties ?? {};
}

describe('TimestreamRollups', () => {
  let template: Template;
  let ids: Record<'key' | 'bucket' | 'topic' | 'queue' | 'role' | 'records' | 'bins' | 'latest', string>;

  beforeAll(() => {
    const found = synthCells('us-east-1').templates.get('us-east-1');
    if (!found) throw new Error('us-east-1 was not synthesized');
    template = found;
    ids = {
      key: logicalIdOf(template, 'AWS::KMS::Key', 'RollupsKey'),
      bucket: logicalIdOf(template, 'AWS::S3::Bucket', 'RollupsErrorReports'),
      topic: logicalIdOf(template, 'AWS::SNS::Topic', 'RollupsNotifications'),
      queue: logicalIdOf(template, 'AWS::SQS::Queue', 'RollupsFailedRuns'),
      role: logicalIdOf(template, 'AWS::IAM::Role', 'RollupsRole'),
      records: logicalIdOf(template, 'AWS::Timestream::Table', 'StoreTable'),
      bins: logicalIdOf(template, 'AWS::Timestream::Table', 'StoreRollupBins'),
      latest: logicalIdOf(template, 'AWS::Timestream::Table', 'StoreLatestState'),
    };
  });

  describe('scheduled queries', () => {
    it('creates one scheduled query per rollup job and nothing more', () => {
      expect(logicalIdsOfType(template, 'AWS::Timestream::ScheduledQuery')).toHaveLength(jobs.length);
      for (const job of jobs)
        expect(queryProps(template, job.id).ScheduleConfiguration).toEqual({
          ScheduleExpression: job.scheduleExpression,
        });
    });

    it('writes each job to its derived table with VARCHAR dimensions and its typed measures', () => {
      for (const job of jobs) {
        // Act
        const target = (
          queryProps(template, job.id).TargetConfiguration as { TimestreamConfiguration: unknown }
        ).TimestreamConfiguration;

        // Assess
        expect(target).toEqual({
          DatabaseName: { Ref: logicalIdOf(template, 'AWS::Timestream::Database', 'StoreDatabase') },
          TableName: { 'Fn::GetAtt': [job.target.table === 'bins' ? ids.bins : ids.latest, 'Name'] },
          TimeColumn: job.target.timeColumn,
          DimensionMappings: job.target.dimensions.map((Name) => ({ Name, DimensionValueType: 'VARCHAR' })),
          MultiMeasureMappings: {
            TargetMultiMeasureName: job.target.measureName,
            MultiMeasureAttributeMappings: job.target.measures.map((m) => ({
              SourceColumn: m.column,
              MeasureValueType: m.type,
            })),
          },
        });
      }
    });

    it('reports runs to the notification topic and errors to the KMS report bucket, as the role', () => {
      const props = queryProps(template, 'stuck-state');
      expect(props).toMatchObject({
        NotificationConfiguration: { SnsConfiguration: { TopicArn: { Ref: ids.topic } } },
        ErrorReportConfiguration: {
          S3Configuration: {
            BucketName: { Ref: ids.bucket },
            EncryptionOption: 'SSE_KMS',
            ObjectKeyPrefix: 'scheduled-query-errors',
          },
        },
        KmsKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] },
        ScheduledQueryExecutionRoleArn: { 'Fn::GetAtt': [ids.role, 'Arn'] },
      });
      // The query string reads the records table by its deployed name
      expect(JSON.stringify(props.QueryString)).toContain(ids.records);
    });

    it('creates each query after the role policy Timestream checks when it creates it', () => {
      const policy = logicalIdOf(template, 'AWS::IAM::Policy', 'RollupsRoleDefaultPolicy');
      for (const id of logicalIdsOfType(template, 'AWS::Timestream::ScheduledQuery')) {
        expect(templateJson(template).Resources[id]).toMatchObject({ DependsOn: [policy] });
      }
    });
  });

  describe('execution role', () => {
    it('may be assumed by Timestream only, scoped to this account when Timestream says whose query it is', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { Service: 'timestream.amazonaws.com' },
              Condition: {
                StringEqualsIfExists: { 'aws:SourceAccount': '111122223333' },
                ArnLikeIfExists: {
                  'aws:SourceArn': 'arn:aws:timestream:us-east-1:111122223333:scheduled-query/*',
                },
              },
            },
          ],
        },
      });
    });

    it('has exactly the permissions the queries use: least privilege', () => {
      // Act
      const statements = statementsOfRole(template, ids.role).map((s) => ({
        actions: actionsOf(s).sort(),
        resources: resourcesOf(s),
      }));
      const storeBucket = logicalIdOf(template, 'AWS::S3::Bucket', 'StoreRejectedData');
      const storeKey = logicalIdOf(template, 'AWS::KMS::Key', 'StoreKey');

      // Assess
      const arnOf = (id: string, suffix: string) =>
        JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, suffix]] });
      // (minimizePolicies merges statements with the same actions and sorts their resources)
      expect(statements).toEqual([
        { actions: ['timestream:Select'], resources: [ids.bins, ids.records] },
        { actions: ['timestream:DescribeEndpoints'], resources: ['*'] },
        {
          actions: ['s3:PutObject'],
          resources: [
            arnOf(ids.bucket, '/scheduled-query-errors/*'),
            arnOf(storeBucket, '/rejected-rollup-records/*'),
          ],
        },
        { actions: ['s3:GetBucketAcl'], resources: [ids.bucket, storeBucket] },
        // Reports of derived rows Timestream rejects are written under the store key
        { actions: ['kms:GenerateDataKey'], resources: [storeKey] },
        { actions: ['timestream:WriteRecords'], resources: [ids.latest, ids.bins] },
        { actions: ['sns:Publish'], resources: [ids.topic] },
        // The encrypted topic, the SSE-KMS error reports and the queries at rest
        { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [ids.key] },
      ]);
    });
  });

  describe('error reports, notifications and failures', () => {
    it('keeps error reports in a KMS-encrypted, private, TLS-only, retained bucket that expires them', () => {
      const bucket = templateJson(template).Resources[ids.bucket];
      expect(bucket).toMatchObject({
        DeletionPolicy: 'RetainExceptOnCreate',
        Properties: {
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
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          LifecycleConfiguration: { Rules: [{ ExpirationInDays: 90, Status: 'Enabled' }] },
        },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: ids.bucket },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('sends run notifications to a KMS topic and only failed runs on to the failed-runs queue', () => {
      template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] },
      });
      template.hasResourceProperties('AWS::SNS::Subscription', {
        TopicArn: { Ref: ids.topic },
        Protocol: 'sqs',
        Endpoint: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
        RawMessageDelivery: true,
        FilterPolicyScope: 'MessageBody',
        FilterPolicy: { type: ['AUTO_TRIGGER_FAILURE', 'MANUAL_TRIGGER_FAILURE'] },
      });
      // Under the cell's dead-letter key, not the key whose failure it may report
      expect(templateJson(template).Resources[ids.queue]?.Properties?.KmsMasterKeyId).toEqual({
        'Fn::GetAtt': [logicalIdOf(template, 'AWS::KMS::Key', 'DlqKey'), 'Arn'],
      });
    });

    it('alarms the warning topic while any failed run waits in the queue', () => {
      const warning = logicalIdOf(template, 'AWS::SNS::Topic', 'AlarmsWarningTopic');
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'InvoiceCell-us-east-1-rollup-queries-failed',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: warning }],
        OKActions: [{ Ref: warning }],
      });
    });
  });

  describe('derived tables', () => {
    it('keeps both in the cell database for the records retention, accepting late writes', () => {
      for (const id of [ids.bins, ids.latest]) {
        expect(templateJson(template).Resources[id]).toMatchObject({
          DeletionPolicy: 'RetainExceptOnCreate',
          Properties: {
            DatabaseName: { Ref: logicalIdOf(template, 'AWS::Timestream::Database', 'StoreDatabase') },
            RetentionProperties: {
              MemoryStoreRetentionPeriodInHours: String(CELL_TOPOLOGY.settings.memoryRetentionHours),
              MagneticStoreRetentionPeriodInDays: String(CELL_TOPOLOGY.settings.magneticRetentionDays),
            },
            MagneticStoreWriteProperties: {
              EnableMagneticStoreWrites: true,
              MagneticStoreRejectedDataLocation: {
                S3Configuration: {
                  BucketName: { Ref: logicalIdOf(template, 'AWS::S3::Bucket', 'StoreRejectedData') },
                  EncryptionOption: 'SSE_KMS',
                  KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::KMS::Key', 'StoreKey'), 'Arn'] },
                  ObjectKeyPrefix: 'rejected-rollup-records',
                },
              },
            },
          },
        });
      }
    });
  });

  describe('constructor', () => {
    it('refuses job options out of range, naming the option and the value', () => {
      // Prepare
      const stack = new Stack(new App(), 'Bare', { env: { account: '111122223333', region: 'us-east-1' } });

      // Act
      const build = () =>
        new TimestreamRollups(stack, 'Rollups', {
          topology: CELL_TOPOLOGY,
          store: new TimeseriesStore(stack, 'Store', { settings: CELL_TOPOLOGY.settings }),
          alarmTopic: new sns.Topic(stack, 'Alarms'),
          alarmNamePrefix: 'Bare-',
          failedRunsKey: new kms.Key(stack, 'DlqKey'),
          intervalMinutes: 7,
        });

      // Assess
      expect(build).toThrow('rollup intervalMinutes must be a divisor of 60, got 7');
    });
  });
});
