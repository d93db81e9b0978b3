import { Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG } from '../../cells/catalog.js';
import { CELL_TOPOLOGY } from '../../cells/topology.js';
import { LAMBDA_ENV } from '../../consumers/aws/lambda/lambda-env.js';
import { migrationsHash } from '../../stacks/aurora-migrations.js';
import { DATA_API_ACTIONS } from '../../stacks/aurora-store.js';
import { AURORA_OUTPUT_IDS, CELL_OUTPUT_IDS, stageOutputIds } from '../../stacks/cell-outputs.js';
import type { CellStack } from '../../stacks/cell-stack.js';
import {
  actionsOf,
  logicalIdOf,
  logicalIdsOfType,
  resourcesOf,
  statementsOfRole,
  templateJson,
} from './cell-fixture.js';
import { synthScratch } from './support/aurora-fixture.js';

const AURORA = { store: 'aurora-postgresql' } as const;
const scratch = synthScratch();
afterAll(() => scratch.cleanup());

/** Resource count by type. */
function countsOf(template: Template): Record<string, number> {
  const byType: Record<string, number> = {};
  for (const r of Object.values(templateJson(template).Resources)) byType[r.Type] = (byType[r.Type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(byType).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Every acknowledged rule of an Aurora cell, by construct path relative to the stack: the cell's
 * shared ones (processors, relays, API, routing) and the Aurora store's and migrations'. A new one
 * must be added here on purpose, with its reason written where the construct is made.
 */
const AURORA_ACKNOWLEDGMENTS: readonly string[] = [
  'Api/Api Annotation::AwsSolutions-COG4',
  // The monthly report's, as on a Timestream cell (its Lambda reads Aurora through the Data API).
  'MonthlyReport/Dlq Annotation::AwsSolutions-SQS3',
  'MonthlyReport/Function/Role Annotation::AwsSolutions-IAM5[Resource::*]',
  'MonthlyReport/Function/Role Annotation::AwsSolutions-IAM5[Resource::<MonthlyReportReports54B07895.Arn>/reports/*]',
  'MonthlyReport/Reports Annotation::AwsSolutions-S1',
  'Api/Api Annotation::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
  ...CELL_TOPOLOGY.stages.flatMap((s) => [
    `${s.ids.consumer}/${s.ids.processor}/Role Annotation::AwsSolutions-IAM5[Resource::*]`,
    `Routing/${s.title}Relay/Role Annotation::AwsSolutions-IAM5[Resource::*]`,
    `Routing/${s.title}RelayDlq Annotation::AwsSolutions-SQS3`,
  ]),
  'Routing/BusDlq Annotation::AwsSolutions-SQS3',
  'StuckMonitor/Dlq Annotation::AwsSolutions-SQS3',
  'StuckMonitor/Function/Role Annotation::AwsSolutions-IAM5[Resource::*]',
  'AuroraStore/Cluster Annotation::AwsSolutions-RDS11',
  // aws-cdk-lib's own, on the flow log it builds (CloudFormation validation of DependsOn/properties).
  'AuroraStore/Vpc/FlowLog CloudFormation-Validate::F3002',
  'AuroraStore/Vpc/FlowLog CloudFormation-Validate::F3003',
  'AuroraMigrations/Function/Role Annotation::AwsSolutions-IAM5[Resource::*]',
  'AuroraMigrations/Provider/framework-onEvent Annotation::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
  'AuroraMigrations/Provider/framework-onEvent Annotation::AwsSolutions-IAM5[Resource::<AuroraMigrationsFunction8BA29D21.Arn>:*]',
  'AuroraMigrations/Provider/framework-onEvent Annotation::AwsSolutions-L1',
];

function acknowledgmentsOf(stack: CellStack): { at: string; id: string; reason: string }[] {
  return stack.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          at: construct.node.path.slice(stack.node.id.length + 1),
          id,
          reason,
        })),
      ),
  );
}

