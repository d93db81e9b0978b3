import { Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../cells/topology.js';
import { DASHBOARDS } from '../../dashboards/panels/panels.js';
import { renderPostgresqlSql } from '../../dashboards/renderers/postgresql-sql.js';
import type { CellStack } from '../../stacks/cell-stack.js';
import { QuickSightAuroraDashboards } from '../../stacks/quicksight-aurora.js';
import { auroraPanelSql } from '../../stacks/quicksight-aurora-sql.js';
import {
  QUICKSIGHT_READ_ACTIONS,
  type QuickSightPanel,
  quickSightPanels,
  timestreamColumns,
} from '../../stacks/quicksight-definition.js';
import { logicalIdOf, logicalIdsOfType, templateJson } from './cell-fixture.js';
import { synthScratch, TEST_ACCOUNT } from './support/aurora-fixture.js';

const PRINCIPALS = [
  `arn:aws:quicksight:us-east-1:${TEST_ACCOUNT}:user/default/ops`,
  `arn:aws:quicksight:us-east-1:${TEST_ACCOUNT}:group/default/finance`,
];
const QUICKSIGHT_ON = { quicksight: 'true', quicksightPrincipals: PRINCIPALS.join(',') } as const;
/** An Aurora cell in a region with QuickSight (us-west-1 has none: see the last test). */
const CELL = 'us-east-2';
const AURORA = { cells: CELL, store: 'aurora-postgresql' } as const;

const scratch = synthScratch();
afterAll(() => scratch.cleanup());

/** Panels whose query QuickSight draws, counted without the module under test. */
const STORE_PANELS = DASHBOARDS.flatMap((d) => d.panels).filter(
  (p) => p.query.source === 'sla' || (p.query.source === 'records' && p.query.measure !== 'latency'),
);
const ITEMS: readonly QuickSightPanel[] = quickSightPanels(DASHBOARDS);

/** The window and cell as the data sets bind them, written out here independently of the module. */
const NOW_MS = 'CAST(floor(EXTRACT(EPOCH FROM now()) * 1000) AS bigint)';
function expectedInnerSql(item: QuickSightPanel): string {
  const { sql, params } = renderPostgresqlSql(item.query, CELL_TOPOLOGY);
  let bound = sql
    .replaceAll(':from_ms', `(${NOW_MS} - 2592000000)`)
    .replaceAll(':to_ms', NOW_MS)
    .replaceAll(':now_ms', NOW_MS)
    .replaceAll(':cell', `'${CELL}'`);
  for (const [name, value] of Object.entries(params)) bound = bound.replaceAll(`:${name}`, `'${value}'`);
  return bound;
}

interface CustomSqlJson {
  readonly DataSourceArn: unknown;
  readonly SqlQuery: string;
  readonly Columns: { readonly Name: string; readonly Type: string }[];
}

function propsOf(template: Template, logicalId: string): Record<string, unknown> {
  const resource = templateJson(template).Resources[logicalId];
  if (!resource) throw new Error(`no resource ${logicalId}`);
  return resource.Properties ?? {};
}

function customSqlOf(template: Template, panelId: string): CustomSqlJson {
  const id = logicalIdOf(
    template,
    'AWS::QuickSight::DataSet',
    `QuickSightDataSet${panelId.replaceAll('-', '')}`,
  );
  const map = propsOf(template, id).PhysicalTableMap as Record<string, { CustomSql: CustomSqlJson }>;
  const custom = map[panelId]?.CustomSql;
  if (!custom) throw new Error(`data set ${panelId} has no custom SQL`);
  return custom;
}

/** A dashboard's definition with each data set ARN replaced by its panel id (store-independent). */
function definitionOf(template: Template, viewId: string): unknown {
  const id = logicalIdOf(template, 'AWS::QuickSight::Dashboard', `QuickSightDashboard${viewId}`);
  const text = JSON.stringify(propsOf(template, id).Definition).replace(
    /\{"Fn::GetAtt":\["QuickSightDataSet([A-Za-z0-9]+?)[0-9A-F]{8}","Arn"\]\}/g,
    '"$1"',
  );
  return JSON.parse(text);
}

describe('QuickSightAuroraDashboards', () => {
  let stack: CellStack;
  let template: Template;
  let withoutQuickSight: Template;
  let timestream: Template;

  beforeAll(() => {
    const on = scratch.synth({ ...AURORA, ...QUICKSIGHT_ON });
    stack = on.stacks[0] as CellStack;
    template = on.templates.get(CELL) as Template;
    withoutQuickSight = scratch.synth({ ...AURORA }).templates.get(CELL) as Template;
    timestream = scratch.synth({ cells: CELL, ...QUICKSIGHT_ON }).templates.get(CELL) as Template;
  });

  describe('with -c store=aurora-postgresql -c quicksight=true', () => {
    it('builds the Aurora dashboards construct', () => {
      expect(stack.quicksightDashboards).toBeInstanceOf(QuickSightAuroraDashboards);
    });

    it('adds exactly the QuickSight resources, the network and IAM they need, and nothing else', () => {
      // Prepare
      const count = (t: Template) => {
        const byType: Record<string, number> = {};
        for (const r of Object.values(templateJson(t).Resources)) byType[r.Type] = (byType[r.Type] ?? 0) + 1;
        return byType;
      };
      const on = count(template);
      const off = count(withoutQuickSight);

      // Assess
      const added = Object.fromEntries(
        Object.keys(on)
          .filter((type) => on[type] !== off[type])
          .sort()
          .map((type) => [type, (on[type] ?? 0) - (off[type] ?? 0)]),
      );
      expect(added).toEqual({
        'AWS::EC2::SecurityGroup': 1,
        'AWS::EC2::SecurityGroupEgress': 1,
        'AWS::EC2::SecurityGroupIngress': 2,
        'AWS::IAM::Policy': 1,
        'AWS::IAM::Role': 1,
        'AWS::QuickSight::Dashboard': 3,
        'AWS::QuickSight::DataSet': STORE_PANELS.length,
        'AWS::QuickSight::DataSource': 1,
        'AWS::QuickSight::VPCConnection': 1,
      });
      // Every resource of the cell without QuickSight is unchanged.
      const before = templateJson(withoutQuickSight).Resources;
      const after = templateJson(template).Resources;
      for (const [id, resource] of Object.entries(before))
        expect({ id, resource }).toEqual({ id, resource: after[id] });
    });

    it('creates an AURORA_POSTGRESQL data source on the writer endpoint, with the cluster secret, over the VPC connection', () => {
      const cluster = logicalIdOf(template, 'AWS::RDS::DBCluster', 'AuroraStoreCluster');
      const attachment = logicalIdOf(
        template,
        'AWS::SecretsManager::SecretTargetAttachment',
        'AuroraStoreClusterSecretAttachment',
      );
      const connection = logicalIdOf(template, 'AWS::QuickSight::VPCConnection', 'QuickSightVpcConnection');
      const policy = logicalIdOf(template, 'AWS::IAM::Policy', 'QuickSightReadClusterSecret');
      template.resourceCountIs('AWS::QuickSight::DataSource', 1);
      template.hasResource('AWS::QuickSight::DataSource', {
        Properties: {
          Type: 'AURORA_POSTGRESQL',
          AwsAccountId: TEST_ACCOUNT,
          DataSourceId: `InvoiceCell-${CELL}-aurora-postgresql`,
          DataSourceParameters: {
            AuroraPostgreSqlParameters: {
              Host: { 'Fn::GetAtt': [cluster, 'Endpoint.Address'] },
              Port: 5432,
              Database: 'invoices',
            },
          },
          Credentials: { SecretArn: { Ref: attachment } },
          VpcConnectionProperties: { VpcConnectionArn: { 'Fn::GetAtt': [connection, 'Arn'] } },
          SslProperties: { DisableSsl: false },
          Permissions: PRINCIPALS.map((Principal) => ({
            Principal,
            Actions: [...QUICKSIGHT_READ_ACTIONS.dataSource],
          })),
        },
        DependsOn: [policy],
      });
    });

    it('lets QuickSight read the cluster secret and decrypt it through Secrets Manager only', () => {
      const attachment = logicalIdOf(
        template,
        'AWS::SecretsManager::SecretTargetAttachment',
        'AuroraStoreClusterSecretAttachment',
      );
      const key = logicalIdOf(template, 'AWS::KMS::Key', 'AuroraStoreKey');
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: ['aws-quicksight-secretsmanager-role-v0'],
        PolicyDocument: {
          Statement: [
            { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: attachment } },
            {
              Action: 'kms:Decrypt',
              Effect: 'Allow',
              Resource: { 'Fn::GetAtt': [key, 'Arn'] },
              Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${CELL}.amazonaws.com` } },
            },
          ],
        },
      });
    });

    it('puts the VPC connection in the isolated subnets with its own security group and role', () => {
      const subnets = logicalIdsOfType(template, 'AWS::EC2::Subnet');
      const group = logicalIdOf(template, 'AWS::EC2::SecurityGroup', 'QuickSightSecurityGroup');
      const role = logicalIdOf(template, 'AWS::IAM::Role', 'QuickSightVpcConnectionRole');
      expect(subnets.every((s) => s.includes('Isolated'))).toBe(true);
      template.hasResourceProperties('AWS::QuickSight::VPCConnection', {
        AwsAccountId: TEST_ACCOUNT,
        VPCConnectionId: `InvoiceCell-${CELL}-aurora-vpc`,
        SubnetIds: subnets.map((Ref) => ({ Ref })),
        SecurityGroupIds: [{ 'Fn::GetAtt': [group, 'GroupId'] }],
        RoleArn: { 'Fn::GetAtt': [role, 'Arn'] },
      });
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            Match.objectLike({
              Action: 'sts:AssumeRole',
              Principal: { Service: 'quicksight.amazonaws.com' },
              Condition: { StringEquals: { 'aws:SourceAccount': TEST_ACCOUNT } },
            }),
          ],
        },
      });
      const statements = (
        propsOf(template, role).Policies as {
          PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] };
        }[]
      ).flatMap((p) => p.PolicyDocument.Statement);
      expect(statements.map((s) => (Array.isArray(s.Action) ? [...s.Action].sort() : s.Action))).toEqual([
        'ec2:CreateNetworkInterface',
        'ec2:ModifyNetworkInterfaceAttribute',
        'ec2:DeleteNetworkInterface',
        ['ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets'],
      ]);
      // Creation is bound to the isolated subnets and the QuickSight group.
      const create = JSON.stringify(statements[0]?.Resource);
      for (const subnet of subnets) expect(create).toContain(`"Ref":"${subnet}"`);
      expect(create).toContain(`"Fn::GetAtt":["${group}","GroupId"]`);
      expect(statements[3]?.Resource).toBe('*');
    });

    it("admits only QuickSight's group on the cluster port, and QuickSight's group talks only to the cluster", () => {
      // Prepare
      const cluster = logicalIdOf(template, 'AWS::RDS::DBCluster', 'AuroraStoreCluster');
      const clusterGroup = logicalIdOf(
        template,
        'AWS::EC2::SecurityGroup',
        'AuroraStoreClusterSecurityGroup',
      );
      const group = logicalIdOf(template, 'AWS::EC2::SecurityGroup', 'QuickSightSecurityGroup');
      // The cluster's own (literal) port, which the data source uses too.
      const port = propsOf(template, cluster).Port;
      expect(port).toBe(5432);
      const rulesOf = (t: Template, type: string): ({ id: string } & Record<string, unknown>)[] =>
        logicalIdsOfType(t, type).map((id) => ({ id, ...propsOf(t, id) }));
      const newIngress = rulesOf(template, 'AWS::EC2::SecurityGroupIngress').filter(
        (r) => !logicalIdsOfType(withoutQuickSight, 'AWS::EC2::SecurityGroupIngress').includes(r.id),
      );

      // Assess: the cluster's group gains one rule, from QuickSight's group, on the cluster port
      expect(
        newIngress
          .filter((r) => JSON.stringify(r.GroupId).includes(`"${clusterGroup}"`))
          .map(({ id: _, ...r }) => r),
      ).toEqual([
        {
          Description: 'QuickSight VPC connection to the cluster',
          GroupId: { 'Fn::GetAtt': [clusterGroup, 'GroupId'] },
          SourceSecurityGroupId: { 'Fn::GetAtt': [group, 'GroupId'] },
          IpProtocol: 'tcp',
          FromPort: port,
          ToPort: port,
        },
      ]);
      // QuickSight's group: return traffic from the cluster's group only, no CIDR anywhere
      expect(
        newIngress
          .filter((r) => JSON.stringify(r.GroupId).includes(`"${group}"`))
          .map(({ id: _, ...r }) => r),
      ).toEqual([
        {
          Description: 'Return traffic from the Aurora cluster (QuickSight network interfaces)',
          GroupId: { 'Fn::GetAtt': [group, 'GroupId'] },
          SourceSecurityGroupId: { 'Fn::GetAtt': [clusterGroup, 'GroupId'] },
          IpProtocol: 'tcp',
          FromPort: 0,
          ToPort: 65535,
        },
      ]);
      expect(rulesOf(template, 'AWS::EC2::SecurityGroupEgress').map(({ id: _, ...r }) => r)).toEqual([
        {
          Description: 'QuickSight VPC connection to the cluster',
          GroupId: { 'Fn::GetAtt': [group, 'GroupId'] },
          DestinationSecurityGroupId: { 'Fn::GetAtt': [clusterGroup, 'GroupId'] },
          IpProtocol: 'tcp',
          FromPort: port,
          ToPort: port,
        },
      ]);
      const own = propsOf(template, group);
      expect(own.SecurityGroupIngress).toBeUndefined();
      // allowAllOutbound off and one egress rule: CDK drops its "no traffic" placeholder, and
      // CloudFormation drops the default allow-all egress once a rule is added
      // (https://github.com/aws/aws-cdk/pull/998), so the cluster port is the group's only way out.
      expect(own.SecurityGroupEgress).toBeUndefined();
    });

    it('creates one direct-query data set per panel whose SQL is renderPostgresqlSql with the window and cell bound', () => {
      const source = logicalIdOf(template, 'AWS::QuickSight::DataSource', 'QuickSightDataSource');
      template.resourceCountIs('AWS::QuickSight::DataSet', STORE_PANELS.length);
      expect(ITEMS.map((i) => i.panel.id)).toEqual(STORE_PANELS.map((p) => p.id));
      for (const item of ITEMS) {
        const custom = customSqlOf(template, item.panel.id);
        const inner = expectedInnerSql(item);
        expect(custom.SqlQuery, item.panel.id).toBe(
          auroraPanelSql(item.query, { topology: CELL_TOPOLOGY, cell: CELL, lookbackDays: 30 }),
        );
        expect(custom.SqlQuery.endsWith(`FROM (\n${inner}\n) AS panel_rows`), item.panel.id).toBe(true);
        expect(custom.SqlQuery).not.toMatch(/(?<![:\w]):[a-z_]+/);
        expect(custom.DataSourceArn).toEqual({ 'Fn::GetAtt': [source, 'Arn'] });
        // The columns the Timestream data sets declare, so the visuals are the same.
        expect(custom.Columns).toEqual(
          timestreamColumns(item.query).map((c) => ({ Name: c.name, Type: c.type })),
        );
      }
      template.allResourcesProperties('AWS::QuickSight::DataSet', {
        ImportMode: 'DIRECT_QUERY',
        Permissions: PRINCIPALS.map((Principal) => ({
          Principal,
          Actions: [...QUICKSIGHT_READ_ACTIONS.dataSet],
        })),
      });
    });

    it('creates the same three dashboards as a Timestream cell, visual for visual', () => {
      template.resourceCountIs('AWS::QuickSight::Dashboard', 3);
      for (const view of DASHBOARDS) {
        template.hasResourceProperties('AWS::QuickSight::Dashboard', {
          DashboardId: `InvoiceCell-${CELL}-${view.id}`,
          Permissions: PRINCIPALS.map((Principal) => ({
            Principal,
            Actions: [...QUICKSIGHT_READ_ACTIONS.dashboard],
          })),
        });
        expect(definitionOf(template, view.id)).toEqual(definitionOf(timestream, view.id));
      }
    });
  });

  describe('AwsSolutionsChecks', () => {
    it('reports no unacknowledged finding on an Aurora cell with QuickSight on', () => {
      const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
      const findings = report.violations.map(
        (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      );
      expect(findings).toEqual([]);
    });

    it('acknowledges only the VPC connection role wildcards, each with a written reason', () => {
      const acknowledged = stack.node.findAll().flatMap((construct) =>
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
      const own = acknowledged.filter((a) => a.at.startsWith('QuickSight/'));
      expect(own.map((a) => `${a.at} ${a.id}`).sort()).toEqual([
        'QuickSight/VpcConnectionRole Annotation::AwsSolutions-IAM5[Resource::*]',
        'QuickSight/VpcConnectionRole Annotation::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]',
      ]);
      for (const a of own) expect(a.reason.length, a.id).toBeGreaterThan(60);
    });
  });

  it('refuses QuickSight in a region that does not offer it (us-west-1)', () => {
    expect(() => scratch.synth({ cells: 'us-west-1', store: 'aurora-postgresql', ...QUICKSIGHT_ON })).toThrow(
      'quicksight dashboards cannot be deployed in us-west-1: QuickSight is not offered there',
    );
  });
});
