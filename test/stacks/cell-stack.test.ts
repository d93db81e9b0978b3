import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG } from '../../cells/catalog.js';
import { buildTopology, CELL_TOPOLOGY } from '../../cells/topology.js';
import { CELL_OUTPUT_IDS, stageOutputIds } from '../../stacks/cell-outputs.js';
import { CellStack } from '../../stacks/cell-stack.js';
import {
  type CfnResource,
  referencedId,
  STUB_LAMBDA_CODE,
  synthCells,
  templateJson,
} from './cell-fixture.js';

/** Resource types that hold data or guard it; they must keep their logical ids and be retained. */
const STATEFUL_TYPES = [
  'AWS::KMS::Key',
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
  'AWS::Events::EventBus',
  'AWS::Events::Archive',
  'AWS::Timestream::Database',
  'AWS::Timestream::Table',
  'AWS::S3::Bucket',
  'AWS::Logs::LogGroup',
] as const;

/**
 * Logical ids of every stateful resource. Changing one makes CloudFormation create a new resource
 * (an empty queue, a new key) and orphan the old retained one: update this list only on purpose.
 */
const PINNED_STATEFUL_LOGICAL_IDS = [
  'LogsKeyFE4C4A83',
  'StoreKey7A3C02BD',
  'IngestionConsumerTopicKey62DB133C',
  'IngestionConsumerQueueKeyBC2ED134',
  'ReconciliationConsumerTopicKey060482D7',
  'ReconciliationConsumerQueueKey21EAE553',
  'AuthorizationConsumerTopicKeyE956D63F',
  'AuthorizationConsumerQueueKey837F8384',
  'PostingConsumerTopicKey0E1B68C5',
  'PostingConsumerQueueKey0922ABC9',
  'RoutingBusKey5D89B1A0',
  'RoutingArchiveKey71C08F22',
  'IngestionConsumerIngestionDlqAB31A679',
  'IngestionConsumerIngestionQueue5DFC58A3',
  'ReconciliationConsumerReconciliationDlqC5D09C70',
  'ReconciliationConsumerReconciliationQueueB106E828',
  'AuthorizationConsumerAuthorizationDlq1B118481',
  'AuthorizationConsumerAuthorizationQueue8DA69A91',
  'PostingConsumerPostingDlq79B2E50E',
  'PostingConsumerPostingQueue0D615D52',
  'RoutingBusDlqC25A7FA0',
  'RoutingIngestionRelayDlq9ED0A7C4',
  'RoutingReconciliationRelayDlqBCCDFCC0',
  'RoutingAuthorizationRelayDlq64EC9871',
  'RoutingPostingRelayDlq4816CACF',
  'IngestionConsumerIngestionTopic0061D842',
  'ReconciliationConsumerReconciliationTopicA93CF41B',
  'AuthorizationConsumerAuthorizationTopic3BE3EE27',
  'PostingConsumerPostingTopicC691A1FA',
  'RoutingBusC7CA5072',
  'RoutingArchive0E233778',
  'StoreDatabase0BD65C62',
  'StoreTable6DC512C6',
  'StoreRejectedDataFB62AB88',
  'IngestionConsumerIngestionProcessorLogsDE8BBD7F',
  'ReconciliationConsumerReconciliationProcessorLogsB6290DA5',
  'AuthorizationConsumerAuthorizationProcessorLogs700E7E76',
  'PostingConsumerPostingProcessorLogs86627B14',
  'RoutingIngestionRelayLogs34CF3295',
  'RoutingReconciliationRelayLogs217F1763',
  'RoutingAuthorizationRelayLogs725D23BB',
  'RoutingPostingRelayLogsF8D1FD1C',
  'ApiAccessLogs50B185DB',
  'ApiExecutionLogsB326CF6B',
  'AlarmsKey3C2381B3',
  'AlarmsCriticalTopicA1297F46',
  'AlarmsWarningTopic11FDBE4A',
  'StuckMonitorDlqE3D38AA6',
  'StuckMonitorFunctionLogsFCA5E826',
  'DlqKeyC8C6D19C',
  'ApiWafLogsBA46EA93',
  // Rollups (issue 9): the derived tables and the scheduled queries' key, reports, topic, failed runs.
  'StoreRollupBins1F4F70A6',
  'StoreLatestStateC747F248',
  'RollupsKey6D444E99',
  'RollupsErrorReports5D47DDDF',
  'RollupsNotifications59343D82',
  'RollupsFailedRuns30A0853E',
  // Monthly report (issue 13): its key, report bucket, notice topic, DLQ and function logs.
  'MonthlyReportKey98F24DEB',
  'MonthlyReportReports54B07895',
  'MonthlyReportTopic0776FC63',
  'MonthlyReportDlq426267E9',
  'MonthlyReportFunctionLogsAAE8AD94',
];