describe('CellStack with the aurora-postgresql store', () => {
  let stacks: readonly CellStack[];
  let templates: ReadonlyMap<string, Template>;
  let template: Template;

  beforeAll(() => {
    // Prepare: every catalog cell and us-west-1 (which has no Timestream), all on Aurora.
    const cells = [...DEFAULT_CATALOG.map((c) => c.name), 'us-west-1'].join(',');
    ({ stacks, templates } = scratch.synth({ cells, ...AURORA }));
    template = templates.get('us-west-1') as Template;
  });

  describe('synthesis', () => {
    it('synthesizes every catalog cell and us-west-1 on Aurora', () => {
      expect(stacks.map((s) => [s.cell.name, s.storeKind])).toEqual(
        [...DEFAULT_CATALOG.map((c) => c.name), 'us-west-1'].map((n) => [n, 'aurora-postgresql']),
      );
    });

    it('gives every Aurora cell the same resources, and none of Timestream', () => {
      const counts = [...templates.values()].map(countsOf);
      for (const c of counts) expect(c).toEqual(counts[0]);
      expect(Object.keys(counts[0] ?? {}).filter((t) => t.startsWith('AWS::Timestream::'))).toEqual([]);
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
          "AWS::CloudWatch::Alarm": 30,
          "AWS::CloudWatch::CompositeAlarm": 1,
          "AWS::CloudWatch::Dashboard": 1,
          "AWS::EC2::FlowLog": 1,
          "AWS::EC2::RouteTable": 2,
          "AWS::EC2::SecurityGroup": 3,
          "AWS::EC2::SecurityGroupIngress": 2,
          "AWS::EC2::Subnet": 2,
          "AWS::EC2::SubnetRouteTableAssociation": 2,
          "AWS::EC2::VPC": 1,
          "AWS::EC2::VPCEndpoint": 1,
          "AWS::Events::Archive": 1,
          "AWS::Events::EventBus": 1,
          "AWS::Events::Rule": 4,
          "AWS::IAM::Policy": 16,
          "AWS::IAM::Role": 17,
          "AWS::KMS::Key": 15,
          "AWS::Lambda::EventInvokeConfig": 6,
          "AWS::Lambda::EventSourceMapping": 4,
          "AWS::Lambda::Function": 12,
          "AWS::Lambda::Permission": 4,
          "AWS::Logs::LogGroup": 16,
          "AWS::RDS::DBCluster": 1,
          "AWS::RDS::DBInstance": 2,
          "AWS::RDS::DBSubnetGroup": 1,
          "AWS::S3::Bucket": 1,
          "AWS::S3::BucketPolicy": 1,
          "AWS::SNS::Subscription": 4,
          "AWS::SNS::Topic": 7,
          "AWS::SNS::TopicPolicy": 7,
          "AWS::SQS::Queue": 15,
          "AWS::SQS::QueuePolicy": 15,
          "AWS::Scheduler::Schedule": 2,
          "AWS::SecretsManager::ResourcePolicy": 1,
          "AWS::SecretsManager::RotationSchedule": 1,
          "AWS::SecretsManager::Secret": 1,
          "AWS::SecretsManager::SecretTargetAttachment": 1,
          "AWS::Serverless::Application": 1,
          "AWS::WAFv2::LoggingConfiguration": 1,
          "AWS::WAFv2::WebACL": 1,
          "AWS::WAFv2::WebACLAssociation": 1,
          "Custom::AuroraMigrations": 1,
        }
      `);
    });
  });

  describe('processors', () => {
    it('run outside any VPC with the store kind, cluster, secret and database in their environment', () => {
      const cluster = logicalIdOf(template, 'AWS::RDS::DBCluster', 'AuroraStoreCluster');
      const attachment = logicalIdOf(
        template,
        'AWS::SecretsManager::SecretTargetAttachment',
        'AuroraStoreClusterSecretAttachment',
      );
      for (const stage of CELL_TOPOLOGY.stages) {
        const fn = logicalIdOf(
          template,
          'AWS::Lambda::Function',
          `${stage.ids.consumer}${stage.ids.processor}Function`,
        );
        const props = templateJson(template).Resources[fn]?.Properties;
        expect(props?.VpcConfig).toBeUndefined();
        const variables = (props?.Environment as { Variables?: Record<string, unknown> } | undefined)
          ?.Variables;
        expect(variables).toMatchObject({
          [LAMBDA_ENV.storeKind]: 'aurora-postgresql',
          [LAMBDA_ENV.auroraClusterArn]: {
            'Fn::Join': ['', ['arn:aws:rds:us-west-1:111122223333:cluster:', { Ref: cluster }]],
          },
          [LAMBDA_ENV.auroraSecretArn]: { Ref: attachment },
          [LAMBDA_ENV.auroraDatabase]: 'invoices',
        });
        expect(Object.keys(variables ?? {})).not.toContain(LAMBDA_ENV.database);
      }
    });

    it('may call the Data API on this cluster with this secret, and nothing else of the store', () => {
      const cluster = logicalIdOf(template, 'AWS::RDS::DBCluster', 'AuroraStoreCluster');
      const attachment = logicalIdOf(
        template,
        'AWS::SecretsManager::SecretTargetAttachment',
        'AuroraStoreClusterSecretAttachment',
      );
      const key = logicalIdOf(template, 'AWS::KMS::Key', 'AuroraStoreKey');
      for (const stage of CELL_TOPOLOGY.stages) {
        // Prepare
        const role = logicalIdOf(
          template,
          'AWS::IAM::Role',
          `${stage.ids.consumer}${stage.ids.processor}Role`,
        );

        // Act
        const statements = statementsOfRole(template, role);
        const storeStatements = statements.filter((s) =>
          actionsOf(s).some((a) => /^(rds-data|secretsmanager):/.test(a) || resourcesOf(s).includes(key)),
        );

        // Assess
        expect(storeStatements).toEqual([
          {
            Action: [...DATA_API_ACTIONS],
            Effect: 'Allow',
            Resource: {
              'Fn::Join': ['', ['arn:aws:rds:us-west-1:111122223333:cluster:', { Ref: cluster }]],
            },
          },
          { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: attachment } },
          {
            Action: 'kms:Decrypt',
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-west-1.amazonaws.com' } },
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [key, 'Arn'] },
          },
        ]);
        const all = statements.flatMap(actionsOf);
        expect(all.filter((a) => a.startsWith('timestream:'))).toEqual([]);
        expect(all).not.toContain('secretsmanager:DescribeSecret');
        const wildcard = statements.filter((s) => resourcesOf(s).includes('*')).flatMap(actionsOf);
        expect(wildcard.sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      }
    });
  });

  describe('migrations', () => {
    it('runs a custom resource carrying the hash of the SQL files, after the whole cluster', () => {
      const cluster = logicalIdOf(template, 'AWS::RDS::DBCluster', 'AuroraStoreCluster');
      const writer = logicalIdOf(template, 'AWS::RDS::DBInstance', 'AuroraStoreClusterWriter');
      template.hasResource('Custom::AuroraMigrations', {
        Properties: {
          ServiceToken: {
            'Fn::GetAtt': [
              logicalIdOf(template, 'AWS::Lambda::Function', 'AuroraMigrationsProviderframeworkonEvent'),
              'Arn',
            ],
          },
          MigrationsHash: migrationsHash(),
          ClusterArn: Match.anyValue(),
          Database: 'invoices',
        },
        DependsOn: Match.arrayWith([cluster, writer]),
      });
      expect(migrationsHash()).toMatch(/^[0-9a-f]{64}$/);
    });

    it('applies them from a function outside the VPC with the processors’ Data API grant', () => {
      const fn = logicalIdOf(template, 'AWS::Lambda::Function', 'AuroraMigrationsFunction');
      const props = templateJson(template).Resources[fn]?.Properties;
      expect(props?.VpcConfig).toBeUndefined();
      expect(props).toMatchObject({ Runtime: 'nodejs24.x', Timeout: 300 });
      const role = logicalIdOf(template, 'AWS::IAM::Role', 'AuroraMigrationsFunctionRole');
      const actions = statementsOfRole(template, role).flatMap(actionsOf);
      expect(actions).toEqual(expect.arrayContaining([...DATA_API_ACTIONS, 'secretsmanager:GetSecretValue']));
      expect(actions.filter((a) => !/^(rds-data|secretsmanager|kms|logs|xray):/.test(a))).toEqual([]);
    });
  });

  describe('readers', () => {
    it('leaves out the Timestream rollups, and keeps the stuck monitor (it reads invoice_state) and its alarms', () => {
      for (const stack of stacks) {
        expect(stack.rollups ?? stack.timestream).toBeUndefined();
        expect(stack.stuckMonitor).toBeDefined();
        expect(stack.alarms.rules.map((r) => r.signal)).toContain('stuckInvoices');
        expect(stack.alarms.rules.map((r) => r.id)).toContain('stuck-monitor-dlq-not-empty');
      }
      // The Lambda DLQ alarm sums every relay and the monitor, as on a Timestream cell.
      const alarm = Object.values(templateJson(template).Resources).find(
        (r) => r.Properties?.AlarmName === 'InvoiceCell-us-west-1-function-dlq-delivery-failures',
      );
      const expression = JSON.stringify(alarm?.Properties?.Metrics);
      expect(expression).toContain('FILL(relay0, 0) + FILL(relay1, 0) + FILL(relay2, 0) + FILL(relay3, 0)');
      expect(expression).toContain('monitor');
    });

    it('publishes the Aurora outputs instead of the Timestream ones, and the readers of both', () => {
      const outputs = Object.keys(templateJson(template).Outputs ?? {});
      expect(outputs).toEqual(expect.arrayContaining(Object.values(AURORA_OUTPUT_IDS)));
      const timestreamOnly = [
        CELL_OUTPUT_IDS.timestreamDatabase,
        CELL_OUTPUT_IDS.timestreamTable,
        CELL_OUTPUT_IDS.timestreamLatestStateTable,
        CELL_OUTPUT_IDS.rejectedDataBucket,
        CELL_OUTPUT_IDS.monthlyReportSpec,
      ];
      for (const id of timestreamOnly) expect(outputs).not.toContain(id);
      expect(outputs).toEqual(
        expect.arrayContaining([
          CELL_OUTPUT_IDS.stuckMonitorDlqUrl,
          CELL_OUTPUT_IDS.monthlyReportBucket,
          CELL_OUTPUT_IDS.monthlyReportTopicArn,
          CELL_OUTPUT_IDS.monthlyReportFunctionName,
          CELL_OUTPUT_IDS.monthlyReportDlqUrl,
        ]),
      );
      for (const stage of CELL_TOPOLOGY.stages) {
        expect(outputs).toEqual(expect.arrayContaining(Object.values(stageOutputIds(stage))));
      }
    });
  });

  describe('AwsSolutionsChecks', () => {
    it('reports no unacknowledged error or warning on any Aurora cell', () => {
      for (const stack of stacks) {
        const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
        const findings = report.violations.map(
          (v) =>
            `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
        );
        expect({ cell: stack.cell.name, findings }).toEqual({ cell: stack.cell.name, findings: [] });
      }
    });

    it('acknowledges exactly the documented rules, each with a specific written reason', () => {
      for (const stack of stacks) {
        const acknowledgments = acknowledgmentsOf(stack);
        expect(acknowledgments.map((a) => `${a.at} ${a.id}`).sort()).toEqual(
          [...AURORA_ACKNOWLEDGMENTS].sort(),
        );
        for (const a of acknowledgments) expect(a.reason.length, `${a.at} ${a.id}`).toBeGreaterThan(60);
      }
    });
  });
});

