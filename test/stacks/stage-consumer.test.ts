import { App, Stack } from 'aws-cdk-lib';
import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY, type StageTopology } from '../../cells/topology.js';
import { LAMBDA_ENV } from '../../consumers/aws/lambda/lambda-env.js';
import { StageConsumer } from '../../stacks/stage-consumer.js';
import { TimeseriesStore } from '../../stacks/timeseries-store.js';
import {
  actionsOf,
  logicalIdOf,
  logicalIdsOfType,
  resourcesOf,
  statementsOfRole,
  synthCells,
  templateJson,
} from './cell-fixture.js';

const { settings, stages } = CELL_TOPOLOGY;

/** Logical ids of one stage's resources in a cell template. */
function stageIds(template: Template, stage: StageTopology) {
  const c = stage.ids.consumer;
  return {
    topic: logicalIdOf(template, 'AWS::SNS::Topic', `${c}${stage.ids.topic}`),
    queue: logicalIdOf(template, 'AWS::SQS::Queue', `${c}${stage.ids.queue}`),
    dlq: logicalIdOf(template, 'AWS::SQS::Queue', `${c}${stage.ids.dlq}`),
    topicKey: logicalIdOf(template, 'AWS::KMS::Key', `${c}TopicKey`),
    queueKey: logicalIdOf(template, 'AWS::KMS::Key', `${c}QueueKey`),
    processor: logicalIdOf(template, 'AWS::Lambda::Function', `${c}${stage.ids.processor}Function`),
    processorRole: logicalIdOf(template, 'AWS::IAM::Role', `${c}${stage.ids.processor}Role`),
    processorLogs: logicalIdOf(template, 'AWS::Logs::LogGroup', `${c}${stage.ids.processor}Logs`),
  };
}