function resourcesOfTypes(template: Template, types: readonly string[]): [string, CfnResource][] {
  return Object.entries(templateJson(template).Resources).filter(([, r]) => types.includes(r.Type));
}

const KMS_KEY_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::SQS::Queue': 'KmsMasterKeyId',
  'AWS::SNS::Topic': 'KmsMasterKeyId',
  'AWS::Events::EventBus': 'KmsKeyIdentifier',
  'AWS::Events::Archive': 'KmsKeyIdentifier',
  'AWS::Logs::LogGroup': 'KmsKeyId',
  'AWS::Timestream::Database': 'KmsKeyId',
};

describe('CellStack', () => {
  let templates: ReadonlyMap<string, Template>;

  beforeAll(() => {
    // Prepare: the whole default catalog, exactly as `npm run synth` builds it (stub code only).
    templates = synthCells().templates;
  });

  describe('synthesis', () => {
    it('synthesizes one stack per default catalog cell', () => {
      expect([...templates.keys()].sort()).toEqual(DEFAULT_CATALOG.map((c) => c.name).sort());
    });

    it('gives every cell the same resources (a tripwire for unintended additions or removals)', () => {
      // Act
      const counts = [...templates.values()].map((t) => {
        const byType: Record<string, number> = {};
        for (const r of Object.values(templateJson(t).Resources)) byType[r.Type] = (byType[r.Type] ?? 0) + 1;
        return byType;
      });

      // Assess
      for (const c of counts) expect(c).toEqual(counts[0]);
      expect(counts[0]).toMatchInlineSnapshot(`
        {
          "AWS::ApiGateway::Account": 1,
          "AWS::ApiGateway::Deployment": 1,
          "AWS::ApiGateway::GatewayResponse": 3,
          "AWS::ApiGateway::Method": 4,
          "AWS::ApiGateway::Model": 4,
          "AWS::ApiGateway::RequestValidator": 1,
          "AWS::ApiGateway::Resource": 5,
          "AWS::ApiGateway::RestApi": 1,
          "AWS::ApiGateway::Stage": 1,
          "AWS::ApiGateway::UsagePlan": 1,
          "AWS::CloudWatch::Alarm": 31,
          "AWS::CloudWatch::CompositeAlarm": 1,
          "AWS::CloudWatch::Dashboard": 1,
          "AWS::Events::Archive": 1,
          "AWS::Events::EventBus": 1,
          "AWS::Events::Rule": 4,
          "AWS::IAM::Policy": 14,
          "AWS::IAM::Role": 15,
          "AWS::KMS::Key": 16,
          "AWS::Lambda::EventInvokeConfig": 6,
          "AWS::Lambda::EventSourceMapping": 4,
          "AWS::Lambda::Function": 10,
          "AWS::Lambda::Permission": 4,
          "AWS::Logs::LogGroup": 13,
          "AWS::S3::Bucket": 3,
          "AWS::S3::BucketPolicy": 3,
          "AWS::SNS::Subscription": 5,
          "AWS::SNS::Topic": 8,
          "AWS::SNS::TopicPolicy": 8,
          "AWS::SQS::Queue": 16,
          "AWS::SQS::QueuePolicy": 16,
          "AWS::Scheduler::Schedule": 2,
          "AWS::Timestream::Database": 1,
          "AWS::Timestream::ScheduledQuery": 14,
          "AWS::Timestream::Table": 3,
          "AWS::WAFv2::LoggingConfiguration": 1,
          "AWS::WAFv2::WebACL": 1,
          "AWS::WAFv2::WebACLAssociation": 1,
        }
      `);
    });
  });

  describe('stateful resources', () => {
    it('keeps the pinned logical ids of every stateful resource', () => {
      for (const template of templates.values()) {
        const ids = resourcesOfTypes(template, STATEFUL_TYPES).map(([id]) => id);
        expect(ids.sort()).toEqual([...PINNED_STATEFUL_LOGICAL_IDS].sort());
      }
    });

    it('retains every stateful resource on delete and on replacement, except after a failed create', () => {
      for (const template of templates.values()) {
        for (const [id, resource] of resourcesOfTypes(template, STATEFUL_TYPES)) {
          expect({ id, deletion: resource.DeletionPolicy, replace: resource.UpdateReplacePolicy }).toEqual({
            id,
            deletion: 'RetainExceptOnCreate',
            replace: 'Retain',
          });
        }
      }
    });

    it('lets a rolled-back first deploy be retried: nothing is kept by a plain Retain', () => {
      for (const template of templates.values()) {
        // Act
        const plainRetain = Object.entries(templateJson(template).Resources)
          .filter(([, r]) => r.DeletionPolicy === 'Retain')
          .map(([id, r]) => `${id} (${r.Type})`);
        const retained = Object.values(templateJson(template).Resources).filter(
          (r) => r.DeletionPolicy !== undefined,
        );

        // Assess: the named bus above all, but also keys and queues, would block or leak on a retry.
        expect(plainRetain).toEqual([]);
        expect(retained.every((r) => r.DeletionPolicy === 'RetainExceptOnCreate')).toBe(true);
        expect(retained.map((r) => r.Type)).toEqual(
          expect.arrayContaining(['AWS::Events::EventBus', 'AWS::KMS::Key', 'AWS::IAM::Role']),
        );
      }
    });

    it('encrypts every queue, topic, bus, archive, log group and database with a key of the stack', () => {
      for (const template of templates.values()) {
        const resources = templateJson(template).Resources;
        for (const [id, resource] of resourcesOfTypes(template, Object.keys(KMS_KEY_PROPERTY))) {
          const property = KMS_KEY_PROPERTY[resource.Type] as string;
          const keyId = referencedId(resource.Properties?.[property]);
          expect({ id, keyType: resources[keyId]?.Type }).toEqual({ id, keyType: 'AWS::KMS::Key' });
        }
        for (const [, key] of resourcesOfTypes(template, ['AWS::KMS::Key'])) {
          expect(key.Properties?.EnableKeyRotation).toBe(true);
        }
      }
    });

    it('names no physical resource except the log groups API Gateway and WAF dictate and the alarms', () => {
      const nameProperties = [
        'QueueName',
        'BucketName',
        'DatabaseName',
        'TableName',
        'LogGroupName',
        'FunctionName',
        'RoleName',
        'TopicName',
        'DashboardName',
      ];
      for (const [cell, template] of templates) {
        // Alarms are named `<stack>-<rule id>` on purpose (stateless; found by prefix, see CellAlarms).
        const alarmNames = Object.values(templateJson(template).Resources)
          .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm')
          .map((r) => String(r.Properties?.AlarmName));
        expect(alarmNames.every((n) => n.startsWith(`InvoiceCell-${cell}-`))).toBe(true);
        const named = Object.entries(templateJson(template).Resources)
          .filter(
            ([, r]) => r.Type !== 'AWS::Timestream::Table' && r.Type !== 'AWS::Lambda::EventSourceMapping',
          )
          .filter(
            ([, r]) => r.Type !== 'AWS::Lambda::EventInvokeConfig' && r.Type !== 'AWS::Lambda::Permission',
          )
          // FIFO topics get a generated name (a FIFO name must end in .fifo).
          .filter(([, r]) => r.Type !== 'AWS::SNS::Topic' || r.Properties?.FifoTopic !== true)
          .filter(([, r]) => nameProperties.some((p) => r.Properties?.[p] !== undefined))
          .map(([id]) => id);
        // WAF logs only to groups named `aws-waf-logs-*`; the web ACL id keeps the name unique.
        expect(named).toEqual(['ApiExecutionLogsB326CF6B', 'ApiWafLogsBA46EA93']);
      }
    });
  });

  describe('outputs', () => {
    it('publishes the documented output ids, without exports', () => {
      // Prepare
      const expected = [
        ...Object.values(CELL_OUTPUT_IDS),
        ...CELL_TOPOLOGY.stages.flatMap((s) => Object.values(stageOutputIds(s))),
      ];

      for (const template of templates.values()) {
        // Act
        const outputs = templateJson(template).Outputs ?? {};

        // Assess
        expect(Object.keys(outputs).sort()).toEqual([...expected].sort());
        for (const output of Object.values(outputs)) {
          expect(output.Export).toBeUndefined();
          expect(output.Description).toEqual(expect.any(String));
        }
      }
    });

    it('points each stage output at that stage resources', () => {
      for (const template of templates.values()) {
        const outputs = templateJson(template).Outputs ?? {};
        for (const stage of CELL_TOPOLOGY.stages) {
          const ids = stageOutputIds(stage);
          expect(referencedId(outputs[ids.queueUrl]?.Value)).toMatch(
            new RegExp(`^${stage.ids.consumer}${stage.ids.queue}`),
          );
          expect(JSON.stringify(outputs[ids.dlqArn]?.Value)).toContain(
            `${stage.ids.consumer}${stage.ids.dlq}`,
          );
          expect(referencedId(outputs[ids.topicArn]?.Value)).toMatch(
            new RegExp(`^${stage.ids.consumer}${stage.ids.topic}`),
          );
          expect(referencedId(outputs[ids.relayDlqUrl]?.Value)).toMatch(
            new RegExp(`^Routing${stage.title}RelayDlq`),
          );
        }
        expect(referencedId(outputs[CELL_OUTPUT_IDS.busName]?.Value)).toMatch(/^RoutingBus/);
        expect(JSON.stringify(outputs[CELL_OUTPUT_IDS.archiveName]?.Value)).toContain('RoutingArchive');
        expect(referencedId(outputs[CELL_OUTPUT_IDS.timestreamDatabase]?.Value)).toMatch(/^StoreDatabase/);
      }
    });
  });

  describe('constructor', () => {
    it('refuses a cell in a region without Timestream, naming the region and the service', () => {
      // Prepare
      const cell = { name: 'us-west-1', region: 'us-west-1' };

      // Act
      const build = () =>
        new CellStack(new App(), 'InvoiceCell-us-west-1', {
          env: { region: 'us-west-1' },
          cell,
          topology: buildTopology(),
          lambdaCode: STUB_LAMBDA_CODE,
        });

      // Assess
      expect(build).toThrow(/region us-west-1 does not offer Timestream for LiveAnalytics/);
    });

    it('refuses a stack whose env region differs from the cell region', () => {
      const build = () =>
        new CellStack(new App(), 'InvoiceCell-us-east-1', {
          env: { region: 'us-east-2' },
          cell: { name: 'us-east-1', region: 'us-east-1' },
          topology: buildTopology(),
          lambdaCode: STUB_LAMBDA_CODE,
        });
      expect(build).toThrow('env.region must be the cell region us-east-1, got us-east-2');
    });
  });
});
