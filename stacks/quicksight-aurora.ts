import { Aws, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as quicksight from 'aws-cdk-lib/aws-quicksight';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { CellTopology } from '../cells/topology.js';
import { buildDashboards, type Dashboard } from '../dashboards/panels/panels.js';
import {
  addQuickSightPanelAssets,
  assertQuickSightRegion,
  quickSightPermissions,
  quickSightPhysicalId,
  validateQuickSightPrincipals,
} from './quicksight-assets.js';
import { auroraPanelSql } from './quicksight-aurora-sql.js';
import { QUICKSIGHT_READ_ACTIONS, quickSightPanels } from './quicksight-definition.js';

/** What QuickSight needs of the Aurora store (`AuroraStore` has it). */
export interface QuickSightAuroraTarget {
  readonly vpc: ec2.IVpc;
  readonly cluster: rds.IDatabaseCluster;
  /** The cluster's generated credentials (`username`, `password` JSON keys). */
  readonly secret: secretsmanager.ISecret;
  /** Encrypts the secret. */
  readonly key: kms.IKey;
  readonly databaseName: string;
}

export interface QuickSightAuroraDashboardsProps {
  readonly topology: CellTopology;
  readonly store: QuickSightAuroraTarget;
  readonly cellName: string;
  /** QuickSight users or groups that may view the dashboards and reuse the data sets (≥ 1). */
  readonly principals: readonly string[];
  /** The window every data set covers. @default 30 */
  readonly lookbackDays?: number;
  /** @default buildDashboards(topology) */
  readonly dashboards?: readonly Dashboard[];
  /**
   * The role QuickSight reads Secrets Manager secrets with; it exists once a QuickSight admin has
   * granted QuickSight access to Secrets Manager
   * (https://docs.aws.amazon.com/quicksight/latest/user/secrets-manager-integration.html).
   * @default 'aws-quicksight-secretsmanager-role-v0'
   */
  readonly secretsRoleName?: string;
}

/** The subnets QuickSight's network interfaces go in: the cluster's isolated ones. */
const ISOLATED: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

/**
 * The cluster's port as the literal the template gives it. `clusterEndpoint.port` is
 * `Fn::GetAtt Endpoint.Port`, a string attribute: QuickSight's `Port` is a Number (cfn-lint E1010,
 * and the resource's schema is strict), so the data source and the rules use the literal.
 */
export function clusterPort(cluster: rds.IDatabaseCluster): number {
  const resource = cluster.node.defaultChild;
  const port = resource instanceof rds.CfnDBCluster ? resource.port : undefined;
  if (port === undefined || Token.isUnresolved(port)) {
    throw new Error(`quicksight aurora: the cluster needs a literal port, got ${String(port)}`);
  }
  return port;
}

/**
 * The executive, operations and finance views in QuickSight for an Aurora PostgreSQL cell (behind
 * `-c quicksight=true`), the same three dashboards as a Timestream cell's: only the data source and
 * each data set's SQL differ (`auroraPanelSql`, from `renderPostgresqlSql`); the panels, columns and
 * dashboard definitions are shared (`quicksight-assets.ts`, `quicksight-definition.ts`).
 *
 * The cluster has no public endpoint, so QuickSight reaches it through a VPC connection:
 *
 * - `AWS::QuickSight::VPCConnection` in the cluster's isolated subnets (two AZs; the API wants at
 *   least two subnets) with its own security group, and a role QuickSight assumes to manage the
 *   connection's network interfaces (the five EC2 actions of
 *   https://docs.aws.amazon.com/quicksight/latest/user/vpc-creating-a-connection-in-quicksight-cli.html;
 *   resource: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-quicksight-vpcconnection.html).
 *   Creating interfaces is limited to those subnets and that group; the two `Describe*` actions
 *   take no resource.
 * - The QuickSight group may only open the cluster port to the cluster's group, and admits all TCP
 *   from the cluster's group only: QuickSight's guide asks for that inbound rule because its
 *   interfaces have not always been stateful
 *   (https://docs.aws.amazon.com/quicksight/latest/user/vpc-security-groups.html,
 *   https://docs.aws.amazon.com/quicksight/latest/user/vpc-inbound-rules.html).
 * - The cluster's group gains one rule: the cluster port from the QuickSight group.
 *
 * The data source (`AURORA_POSTGRESQL`, `AuroraPostgreSqlParameters` Host/Port/Database:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-quicksight-datasource-aurorapostgresqlparameters.html)
 * points at the writer endpoint with TLS on, and signs in with the cluster's rotated secret
 * (`Credentials.SecretArn`:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-quicksight-datasource-datasourcecredentials.html),
 * so a rotation never breaks it. QuickSight reads secrets with its Secrets Manager role
 * (https://docs.aws.amazon.com/quicksight/latest/user/secrets-manager-integration-api.html): this
 * construct gives that role `GetSecretValue` on this secret and `kms:Decrypt` of the store key
 * through Secrets Manager only; the secret and key are in this account and their policies (no
 * resource policy; the key's default policy) let IAM policies grant that.
 *
 * @example
 * new QuickSightAuroraDashboards(this, 'QuickSight', { topology, store: aurora, cellName, principals });
 */
export class QuickSightAuroraDashboards extends Construct {
  readonly securityGroup: ec2.SecurityGroup;
  readonly vpcConnectionRole: iam.Role;
  readonly vpcConnection: quicksight.CfnVPCConnection;
  readonly secretReadPolicy: iam.Policy;
  readonly dataSource: quicksight.CfnDataSource;
  /** Data set of each panel, by panel id. */
  readonly dataSets: ReadonlyMap<string, quicksight.CfnDataSet>;
  /** Dashboard of each view, by view id. */
  readonly dashboards: ReadonlyMap<string, quicksight.CfnDashboard>;

  constructor(scope: Construct, id: string, props: QuickSightAuroraDashboardsProps) {
    super(scope, id);
    validateQuickSightPrincipals(props.principals);
    assertQuickSightRegion(this);
    const { store } = props;
    const account = Stack.of(this).account;
    const views = props.dashboards ?? buildDashboards(props.topology);
    const items = quickSightPanels(views);

    this.securityGroup = this.addSecurityGroup(store);
    this.vpcConnectionRole = this.addVpcConnectionRole(store);
    this.vpcConnection = new quicksight.CfnVPCConnection(this, 'VpcConnection', {
      awsAccountId: account,
      vpcConnectionId: quickSightPhysicalId(this, 'aurora-vpc'),
      name: `Invoice cell ${props.cellName} (Aurora VPC)`,
      roleArn: this.vpcConnectionRole.roleArn,
      subnetIds: store.vpc.selectSubnets(ISOLATED).subnetIds,
      securityGroupIds: [this.securityGroup.securityGroupId],
    });
    this.secretReadPolicy = this.addSecretReadPolicy(props);

    this.dataSource = new quicksight.CfnDataSource(this, 'DataSource', {
      awsAccountId: account,
      dataSourceId: quickSightPhysicalId(this, 'aurora-postgresql'),
      name: `Invoice cell ${props.cellName} (Aurora PostgreSQL)`,
      type: 'AURORA_POSTGRESQL',
      dataSourceParameters: {
        auroraPostgreSqlParameters: {
          host: store.cluster.clusterEndpoint.hostname,
          port: clusterPort(store.cluster),
          database: store.databaseName,
        },
      },
      credentials: { secretArn: store.secret.secretArn },
      vpcConnectionProperties: { vpcConnectionArn: this.vpcConnection.attrArn },
      sslProperties: { disableSsl: false },
      permissions: quickSightPermissions(props.principals, QUICKSIGHT_READ_ACTIONS.dataSource),
    });
    // QuickSight checks the connection when the source is created: the secret must be readable.
    this.dataSource.node.addDependency(this.secretReadPolicy);

    const assets = addQuickSightPanelAssets(this, {
      cellName: props.cellName,
      principals: props.principals,
      views,
      items,
      dataSourceArn: this.dataSource.attrArn,
      sqlOf: (item) =>
        auroraPanelSql(item.query, {
          topology: props.topology,
          cell: props.cellName,
          lookbackDays: props.lookbackDays ?? 30,
        }),
    });
    this.dataSets = assets.dataSets;
    this.dashboards = assets.dashboards;
  }

  /** QuickSight's group: out to the cluster port, in from the cluster only; one rule on the cluster. */
  private addSecurityGroup(store: QuickSightAuroraTarget): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: store.vpc,
      description: 'QuickSight VPC connection of the invoice cell: to the Aurora cluster port only',
      allowAllOutbound: false,
    });
    const port = clusterPort(store.cluster);
    // The cluster-side rule is this construct's own L1 resource, not `cluster.connections.allow*`:
    // that one would live under the cluster's security group and add a DependsOn to its instances.
    store.cluster.connections.securityGroups.forEach((clusterGroup, i) => {
      new ec2.CfnSecurityGroupIngress(this, i === 0 ? 'ClusterIngress' : `ClusterIngress${i + 1}`, {
        groupId: clusterGroup.securityGroupId,
        sourceSecurityGroupId: group.securityGroupId,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description: 'QuickSight VPC connection to the cluster',
      });
      group.addEgressRule(clusterGroup, ec2.Port.tcp(port), 'QuickSight VPC connection to the cluster');
      group.addIngressRule(
        clusterGroup,
        ec2.Port.allTcp(),
        'Return traffic from the Aurora cluster (QuickSight network interfaces)',
      );
    });
    return group;
  }

  /** The role QuickSight assumes to create, change and delete the connection's interfaces. */
  private addVpcConnectionRole(store: QuickSightAuroraTarget): iam.Role {
    const stack = Stack.of(this);
    // Pseudo parameters, not the stack's env: the cdk-nag finding id below stays the same whatever
    // the env (a concrete account would otherwise be part of it).
    const ec2Arn = (resource: string) =>
      `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
    const subnetArns = store.vpc
      .selectSubnets(ISOLATED)
      .subnetIds.map((subnetId) => ec2Arn(`subnet/${subnetId}`));
    const interfaces = ec2Arn('network-interface/*');
    const groupArn = (group: ec2.ISecurityGroup) => ec2Arn(`security-group/${group.securityGroupId}`);
    const ownGroup = () => this.securityGroup;
    const role = new iam.Role(this, 'VpcConnectionRole', {
      assumedBy: new iam.ServicePrincipal('quicksight.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'QuickSight manages the network interfaces of the invoice cell Aurora VPC connection',
      inlinePolicies: {
        NetworkInterfaces: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['ec2:CreateNetworkInterface'],
              resources: [interfaces, ...subnetArns, groupArn(ownGroup())],
            }),
            new iam.PolicyStatement({
              actions: ['ec2:ModifyNetworkInterfaceAttribute'],
              resources: [interfaces, groupArn(ownGroup())],
            }),
            new iam.PolicyStatement({ actions: ['ec2:DeleteNetworkInterface'], resources: [interfaces] }),
            new iam.PolicyStatement({
              actions: ['ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups'],
              resources: ['*'],
            }),
          ],
        }),
      },
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ec2:DescribeSubnets and ec2:DescribeSecurityGroups (which QuickSight calls to set up the VPC connection) ' +
        'support no resource-level permissions, so they are granted on "*"; they only read network metadata.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]',
      reason:
        "QuickSight creates the VPC connection's network interfaces itself, so their ids are unknown here: the " +
        'interface actions take network-interface/* in this account and region, and creation is further bound to ' +
        "the cluster's isolated subnets and the QuickSight security group.",
    });
    return role;
  }

  /** `GetSecretValue` on the cluster secret and its key's `Decrypt` via Secrets Manager only. */
  private addSecretReadPolicy(props: QuickSightAuroraDashboardsProps): iam.Policy {
    const { store } = props;
    const secretsRole = iam.Role.fromRoleName(
      this,
      'SecretsRole',
      props.secretsRoleName ?? 'aws-quicksight-secretsmanager-role-v0',
    );
    return new iam.Policy(this, 'ReadClusterSecret', {
      statements: [
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [store.secret.secretArn],
        }),
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [store.key.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
          },
        }),
      ],
      roles: [secretsRole],
    });
  }
}
