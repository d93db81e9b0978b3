import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../cells/topology.js';
import { DASHBOARDS, type RecordsQuery } from '../../dashboards/panels/panels.js';
import { buildApp } from '../../stacks/app.js';
import { CellStack } from '../../stacks/cell-stack.js';
import {
  bindTableNames,
  dashboardDefinition,
  panelSql,
  panelVisual,
  QUICKSIGHT_READ_ACTIONS,
  quickSightPanels,
  timestreamColumns,
} from '../../stacks/quicksight-definition.js';
import {
  cdkJsonContext,
  logicalIdOf,
  logicalIdsOfType,
  STUB_LAMBDA_CODE,
  synthCells,
  templateJson,
} from './cell-fixture.js';

const PRINCIPALS = [
  'arn:aws:quicksight:us-east-1:111122223333:user/default/ops',
  'arn:aws:quicksight:us-east-1:111122223333:group/default/finance',
];

/** The parts of the QuickSight L1 properties the tests read. */
interface DataSetJson {
  readonly ImportMode: string;
  readonly DataSetId: string;
  readonly Permissions: unknown;
  readonly PhysicalTableMap: Record<
    string,
    {
      readonly CustomSql: {
        readonly DataSourceArn: unknown;
        readonly SqlQuery: { readonly 'Fn::Join': [string, unknown[]] };
        readonly Columns: { readonly Name: string }[];
      };
    }
  >;
}
interface DashboardJson {
  readonly DashboardId: string;
  readonly Permissions: unknown;
  readonly Definition: {
    readonly DataSetIdentifierDeclarations: { readonly Identifier: string }[];
    readonly Sheets: { readonly Visuals: Record<string, { readonly VisualId: string }>[] }[];
  };
}

function synthWithQuickSight(): CellStack {
  const app = buildApp(
    {
      ...cdkJsonContext(),
      cells: 'us-east-1',
      quicksight: 'true',
      quicksightPrincipals: PRINCIPALS.join(','),
    },
    { lambdaCode: STUB_LAMBDA_CODE, defaultAccount: '111122223333' },
  );
  const stack = app.node.children.find((c): c is CellStack => c instanceof CellStack);
  if (!stack) throw new Error('no cell stack');
  return stack;
}

/** Panels whose query Timestream answers, counted without the module under test. */
const TIMESTREAM_PANELS = DASHBOARDS.flatMap((d) => d.panels).filter(
  (p) => p.query.source === 'sla' || (p.query.source === 'records' && p.query.measure !== 'latency'),
);

