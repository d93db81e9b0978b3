import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { CellTopology } from '../cells/topology.js';
import { LAMBDA_ENV } from '../consumers/aws/lambda/lambda-env.js';
import {
  ACU_LIMITS,
  AURORA_BACKUP_RETENTION,
  AURORA_DATABASE_NAME,
  AURORA_ENGINE_VERSION,
  AURORA_MASTER_USER,
  AURORA_ROTATION_INTERVAL,
  type AuroraCapacity,
  auroraCapacity,
} from './defaults/aurora-defaults.js';
import { cellKeyProps } from './defaults/key-defaults.js';
import { DEFAULT_LOG_RETENTION, encryptedLogGroupProps } from './defaults/log-group-defaults.js';
import { RETAINED } from './defaults/retained.js';
import type { ProcessorStoreTarget } from './processor-store.js';

export interface AuroraStoreProps {
  /** Max capacity is derived from it (`auroraCapacity`). */
  readonly topology: CellTopology;
  /** Encrypts the VPC flow logs. */
  readonly logsKey: kms.IKey;
  readonly logRetention?: logs.RetentionDays;
  /** @default auroraCapacity(topology) */
  readonly capacity?: AuroraCapacity;
}

/**
 * The RDS Data API actions a writer needs: statements, batches, transactions
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrdsdataapi.html;
 * all take the cluster ARN as resource).
 */
export const DATA_API_ACTIONS = [
  'rds-data:BatchExecuteStatement',
  'rds-data:BeginTransaction',
  'rds-data:CommitTransaction',
  'rds-data:ExecuteStatement',
  'rds-data:RollbackTransaction',
] as const;

/** What a retained cluster needs to stay in place (see `AuroraStore.retainNetwork`). */
const RETAINED_NETWORK_TYPES: readonly string[] = [
  'AWS::EC2::VPC',
  'AWS::EC2::Subnet',
  'AWS::EC2::SecurityGroup',
  'AWS::RDS::DBSubnetGroup',
  'AWS::SecretsManager::Secret',
  'AWS::SecretsManager::SecretTargetAttachment',
];

function validate(id: string, capacity: AuroraCapacity): void {
  const { minCapacityAcu: min, maxCapacityAcu: max } = capacity;
  const halfStep = (n: number) => Number.isInteger(n * 2);
  if (!halfStep(min) || min < ACU_LIMITS.min || min > ACU_LIMITS.max) {
    // 0 would turn on auto-pause: the first event after a pause would wait for the resume.
    throw new Error(
      `aurora store ${id}: minCapacityAcu must be a half-ACU step in ${ACU_LIMITS.min}..${ACU_LIMITS.max} (0 would pause the cluster), got ${min}`,
    );
  }
  if (!halfStep(max) || max < min || max > ACU_LIMITS.max) {
    throw new Error(
      `aurora store ${id}: maxCapacityAcu must be a half-ACU step in ${min}..${ACU_LIMITS.max}, got ${max}`,
    );
  }
}

/**
 * The cell's Aurora PostgreSQL Serverless v2 store (DESIGN §2a), for accounts that cannot use
 * Timestream: one cluster with a writer and a reader that scales with it (a failover target in
 * another AZ), the RDS Data API on, so processors write over HTTPS from outside any VPC, and:
 *
 * - a customer-managed key for the storage and the credentials secret;
 * - generated master credentials in Secrets Manager, rotated every 30 days by the single-user
 *   rotation application, which runs in the isolated subnets and reaches Secrets Manager through an
 *   interface endpoint (there is no NAT);
 * - a VPC with isolated subnets only (two AZs, no internet or NAT gateway), flow logs on;
 * - deletion protection, RETAIN (the cluster, its secret, key and network), automated backups kept
 *   35 days, the `postgresql` log exported to CloudWatch Logs, IAM database authentication on.
 *
 * Min capacity stays above 0 so the cluster never pauses; max capacity comes from the topology
 * (`auroraCapacity`). Tables are created by `AuroraMigrations` at deploy time.
 *
 * @example
 * const store = new AuroraStore(this, 'AuroraStore', { topology, logsKey });
 * store.grantWrite(processor.role);
 */
export class AuroraStore extends Construct implements ProcessorStoreTarget {
  readonly storeKind = 'aurora-postgresql' as const;
  /** The Data API actions are all resource-scoped: nothing is granted on `*`. */
  readonly unscopedActions: readonly string[] = [];
  readonly key: kms.Key;
  readonly vpc: ec2.Vpc;
  readonly secretsManagerEndpoint: ec2.InterfaceVpcEndpoint;
  readonly rotationSecurityGroup: ec2.SecurityGroup;
  readonly cluster: rds.DatabaseCluster;
  readonly secret: secretsmanager.ISecret;
  readonly capacity: AuroraCapacity;
  readonly databaseName = AURORA_DATABASE_NAME;

