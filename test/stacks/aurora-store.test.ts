import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTopology, CELL_TOPOLOGY, STAGE_SETTINGS } from '../../cells/topology.js';
import { LAMBDA_ENV } from '../../consumers/aws/lambda/lambda-env.js';
import { AuroraStore, DATA_API_ACTIONS } from '../../stacks/aurora-store.js';
import { AURORA_ENGINE_VERSION, auroraCapacity } from '../../stacks/defaults/aurora-defaults.js';
import { logicalIdOf, logicalIdsOfType, templateJson } from './cell-fixture.js';
import { synthScratch, TEST_ACCOUNT } from './support/aurora-fixture.js';

/**
 * Logical ids of the Aurora store's stateful resources in a us-west-1 cell. Changing one makes
 * CloudFormation create a new cluster, secret, key or network and orphan the retained old one:
 * update only on purpose. (The secret's id embeds the stack path: `DatabaseSecret` names it so.)
 */
const PINNED_AURORA_LOGICAL_IDS = {
  cluster: 'AuroraStoreCluster346D8D11',
  secret: 'InvoiceCelluswest1AuroraStoreClusterSecret00D42B833fdaad7efa858a3daf9490cf0a702aeb',
  secretAttachment: 'AuroraStoreClusterSecretAttachmentA764404A',
  key: 'AuroraStoreKey6CC869E3',
  vpc: 'AuroraStoreVpc6629E0A2',
  subnetGroup: 'AuroraStoreClusterSubnetsC365ACAF',
} as const;

const scratch = synthScratch();
afterAll(() => scratch.cleanup());