describe('QuickSightDashboards', () => {
  let stack: CellStack;
  let template: Template;

  beforeAll(() => {
    stack = synthWithQuickSight();
    template = Template.fromStack(stack);
  });

  describe('with -c quicksight=true', () => {
    it('creates one Timestream data source readable by the principals', () => {
      template.resourceCountIs('AWS::QuickSight::DataSource', 1);
      template.hasResourceProperties('AWS::QuickSight::DataSource', {
        Type: 'TIMESTREAM',
        AwsAccountId: '111122223333',
        DataSourceId: 'InvoiceCell-us-east-1-timestream',
        Permissions: PRINCIPALS.map((Principal) => ({
          Principal,
          Actions: [...QUICKSIGHT_READ_ACTIONS.dataSource],
        })),
      });
    });

    it('creates one direct-query data set per panel that Timestream answers, reading the rollups for records panels', () => {
      // Prepare: SLA reads the records; event panels the rollup bins; distinct-invoice panels the latest state
      const source = logicalIdOf(template, 'AWS::QuickSight::DataSource', 'QuickSightDataSource');
      const database = logicalIdOf(template, 'AWS::Timestream::Database', 'StoreDatabase');
      const tableOf = (query: RecordsQuery | { source: 'sla' }) =>
        logicalIdOf(
          template,
          'AWS::Timestream::Table',
          query.source === 'sla'
            ? 'StoreTable'
            : query.distinctInvoices
              ? 'StoreLatestState'
              : 'StoreRollupBins',
        );

      // Assess
      template.resourceCountIs('AWS::QuickSight::DataSet', TIMESTREAM_PANELS.length);
      expect(TIMESTREAM_PANELS).toHaveLength(13);
      for (const panel of TIMESTREAM_PANELS) {
        const id = logicalIdOf(
          template,
          'AWS::QuickSight::DataSet',
          `QuickSightDataSet${panel.id.replaceAll('-', '')}`,
        );
        const props = templateJson(template).Resources[id]?.Properties as unknown as DataSetJson;
        const custom = props.PhysicalTableMap[panel.id]?.CustomSql;
        if (!custom) throw new Error(`data set ${panel.id} has no custom SQL`);
        expect(props.ImportMode).toBe('DIRECT_QUERY');
        expect(props.DataSetId).toBe(`InvoiceCell-us-east-1-${panel.id}`);
        expect(custom.DataSourceArn).toEqual({ 'Fn::GetAtt': [source, 'Arn'] });
        // The SQL with the table's names put in by CloudFormation
        const [head, db, dot, tbl] = custom.SqlQuery['Fn::Join'][1];
        const table = tableOf(panel.query as RecordsQuery | { source: 'sla' });
        expect({ panel: panel.id, from: [db, dot, tbl] }).toEqual({
          panel: panel.id,
          from: [{ Ref: database }, '"."', { 'Fn::GetAtt': [table, 'Name'] }],
        });
        expect(head).toContain('FROM "');
        expect(JSON.stringify(custom.SqlQuery)).toContain('ago(30d)');
        // Only the records table has a cell column; the derived tables are the cell's own.
        expect(JSON.stringify(custom.SqlQuery).includes("cell = 'us-east-1'")).toBe(
          panel.query.source === 'sla',
        );
        expect(custom.Columns.map((c: { Name: string }) => c.Name)).toEqual(
          timestreamColumns(panel.query as RecordsQuery).map((c) => c.name),
        );
        expect(props.Permissions).toEqual(
          PRINCIPALS.map((Principal) => ({ Principal, Actions: [...QUICKSIGHT_READ_ACTIONS.dataSet] })),
        );
      }
    });

    it('creates the executive, operations and finance dashboards, each declaring its panels and viewable by the principals', () => {
      template.resourceCountIs('AWS::QuickSight::Dashboard', 3);
      for (const view of DASHBOARDS) {
        const panelIds = TIMESTREAM_PANELS.filter((p) => view.panels.includes(p)).map((p) => p.id);
        const id = logicalIdOf(template, 'AWS::QuickSight::Dashboard', `QuickSightDashboard${view.id}`);
        const props = templateJson(template).Resources[id]?.Properties as unknown as DashboardJson;
        expect(props.DashboardId).toBe(`InvoiceCell-us-east-1-${view.id}`);
        expect(
          props.Definition.DataSetIdentifierDeclarations.map((d: { Identifier: string }) => d.Identifier),
        ).toEqual(panelIds);
        expect(
          props.Definition.Sheets[0]?.Visuals.map(
            (v: Record<string, { VisualId: string }>) => Object.values(v)[0]?.VisualId,
          ),
        ).toEqual(panelIds);
        expect(props.Permissions).toEqual(
          PRINCIPALS.map((Principal) => ({ Principal, Actions: [...QUICKSIGHT_READ_ACTIONS.dashboard] })),
        );
      }
    });

    it("lets QuickSight's service role select from the cell's records and derived tables only", () => {
      const arn = (prefix: string) => ({
        'Fn::GetAtt': [logicalIdOf(template, 'AWS::Timestream::Table', prefix), 'Arn'],
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: ['aws-quicksight-service-role-v0'],
        PolicyDocument: {
          Statement: [
            { Action: 'timestream:DescribeEndpoints', Effect: 'Allow', Resource: '*' },
            {
              Action: 'timestream:Select',
              Effect: 'Allow',
              // Sorted by the minimizePolicies feature flag.
              Resource: [arn('StoreLatestState'), arn('StoreRollupBins'), arn('StoreTable')],
            },
          ],
        },
      });
    });

    it('keeps cdk-nag clean', () => {
      const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
      expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    });
  });

  describe('with the flag off', () => {
    it('creates no QuickSight resource and no policy on its service role', () => {
      // Act
      const off = synthCells('us-east-1').templates.get('us-east-1') as Template;

      // Assess
      for (const type of [
        'AWS::QuickSight::DataSource',
        'AWS::QuickSight::DataSet',
        'AWS::QuickSight::Dashboard',
      ]) {
        expect(logicalIdsOfType(off, type)).toEqual([]);
      }
      expect(JSON.stringify(templateJson(off))).not.toContain('aws-quicksight-service-role-v0');
    });
  });
});