describe('CellStack store choice', () => {
  it('synthesizes every catalog cell on Timestream by default, with no VPC or RDS resource', () => {
    const { stacks, templates } = scratch.synth({});
    expect(stacks.map((s) => [s.cell.name, s.storeKind])).toEqual(
      DEFAULT_CATALOG.map((c) => [c.name, 'timestream']),
    );
    for (const t of templates.values()) {
      const types = Object.keys(countsOf(t));
      expect(types.filter((type) => /^AWS::(RDS|EC2|SecretsManager)::/.test(type))).toEqual([]);
      expect(logicalIdsOfType(t, 'AWS::Timestream::Table')).toHaveLength(3);
    }
  });

  it('refuses us-west-1 on Timestream, naming the region and Timestream', () => {
    expect(() => scratch.synth({ cells: 'us-west-1' })).toThrow(
      'cell "us-west-1" cannot be deployed: region us-west-1 does not offer Timestream for LiveAnalytics',
    );
    expect(() => scratch.synth({ cells: 'us-west-1', store: 'timestream' })).toThrow(
      /region us-west-1 does not offer Timestream for LiveAnalytics/,
    );
  });

  it('takes the store from the catalog entry of a cell', () => {
    const catalog = [
      { name: 'east', region: 'us-east-1' },
      { name: 'west', region: 'us-west-1', store: 'aurora-postgresql' },
    ] as const;
    const { stacks } = scratch.synth({}, catalog);
    expect(stacks.map((s) => [s.cell.name, s.storeKind])).toEqual([
      ['east', 'timestream'],
      ['west', 'aurora-postgresql'],
    ]);
  });
});