describe('AuroraStore', () => {
  let template: Template;
  let ids: { cluster: string; key: string; secret: string; vpc: string };

  beforeAll(() => {
    const found = scratch
      .synth({ cells: 'us-west-1', store: 'aurora-postgresql' })
      .templates.get('us-west-1');
    if (!found) throw new Error('us-west-1 was not synthesized');
    template = found;
    ids = {
      cluster: logicalIdOf(template, 'AWS::RDS::DBCluster', 'AuroraStoreCluster'),
      key: logicalIdOf(template, 'AWS::KMS::Key', 'AuroraStoreKey'),
      secret: logicalIdsOfType(template, 'AWS::SecretsManager::Secret')[0] as string,
      vpc: logicalIdOf(template, 'AWS::EC2::VPC', 'AuroraStoreVpc'),
    };
  });

  describe('logical ids', () => {
    it('keeps the pinned logical ids of the cluster, its secret, key, VPC and subnet group', () => {
      const resources = templateJson(template).Resources;
      for (const [what, id] of Object.entries(PINNED_AURORA_LOGICAL_IDS)) {
        expect({ what, type: resources[id]?.Type }).toEqual({ what, type: expect.any(String) });
      }
      expect(ids).toEqual({
        cluster: PINNED_AURORA_LOGICAL_IDS.cluster,
        key: PINNED_AURORA_LOGICAL_IDS.key,
        secret: PINNED_AURORA_LOGICAL_IDS.secret,
        vpc: PINNED_AURORA_LOGICAL_IDS.vpc,
      });
    });
  });

  describe('cluster', () => {
    it('runs Aurora PostgreSQL 17.9 with a Serverless v2 writer and a reader that scales with it', () => {
      expect(AURORA_ENGINE_VERSION.auroraPostgresFullVersion).toBe('17.9');
      template.hasResourceProperties('AWS::RDS::DBCluster', {
        Engine: 'aurora-postgresql',
        EngineVersion: '17.9',
        DatabaseName: 'invoices',
      });
      template.resourcePropertiesCountIs(
        'AWS::RDS::DBInstance',
        {
          DBInstanceClass: 'db.serverless',
          DBClusterIdentifier: { Ref: ids.cluster },
          PubliclyAccessible: false,
        },
        2,
      );
      template.hasResourceProperties('AWS::RDS::DBInstance', { PromotionTier: 0 });
      template.hasResourceProperties('AWS::RDS::DBInstance', { PromotionTier: 1 });
    });

    it('never pauses (min capacity above 0) and takes its max capacity from the topology', () => {
      const { minCapacityAcu, maxCapacityAcu } = auroraCapacity(CELL_TOPOLOGY);
      expect(minCapacityAcu).toBeGreaterThan(0);
      template.hasResourceProperties('AWS::RDS::DBCluster', {
        ServerlessV2ScalingConfiguration: {
          MinCapacity: minCapacityAcu,
          MaxCapacity: maxCapacityAcu,
          SecondsUntilAutoPause: Match.absent(),
        },
      });
      expect({ minCapacityAcu, maxCapacityAcu }).toEqual({ minCapacityAcu: 1, maxCapacityAcu: 8 });
    });

    it('enables the RDS Data API and IAM database authentication', () => {
      template.hasResourceProperties('AWS::RDS::DBCluster', {
        EnableHttpEndpoint: true,
        EnableIAMDatabaseAuthentication: true,
      });
    });

    it('encrypts the storage and the credentials secret with the store customer-managed key', () => {
      template.hasResourceProperties('AWS::RDS::DBCluster', {
        StorageEncrypted: true,
        KmsKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] },
      });
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        KmsKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] },
        GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"invoice_admin"}' }),
      });
      expect(templateJson(template).Resources[ids.key]?.Properties?.EnableKeyRotation).toBe(true);
    });

    it('is protected from deletion, retained, backed up for 35 days and exports its postgresql log', () => {
      template.hasResource('AWS::RDS::DBCluster', {
        DeletionPolicy: 'RetainExceptOnCreate',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({
          DeletionProtection: true,
          BackupRetentionPeriod: 35,
          EnableCloudwatchLogsExports: ['postgresql'],
        }),
      });
    });

    it('retains the key, the secret and the network a retained cluster cannot live without', () => {
      const resources = templateJson(template).Resources;
      for (const id of Object.values(PINNED_AURORA_LOGICAL_IDS)) {
        expect({ id, deletion: resources[id]?.DeletionPolicy }).toEqual({
          id,
          deletion: 'RetainExceptOnCreate',
        });
      }
      for (const id of logicalIdsOfType(template, 'AWS::EC2::Subnet')) {
        expect(resources[id]?.DeletionPolicy).toBe('RetainExceptOnCreate');
      }
    });
  });

  describe('network', () => {
    it('places the cluster in isolated subnets of two AZs, with no NAT, internet gateway or default route', () => {
      const subnets = logicalIdsOfType(template, 'AWS::EC2::Subnet');
      expect(subnets).toHaveLength(2);
      template.hasResourceProperties('AWS::RDS::DBSubnetGroup', {
        SubnetIds: subnets.map((id) => ({ Ref: id })),
      });
      for (const id of subnets) {
        template.hasResourceProperties('AWS::EC2::Subnet', {
          MapPublicIpOnLaunch: false,
          AvailabilityZone: { 'Fn::Select': [Match.anyValue(), { 'Fn::GetAZs': '' }] },
        });
        expect(id).toMatch(/Isolated/);
      }
      template.resourceCountIs('AWS::EC2::NatGateway', 0);
      template.resourceCountIs('AWS::EC2::InternetGateway', 0);
      template.resourceCountIs('AWS::EC2::Route', 0);
      template.resourceCountIs('AWS::EC2::EIP', 0);
    });

    it('logs all VPC traffic to an encrypted log group', () => {
      template.hasResourceProperties('AWS::EC2::FlowLog', {
        ResourceId: { Ref: ids.vpc },
        ResourceType: 'VPC',
        TrafficType: 'ALL',
        LogDestinationType: 'cloud-watch-logs',
      });
    });

    it('rotates the secret every 30 days from the isolated subnets, through a Secrets Manager endpoint', () => {
      const endpoint = logicalIdOf(template, 'AWS::EC2::VPCEndpoint', 'AuroraStoreVpcSecretsManagerEndpoint');
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: 'com.amazonaws.us-west-1.secretsmanager',
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        VpcId: { Ref: ids.vpc },
      });
      template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
      });
      template.hasResourceProperties('AWS::Serverless::Application', {
        Parameters: Match.objectLike({
          endpoint: { 'Fn::Join': ['', Match.arrayWith([{ Ref: endpoint }])] },
          vpcSubnetIds: Match.anyValue(),
          kmsKeyArn: { 'Fn::GetAtt': [ids.key, 'Arn'] },
        }),
      });
    });

    it('admits HTTPS to the endpoint from the rotation function only', () => {
      const rotationSg = logicalIdOf(template, 'AWS::EC2::SecurityGroup', 'AuroraStoreRotationSecurityGroup');
      const endpointSg = logicalIdOf(
        template,
        'AWS::EC2::SecurityGroup',
        'AuroraStoreVpcSecretsManagerEndpointSecurityGroup',
      );
      const resources = templateJson(template).Resources;
      expect(resources[endpointSg]?.Properties?.SecurityGroupIngress).toBeUndefined();
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: { 'Fn::GetAtt': [endpointSg, 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [rotationSg, 'GroupId'] },
        FromPort: 443,
        ToPort: 443,
      });
      // No security group of the cell admits anything from an address range.
      const ingress = Object.values(templateJson(template).Resources).flatMap((r) =>
        r.Type === 'AWS::EC2::SecurityGroupIngress'
          ? [r.Properties]
          : r.Type === 'AWS::EC2::SecurityGroup'
            ? ((r.Properties?.SecurityGroupIngress as Record<string, unknown>[] | undefined) ?? [])
            : [],
      );
      expect(ingress.length).toBeGreaterThan(0);
      for (const rule of ingress) expect(rule?.CidrIp ?? rule?.CidrIpv6).toBeUndefined();
    });
  });

  describe('grantWrite', () => {
    it('grants the Data API on the cluster, GetSecretValue on the secret and Decrypt via Secrets Manager, nothing else', () => {
      // Prepare
      const stack = new Stack(scratch.app(), 'S', { env: { region: 'us-west-1', account: TEST_ACCOUNT } });
      const store = new AuroraStore(stack, 'AuroraStore', {
        topology: CELL_TOPOLOGY,
        logsKey: new kms.Key(stack, 'LogsKey'),
      });
      const role = new iam.Role(stack, 'Writer', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });

      // Act
      store.grantWrite(role);
      const t = Template.fromStack(stack);

      // Assess
      const cluster = logicalIdOf(t, 'AWS::RDS::DBCluster', 'AuroraStoreCluster');
      const attachment = logicalIdOf(
        t,
        'AWS::SecretsManager::SecretTargetAttachment',
        'AuroraStoreClusterSecretAttachment',
      );
      const key = logicalIdOf(t, 'AWS::KMS::Key', 'AuroraStoreKey');
      const writerPolicy = logicalIdsOfType(t, 'AWS::IAM::Policy').find((id) =>
        id.startsWith('WriterDefaultPolicy'),
      );
      expect(templateJson(t).Resources[writerPolicy as string]?.Properties?.PolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Action: [...DATA_API_ACTIONS],
            Effect: 'Allow',
            Resource: {
              'Fn::Join': ['', [`arn:aws:rds:us-west-1:${TEST_ACCOUNT}:cluster:`, { Ref: cluster }]],
            },
          },
          { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: attachment } },
          {
            Action: 'kms:Decrypt',
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-west-1.amazonaws.com' } },
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [key, 'Arn'] },
          },
        ],
      });
    });

    it('names the cluster, secret and database in the processor environment', () => {
      const stack = new Stack(scratch.app(), 'S', { env: { region: 'us-west-1', account: TEST_ACCOUNT } });
      const store = new AuroraStore(stack, 'AuroraStore', {
        topology: CELL_TOPOLOGY,
        logsKey: new kms.Key(stack, 'LogsKey'),
      });
      expect(Object.keys(store.processorEnvironment).sort()).toEqual(
        [
          LAMBDA_ENV.storeKind,
          LAMBDA_ENV.auroraClusterArn,
          LAMBDA_ENV.auroraSecretArn,
          LAMBDA_ENV.auroraDatabase,
        ].sort(),
      );
      expect(store.processorEnvironment[LAMBDA_ENV.storeKind]).toBe('aurora-postgresql');
      expect(store.unscopedActions).toEqual([]);
    });
  });

  describe('constructor', () => {
    const newStore = (capacity: { minCapacityAcu: number; maxCapacityAcu: number }) => () => {
      const stack = new Stack(scratch.app(), 'S', { env: { region: 'us-west-1', account: TEST_ACCOUNT } });
      return new AuroraStore(stack, 'AuroraStore', {
        topology: CELL_TOPOLOGY,
        logsKey: new kms.Key(stack, 'LogsKey'),
        capacity,
      });
    };

    it('refuses a min capacity of 0 (auto-pause), showing the value', () => {
      expect(newStore({ minCapacityAcu: 0, maxCapacityAcu: 8 })).toThrow(
        'aurora store AuroraStore: minCapacityAcu must be a half-ACU step in 0.5..256 (0 would pause the cluster), got 0',
      );
    });

    it('refuses a max capacity above 256 ACU or below the min, showing the value', () => {
      expect(newStore({ minCapacityAcu: 1, maxCapacityAcu: 300 })).toThrow(
        'maxCapacityAcu must be a half-ACU step in 1..256, got 300',
      );
      expect(newStore({ minCapacityAcu: 4, maxCapacityAcu: 2 })).toThrow(
        'maxCapacityAcu must be a half-ACU step in 4..256, got 2',
      );
    });
  });
});

describe('auroraCapacity', () => {
  it('sizes max capacity from the total processor concurrency, in half-ACU steps', () => {
    // Prepare: every stage at twice the default concurrency → 400 writers
    const stages = CELL_TOPOLOGY.stages.map((s) => ({ ...s, maxConcurrency: s.maxConcurrency * 2 }));

    // Act
    const capacity = auroraCapacity({ ...CELL_TOPOLOGY, stages });

    // Assess
    expect(capacity).toEqual({ minCapacityAcu: 1, maxCapacityAcu: 16 });
    expect(auroraCapacity(buildTopology({}, STAGE_SETTINGS.slice(0, 1))).maxCapacityAcu).toBe(2);
  });
});
