import { App, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTopology, CELL_TOPOLOGY, type CellSettings } from '../../cells/topology.js';
import { LAMBDA_ENV } from '../../consumers/aws/lambda/lambda-env.js';
import { EventRouting } from '../../stacks/event-routing.js';
import {
  actionsOf,
  logicalIdOf,
  resourcesOf,
  statementsOfRole,
  synthCells,
  templateJson,
} from './cell-fixture.js';

const { settings, stages } = CELL_TOPOLOGY;

describe('EventRouting', () => {
  let template: Template;

  beforeAll(() => {
    const found = synthCells('us-east-2').templates.get('us-east-2');
    if (!found) throw new Error('us-east-2 was not synthesized');
    template = found;
  });

  describe('bus', () => {
    it('encrypts the bus with a customer-managed, rotated key and gives it a DLQ', () => {
      // Prepare
      const keyId = logicalIdOf(template, 'AWS::KMS::Key', 'RoutingBusKey');
      const dlqId = logicalIdOf(template, 'AWS::SQS::Queue', 'RoutingBusDlq');

      // Assess
      template.hasResourceProperties('AWS::Events::EventBus', {
        KmsKeyIdentifier: { 'Fn::GetAtt': [keyId, 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
      });
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'events.amazonaws.com' },
              Condition: {
                StringEquals: Match.objectLike({
                  'kms:EncryptionContext:aws:events:event-bus:arn': Match.anyValue(),
                }),
              },
            }),
          ]),
        },
      });
      template.resourceCountIs('AWS::Events::EventBus', 1);
    });

    it('lets the bus, and only the bus, send to its DLQ', () => {
      // Prepare
      const busId = logicalIdOf(template, 'AWS::Events::EventBus', 'RoutingBus');
      const dlqId = logicalIdOf(template, 'AWS::SQS::Queue', 'RoutingBusDlq');

      // Assess
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: dlqId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [busId, 'Arn'] } } },
            }),
          ]),
        },
      });
    });

    it('archives every event of the cell source for archiveRetentionDays under its own key', () => {
      // Prepare
      const busId = logicalIdOf(template, 'AWS::Events::EventBus', 'RoutingBus');
      const archiveKeyId = logicalIdOf(template, 'AWS::KMS::Key', 'RoutingArchiveKey');

      // Assess
      template.hasResourceProperties('AWS::Events::Archive', {
        SourceArn: { 'Fn::GetAtt': [busId, 'Arn'] },
        EventPattern: { source: [settings.eventSource] },
        RetentionDays: settings.archiveRetentionDays,
        KmsKeyIdentifier: { 'Fn::GetAtt': [archiveKeyId, 'Arn'] },
      });
    });
  });

  describe('rules', () => {
    it('routes each stage by source and detail-type to its relay with a retry policy and a standard DLQ', () => {
      for (const stage of stages) {
        // Prepare
        const relayId = logicalIdOf(template, 'AWS::Lambda::Function', `Routing${stage.title}RelayFunction`);
        const dlqId = logicalIdOf(template, 'AWS::SQS::Queue', `Routing${stage.title}RelayDlq`);

        // Assess
        template.hasResourceProperties('AWS::Events::Rule', {
          EventBusName: { Ref: logicalIdOf(template, 'AWS::Events::EventBus', 'RoutingBus') },
          EventPattern: { source: [settings.eventSource], 'detail-type': [stage.detailType] },
          Targets: [
            Match.objectLike({
              Arn: { 'Fn::GetAtt': [relayId, 'Arn'] },
              RetryPolicy: {
                MaximumRetryAttempts: settings.relayRetryAttempts,
                MaximumEventAgeInSeconds: settings.relayMaxEventAgeSec,
              },
              DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
            }),
          ],
        });
        const dlq = templateJson(template).Resources[dlqId];
        expect(dlq?.Properties?.FifoQueue).toBeUndefined();
      }
      template.resourceCountIs('AWS::Events::Rule', stages.length);
    });
  });

  describe('relays', () => {
    it('retries failed async invocations twice, then dead-letters to the stage relay DLQ', () => {
      for (const stage of stages) {
        // Prepare
        const relayId = logicalIdOf(template, 'AWS::Lambda::Function', `Routing${stage.title}RelayFunction`);
        const dlqId = logicalIdOf(template, 'AWS::SQS::Queue', `Routing${stage.title}RelayDlq`);

        // Assess
        template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
          FunctionName: { Ref: relayId },
          MaximumRetryAttempts: 2,
          MaximumEventAgeInSeconds: 21_600,
        });
        template.hasResourceProperties('AWS::Lambda::Function', {
          Runtime: 'nodejs24.x',
          DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
          TracingConfig: { Mode: 'Active' },
          Environment: {
            Variables: Match.objectLike({
              [LAMBDA_ENV.stage]: stage.name,
              [LAMBDA_ENV.topicArn]: {
                Ref: logicalIdOf(template, 'AWS::SNS::Topic', `${stage.ids.consumer}${stage.ids.topic}`),
              },
            }),
          },
        });
      }
    });

    it('lets a relay publish to its own stage topic only', () => {
      for (const stage of stages) {
        // Prepare
        const roleId = logicalIdOf(template, 'AWS::IAM::Role', `Routing${stage.title}RelayRole`);
        const topicId = logicalIdOf(template, 'AWS::SNS::Topic', `${stage.ids.consumer}${stage.ids.topic}`);
        const topicKeyId = logicalIdOf(template, 'AWS::KMS::Key', `${stage.ids.consumer}TopicKey`);
        const dlqKeyId = logicalIdOf(template, 'AWS::KMS::Key', 'DlqKey');
        const dlqId = logicalIdOf(template, 'AWS::SQS::Queue', `Routing${stage.title}RelayDlq`);
        const logsId = logicalIdOf(template, 'AWS::Logs::LogGroup', `Routing${stage.title}RelayLogs`);

        // Act
        const statements = statementsOfRole(template, roleId);
        const byAction = new Map(
          statements.flatMap((s) => actionsOf(s).map((a) => [a, resourcesOf(s)] as const)),
        );

        // Assess
        expect(byAction.get('sns:Publish')).toEqual([topicId]);
        // The topic key to publish; the DLQ key for Lambda's own writes to the relay DLQ.
        expect(byAction.get('kms:GenerateDataKey')?.sort()).toEqual([topicKeyId, dlqKeyId].sort());
        expect(byAction.get('sqs:SendMessage')).toEqual([dlqId]);
        expect(byAction.get('logs:PutLogEvents')).toEqual([logsId]);
        const allResources = new Set(statements.flatMap(resourcesOf));
        expect([...allResources].sort()).toEqual([topicId, topicKeyId, dlqKeyId, dlqId, logsId, '*'].sort());
        const wildcardActions = statements.filter((s) => resourcesOf(s).includes('*')).flatMap(actionsOf);
        expect(wildcardActions.sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      }
    });

    it('encrypts the bus DLQ and every relay DLQ with the DLQ key, not the key whose failure they catch', () => {
      // Prepare
      const resources = templateJson(template).Resources;
      const dlqKey = { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::KMS::Key', 'DlqKey'), 'Arn'] };
      const busDlq = resources[logicalIdOf(template, 'AWS::SQS::Queue', 'RoutingBusDlq')];

      // Assess
      expect(busDlq?.Properties?.KmsMasterKeyId).toEqual(dlqKey);
      for (const stage of stages) {
        const relayDlq = resources[logicalIdOf(template, 'AWS::SQS::Queue', `Routing${stage.title}RelayDlq`)];
        expect(relayDlq?.Properties?.KmsMasterKeyId).toEqual(dlqKey);
        // EventBridge no longer writes under the topic keys, so they no longer admit it.
        const topicKey = resources[logicalIdOf(template, 'AWS::KMS::Key', `${stage.ids.consumer}TopicKey`)];
        expect(JSON.stringify(topicKey?.Properties?.KeyPolicy)).not.toContain('events.amazonaws.com');
      }
    });

    it('lets EventBridge use the DLQ key whether or not it sends source conditions', () => {
      template.hasResourceProperties('AWS::KMS::Key', {
        Description: 'Dead-letter queues of an invoice cell',
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Sid: 'AllowEventBridgeToWriteEncryptedDlqs',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
              Resource: '*',
              Condition: {
                StringEqualsIfExists: { 'aws:SourceAccount': '111122223333' },
                ArnLikeIfExists: { 'aws:SourceArn': 'arn:aws:events:us-east-2:111122223333:*' },
              },
            },
          ]),
        },
      });
    });
  });

  describe('constructor', () => {
    const newRouting = (overrides: Partial<CellSettings>, relayAsyncRetryAttempts?: number) => {
      const stack = new Stack(new App(), 'S', { env: { region: 'us-east-1', account: '111122223333' } });
      const key = new kms.Key(stack, 'Key');
      const topic = new sns.Topic(stack, 'Topic', { fifo: true, masterKey: key });
      const base = buildTopology();
      return () =>
        new EventRouting(stack, 'Routing', {
          topology: { ...base, settings: { ...base.settings, ...overrides } },
          stages: base.stages.slice(0, 1).map((stage) => ({ stage, topic, topicKey: key })),
          relayCode: () => lambda.Code.fromInline('exports.handler = async () => undefined;'),
          logsKey: key,
          dlqKey: key,
          ...(relayAsyncRetryAttempts === undefined ? {} : { relayAsyncRetryAttempts }),
        });
    };

    it('accepts the default settings', () => {
      expect(newRouting({})).not.toThrow();
    });

    it('rejects more rule retries than EventBridge allows, showing the value', () => {
      expect(newRouting({ relayRetryAttempts: 186 })).toThrow(
        'relayRetryAttempts must be an integer in 0..185, got 186',
      );
    });

    it('rejects a max event age outside 60..86400 s, showing the value', () => {
      expect(newRouting({ relayMaxEventAgeSec: 30 })).toThrow(
        'relayMaxEventAgeSec must be an integer in 60..86400, got 30',
      );
    });

    it('rejects more async retries than Lambda allows', () => {
      expect(newRouting({}, 3)).toThrow('relayAsyncRetryAttempts must be 0..2, got 3');
    });
  });
});