describe('quicksight-definition', () => {
  const items = quickSightPanels(DASHBOARDS);
  const item = (id: string) => {
    const found = items.find((i) => i.panel.id === id);
    if (!found) throw new Error(`no panel ${id}`);
    return found;
  };

  describe('timestreamColumns', () => {
    it('types bins as DATETIME, groups as STRING (payment terms INTEGER), counts and money as INTEGER, averages as DECIMAL', () => {
      expect(timestreamColumns(item('exec-intake-value-trend').query)).toEqual([
        { name: 'bin_start', type: 'DATETIME' },
        { name: 'currency', type: 'STRING' },
        { name: 'value', type: 'INTEGER' },
      ]);
      expect(timestreamColumns(item('fin-payment-terms-mix').query)).toEqual([
        { name: 'payment_terms_days', type: 'INTEGER' },
        { name: 'value', type: 'INTEGER' },
      ]);
      expect(timestreamColumns(item('fin-average-payment-terms').query)).toEqual([
        { name: 'value', type: 'DECIMAL' },
      ]);
      expect(timestreamColumns(item('exec-sla-attainment').query).map((c) => c.name)).toEqual([
        'stage',
        'met',
        'missed',
        'pending',
        'ended',
        'value',
      ]);
    });

    it('names exactly the columns the rendered SQL selects', () => {
      for (const i of items) {
        const sql = panelSql(i.query, { lookbackDays: 30, topology: CELL_TOPOLOGY });
        const finalSelect = sql.slice(sql.lastIndexOf('SELECT '));
        for (const column of timestreamColumns(i.query)) {
          expect({
            panel: i.panel.id,
            selects: new RegExp(`\\b${column.name}\\b`).test(finalSelect),
          }).toEqual({
            panel: i.panel.id,
            selects: true,
          });
        }
      }
    });
  });

  describe('panelVisual', () => {
    it('draws one- or two-dimension charts as clustered bars and tables and stats as tables', () => {
      expect(
        Object.keys(
          panelVisual(item('exec-events-trend'), timestreamColumns(item('exec-events-trend').query)),
        ),
      ).toEqual(['barChartVisual']);
      for (const id of ['exec-value-by-stage', 'fin-average-payment-terms', 'fin-completed-value-trend']) {
        expect(Object.keys(panelVisual(item(id), timestreamColumns(item(id).query)))).toEqual([
          'tableVisual',
        ]);
      }
    });
  });

  describe('bindTableNames', () => {
    it('puts the real database and table in place of the placeholders', () => {
      const sql = panelSql(item('fin-amount-by-currency').query, {
        lookbackDays: 7,
        topology: CELL_TOPOLOGY,
      });
      expect(bindTableNames(sql, 'db1', 'tbl1')).toContain('FROM "db1"."tbl1"');
      expect(bindTableNames(sql, 'db1', 'tbl1')).toContain('time >= ago(7d)');
      expect(() => bindTableNames('SELECT 1', 'db1', 'tbl1')).toThrow('does not read the placeholder table');
    });
  });

  describe('dashboardDefinition', () => {
    it('refuses a view whose panel has no data set', () => {
      const finance = DASHBOARDS.find((d) => d.id === 'finance');
      if (!finance) throw new Error('no finance view');
      expect(() => dashboardDefinition(finance, items, new Map())).toThrow(
        'quicksight dashboard finance: no data set for panel fin-amount-by-currency',
      );
    });
  });
});