describe('StageConsumer', () => {
  let template: Template;
  let tableId: string;

  beforeAll(() => {
    const found = synthCells('us-west-2').templates.get('us-west-2');
    if (!found) throw new Error('us-west-2 was not synthesized');
    template = found;
    tableId = logicalIdOf(template, 'AWS::Timestream::Table', 'StoreTable');
  });

  describe('topic', () => {
    it('is a KMS-encrypted FIFO topic with explicit dedup ids and per-message-group throughput', () => {
      for (const stage of stages) {
        const ids = stageIds(template, stage);
        template.hasResourceProperties('AWS::SNS::Topic', {
          FifoTopic: true,
          ContentBasedDeduplication: false,
          FifoThroughputScope: 'MessageGroup',
          KmsMasterKeyId: { 'Fn::GetAtt': [ids.topicKey, 'Arn'] },
          TopicName: Match.stringLikeRegexp(`${stage.title}Topic.*\\.fifo$`),
        });
      }
      // One FIFO topic per stage; the cell's other topics are the (standard) alert topics.
      template.resourcePropertiesCountIs('AWS::SNS::Topic', { FifoTopic: true }, stages.length);
    });

    it('delivers raw messages to the stage queue, with the stage DLQ for undeliverable ones', () => {
      for (const stage of stages) {
        const ids = stageIds(template, stage);
        template.hasResourceProperties('AWS::SNS::Subscription', {
          Protocol: 'sqs',
          TopicArn: { Ref: ids.topic },
          Endpoint: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
          RawMessageDelivery: true,
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [ids.dlq, 'Arn'] } },
        });
      }
    });
  });

  describe('queues', () => {
    it('makes a high-throughput KMS FIFO queue that redrives to a FIFO DLQ after maxReceiveCount', () => {
      for (const stage of stages) {
        // Prepare
        const ids = stageIds(template, stage);
        const resources = templateJson(template).Resources;

        // Assess
        expect(resources[ids.queue]?.Properties).toMatchObject({
          FifoQueue: true,
          ContentBasedDeduplication: false,
          DeduplicationScope: 'messageGroup',
          FifoThroughputLimit: 'perMessageGroupId',
          KmsMasterKeyId: { 'Fn::GetAtt': [ids.queueKey, 'Arn'] },
          VisibilityTimeout: stage.visibilityTimeoutSec,
          MessageRetentionPeriod: 14 * 24 * 3600,
          RedrivePolicy: {
            deadLetterTargetArn: { 'Fn::GetAtt': [ids.dlq, 'Arn'] },
            maxReceiveCount: stage.maxReceiveCount,
          },
        });
        expect(resources[ids.dlq]?.Properties).toMatchObject({
          FifoQueue: true,
          KmsMasterKeyId: { 'Fn::GetAtt': [ids.queueKey, 'Arn'] },
        });
      }
    });

    it('enforces TLS on every queue with a queue policy', () => {
      const queueIds = logicalIdsOfType(template, 'AWS::SQS::Queue');
      for (const queueId of queueIds) {
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: queueId }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });

    it('lets SNS use the queue key only for deliveries from the stage topic', () => {
      for (const stage of stages) {
        const ids = stageIds(template, stage);
        const policy = JSON.stringify(templateJson(template).Resources[ids.queueKey]?.Properties?.KeyPolicy);
        expect(policy).toContain('"Service":"sns.amazonaws.com"');
        expect(policy).toContain(`"aws:SourceArn":{"Ref":"${ids.topic}"}`);
      }
    });
  });

  describe('processor', () => {
    it('consumes 10 records per batch with partial batch failures and bounded concurrency', () => {
      for (const stage of stages) {
        const ids = stageIds(template, stage);
        template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          EventSourceArn: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
          FunctionName: { Ref: ids.processor },
          BatchSize: 10,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: stage.maxConcurrency },
          MaximumBatchingWindowInSeconds: Match.absent(),
        });
      }
    });

    it('runs the newest Node runtime with the topology timeout, X-Ray, its own encrypted log group and env', () => {
      for (const stage of stages) {
        // Prepare
        const ids = stageIds(template, stage);
        const env = new Capture();

        // Assess
        template.hasResourceProperties('AWS::Lambda::Function', {
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          Timeout: stage.processorTimeoutSec,
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: Match.objectLike({ LogGroup: { Ref: ids.processorLogs } }),
          Role: { 'Fn::GetAtt': [ids.processorRole, 'Arn'] },
          Environment: { Variables: env },
        });
        expect(env.asObject()).toMatchObject({
          [LAMBDA_ENV.stage]: stage.name,
          [LAMBDA_ENV.cellName]: 'us-west-2',
          [LAMBDA_ENV.database]: { Ref: logicalIdOf(template, 'AWS::Timestream::Database', 'StoreDatabase') },
          [LAMBDA_ENV.table]: { 'Fn::GetAtt': [tableId, 'Name'] },
          [LAMBDA_ENV.retryBudgetMs]: String(settings.storeRetryBudgetMs),
        });
        expect(templateJson(template).Resources[ids.processorLogs]?.Properties).toMatchObject({
          RetentionInDays: 90,
          KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::KMS::Key', 'LogsKey'), 'Arn'] },
        });
      }
    });

    it('can consume only its own queue, decrypt only its queue key and write only the cell table', () => {
      for (const stage of stages) {
        // Prepare
        const ids = stageIds(template, stage);

        // Act
        const statements = statementsOfRole(template, ids.processorRole);
        const resources = new Set(statements.flatMap(resourcesOf));
        const byAction = new Map(
          statements.flatMap((s) => actionsOf(s).map((a) => [a, resourcesOf(s)] as const)),
        );

        const bucketId = logicalIdOf(template, 'AWS::S3::Bucket', 'StoreRejectedData');
        const storeKeyId = logicalIdOf(template, 'AWS::KMS::Key', 'StoreKey');
        const reports = JSON.stringify({
          'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/rejected-records/*']],
        });

        // Assess: every resource the role touches is its own, and the wildcard is for unscoped actions only
        expect([...resources].sort()).toEqual(
          [ids.queue, ids.queueKey, tableId, ids.processorLogs, bucketId, reports, storeKeyId, '*'].sort(),
        );
        // Timestream writes rejected-record reports with the processor's identity.
        expect(byAction.get('s3:PutObject')).toEqual([reports]);
        expect(byAction.get('s3:GetBucketAcl')).toEqual([bucketId]);
        expect(byAction.get('sqs:ReceiveMessage')).toEqual([ids.queue]);
        expect(byAction.get('kms:Decrypt')).toEqual([ids.queueKey]);
        expect(byAction.get('timestream:WriteRecords')).toEqual([tableId]);
        const wildcardActions = statements.filter((s) => resourcesOf(s).includes('*')).flatMap(actionsOf);
        expect(wildcardActions.sort()).toEqual([
          'timestream:DescribeEndpoints',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ]);
        // Another stage's queue and key never appear.
        for (const other of stages.filter((s) => s.name !== stage.name)) {
          const otherIds = stageIds(template, other);
          expect(resources.has(otherIds.queue)).toBe(false);
          expect(resources.has(otherIds.queueKey)).toBe(false);
          expect(resources.has(otherIds.dlq)).toBe(false);
        }
      }
    });

    it('has a role with no managed policies', () => {
      for (const stage of stages) {
        const ids = stageIds(template, stage);
        const role = templateJson(template).Resources[ids.processorRole];
        expect(role?.Properties?.ManagedPolicyArns).toBeUndefined();
      }
    });
  });

  describe('constructor', () => {
    const newConsumer = (overrides: Partial<StageTopology>, cellName = 'c1') => {
      const stack = new Stack(new App(), 'S', { env: { region: 'us-east-1', account: '111122223333' } });
      const stage = { ...(stages[0] as StageTopology), ...overrides };
      return () =>
        new StageConsumer(stack, 'Consumer', {
          stage,
          topology: CELL_TOPOLOGY,
          cellName,
          store: new TimeseriesStore(stack, 'Store', { settings }),
          processorCode: lambda.Code.fromInline('exports.handler = async () => undefined;'),
          logsKey: new kms.Key(stack, 'LogsKey'),
        });
    };

    it('accepts the topology stage', () => {
      expect(newConsumer({})).not.toThrow();
    });

    it('rejects a batch size above the FIFO maximum of 10, showing the value', () => {
      expect(newConsumer({ batchSize: 11 })).toThrow(
        'stage consumer ingestion: batchSize must be an integer in 1..10, got 11',
      );
    });

    it('rejects a maximum concurrency below 2, showing the value', () => {
      expect(newConsumer({ maxConcurrency: 1 })).toThrow(
        'maxConcurrency must be an integer in 2..1000, got 1',
      );
    });

    it('rejects a visibility timeout shorter than the processor timeout', () => {
      expect(newConsumer({ visibilityTimeoutSec: 10 })).toThrow(
        'visibilityTimeoutSec must be >= 6 x processorTimeoutSec (180), got 10',
      );
    });

    it('rejects a visibility timeout under 6x the processor timeout, as Lambda recommends for SQS', () => {
      // Longer than the processor timeout, but too short for Lambda to retry a throttled batch.
      expect(newConsumer({ visibilityTimeoutSec: 179 })).toThrow(
        'stage ingestion: visibilityTimeoutSec must be >= 6 x processorTimeoutSec (180), got 179',
      );
      expect(newConsumer({ visibilityTimeoutSec: 180 })).not.toThrow();
    });

    it('rejects an empty cell name', () => {
      expect(newConsumer({}, ' ')).toThrow('cellName must not be empty');
    });
  });
});