  constructor(scope: Construct, id: string, props: AuroraStoreProps) {
    super(scope, id);
    this.capacity = props.capacity ?? auroraCapacity(props.topology);
    validate(id, this.capacity);

    this.key = new kms.Key(
      this,
      'Key',
      cellKeyProps('Aurora PostgreSQL storage and credentials secret of an invoice cell'),
    );
    this.vpc = this.addVpc(props);
    // Closed by default (not "open to the VPC CIDR"): only the rotation function may call it.
    this.secretsManagerEndpoint = this.vpc.addInterfaceEndpoint('SecretsManagerEndpoint', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      privateDnsEnabled: true,
      open: false,
    });
    this.cluster = this.addCluster();
    const secret = this.cluster.secret;
    if (!secret) throw new Error(`aurora store ${id}: the cluster has no credentials secret`);
    this.secret = secret;
    this.rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: this.vpc,
      description:
        'Secret rotation function of the Aurora store: to the cluster and the Secrets Manager endpoint',
    });
    // The rotation function runs in the isolated subnets: it reaches Secrets Manager through the
    // endpoint (the rotation adds its own rule to the cluster's security group).
    this.secretsManagerEndpoint.connections.allowDefaultPortFrom(
      this.rotationSecurityGroup,
      'Secret rotation function to Secrets Manager',
    );
    this.cluster.addRotationSingleUser({
      automaticallyAfter: AURORA_ROTATION_INTERVAL,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      endpoint: this.secretsManagerEndpoint,
      securityGroup: this.rotationSecurityGroup,
    });
    this.retainNetwork();
  }

  /** Two AZs (Aurora needs subnets in two), isolated subnets only, no NAT, flow logs to CloudWatch. */
  private addVpc(props: AuroraStoreProps): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      // Nothing is placed in the default security group: the cluster, the rotation function and the
      // endpoint each have their own. Restricting it would take a custom-resource Lambda per cell.
      restrictDefaultSecurityGroup: false,
    });
    const flowLogs = new logs.LogGroup(
      this,
      'FlowLogs',
      encryptedLogGroupProps(props.logsKey, props.logRetention ?? DEFAULT_LOG_RETENTION),
    );
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    return vpc;
  }

  private addCluster(): rds.DatabaseCluster {
    const { minCapacityAcu, maxCapacityAcu } = this.capacity;
    const cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: AURORA_ENGINE_VERSION }),
      credentials: rds.Credentials.fromGeneratedSecret(AURORA_MASTER_USER, { encryptionKey: this.key }),
      defaultDatabaseName: AURORA_DATABASE_NAME,
      writer: rds.ClusterInstance.serverlessV2('Writer', {
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
      }),
      // Promotion tier 1 and scaling with the writer: a failover lands on a warm instance in the
      // other AZ in seconds instead of waiting for a new writer, well within the 2-minute promise.
      readers: [
        rds.ClusterInstance.serverlessV2('Reader', {
          scaleWithWriter: true,
          publiclyAccessible: false,
          autoMinorVersionUpgrade: true,
        }),
      ],
      serverlessV2MinCapacity: minCapacityAcu,
      serverlessV2MaxCapacity: maxCapacityAcu,
      enableDataApi: true,
      storageEncryptionKey: this.key,
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      iamAuthentication: true,
      deletionProtection: true,
      removalPolicy: RETAINED,
      backup: { retention: AURORA_BACKUP_RETENTION },
      cloudwatchLogsExports: ['postgresql'],
      copyTagsToSnapshot: true,
    });
    Validations.of(cluster).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason:
        'The cluster keeps the PostgreSQL default port: it has no route to or from the internet (isolated subnets, ' +
        'no NAT), its security group admits only the rotation function, and the processors reach it through the ' +
        'RDS Data API (HTTPS, IAM-authorized), never through the port, so a non-default port hides nothing.',
    });
    return cluster;
  }

  /**
   * The cluster is retained; so is what it cannot live without: its secret, subnet group, security
   * group, the VPC and its subnets. A stack delete would otherwise try to delete them under a cluster
   * that stays, and fail half-way. Instances, route tables, the endpoint, flow logs and rotation are
   * replaceable and go with the stack.
   */
  private retainNetwork(): void {
    const kept = new Set(RETAINED_NETWORK_TYPES);
    // The VPC's children include the endpoint's security group; the cluster's its own one.
    for (const child of [...this.vpc.node.findAll(), ...this.cluster.node.findAll()]) {
      if (!CfnResource.isCfnResource(child) || !kept.has(child.cfnResourceType)) continue;
      child.applyRemovalPolicy(RETAINED);
    }
  }

  get clusterArn(): string {
    return this.cluster.clusterArn;
  }

  /** The processor's (and the migrations') environment: cluster, secret and database. */
  get processorEnvironment(): Readonly<Record<string, string>> {
    return {
      [LAMBDA_ENV.storeKind]: this.storeKind,
      [LAMBDA_ENV.auroraClusterArn]: this.clusterArn,
      [LAMBDA_ENV.auroraSecretArn]: this.secret.secretArn,
      [LAMBDA_ENV.auroraDatabase]: this.databaseName,
    };
  }

  /**
   * The Data API on this cluster with this secret, nothing else: the five `rds-data` actions on the
   * cluster ARN, `secretsmanager:GetSecretValue` on the secret (the Data API reads it with the
   * caller's identity) and `kms:Decrypt` of the store key when Secrets Manager asks for it.
   * `DatabaseCluster.grantDataApiAccess` would add `DescribeSecret` and the key grant of
   * `secret.grantRead`; this grants exactly what a statement needs.
   */
  grantWrite(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: [...DATA_API_ACTIONS],
      resourceArns: [this.clusterArn],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [this.secret.secretArn],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt'],
      resourceArns: [this.key.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
      },
    });
    return grant;
  }
}
