import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as quicksight from 'aws-cdk-lib/aws-quicksight';
import { Construct } from 'constructs';
import type { CellTopology } from '../cells/topology.js';
import { buildDashboards, type Dashboard } from '../dashboards/panels/panels.js';
import { rollupSourceOf } from '../dashboards/renderers/timestream-rollup-read-sql.js';
import { bindTimestreamTables } from '../dashboards/renderers/timestream-rollup-tables.js';
import { rollupsOf } from '../dashboards/rollups/apply-record.js';
import {
  addQuickSightPanelAssets,
  assertQuickSightRegion,
  quickSightPermissions,
  quickSightPhysicalId,
  validateQuickSightPrincipals,
} from './quicksight-assets.js';
import { panelSql, QUICKSIGHT_READ_ACTIONS, quickSightPanels } from './quicksight-definition.js';
import type { TimeseriesRollupTarget } from './timeseries-store.js';

export interface QuickSightDashboardsProps {
  readonly topology: CellTopology;
  /** The records table (SLA panel) and the derived tables the rollup queries keep (`records` panels). */
  readonly store: TimeseriesRollupTarget;
  readonly cellName: string;
  /** QuickSight users or groups that may view the dashboards and reuse the data sets (≥ 1). */
  readonly principals: readonly string[];
  /** The window every data set covers. @default 30 */
  readonly lookbackDays?: number;
  /** @default buildDashboards(topology) */
  readonly dashboards?: readonly Dashboard[];
  /**
   * The role QuickSight reads AWS data sources with; it exists once the account subscribes to
   * QuickSight (https://docs.aws.amazon.com/quicksight/latest/user/security_iam_service-with-iam.html).
   * @default 'aws-quicksight-service-role-v0'
   */
  readonly quickSightServiceRoleName?: string;
}

/**
 * The executive, operations and finance views in QuickSight (behind `-c quicksight=true`: QuickSight
 * needs an account subscription): one Timestream data source, one direct-query data set per panel
 * that has a Timestream form, and one dashboard per view whose definition is rendered from the same
 * panels. A `records` panel's data set reads the rollups (`renderRollupPanelSql`: an event panel
 * its spec's bins, a distinct-invoice panel its scope's latest-state rows), the SLA panel the
 * records (`renderTimestreamSql`); see `quicksight-definition.ts` for the window. The given
 * principals may view the dashboards and reuse (not change) the data sets and source.
 *
 * QuickSight reads Timestream with its account-wide service role; this construct adds a policy to
 * that role allowing `timestream:Select` on this cell's records and derived tables only (plus
 * endpoint discovery).
 *
 * QuickSight asset ids are physical names (the API requires them): `<stack name>-<panel or view>`,
 * unique per account and region like the stack name.
 *
 * @example
 * new QuickSightDashboards(this, 'QuickSight', { topology, store, cellName, principals: ['arn:aws:quicksight:...:user/default/ops'] });
 */
export class QuickSightDashboards extends Construct {
  readonly dataSource: quicksight.CfnDataSource;
  /** Data set of each panel, by panel id. */
  readonly dataSets: ReadonlyMap<string, quicksight.CfnDataSet>;
  /** Dashboard of each view, by view id. */
  readonly dashboards: ReadonlyMap<string, quicksight.CfnDashboard>;
  readonly readPolicy: iam.Policy;

  constructor(scope: Construct, id: string, props: QuickSightDashboardsProps) {
    super(scope, id);
    validateQuickSightPrincipals(props.principals);
    assertQuickSightRegion(this);
    const views = props.dashboards ?? buildDashboards(props.topology);
    const items = quickSightPanels(views);
    const rollups = rollupsOf(views);
    const { store } = props;
    const tables = {
      database: store.databaseName,
      records: store.tableName,
      bins: store.rollupBins.tableName,
      latest: store.latestState.tableName,
    };

    // Timestream sources take no parameters: QuickSight uses its service role in this region.
    this.dataSource = new quicksight.CfnDataSource(this, 'DataSource', {
      awsAccountId: Stack.of(this).account,
      dataSourceId: quickSightPhysicalId(this, 'timestream'),
      name: `Invoice cell ${props.cellName} (Timestream)`,
      type: 'TIMESTREAM',
      permissions: quickSightPermissions(props.principals, QUICKSIGHT_READ_ACTIONS.dataSource),
    });

    const assets = addQuickSightPanelAssets(this, {
      cellName: props.cellName,
      principals: props.principals,
      views,
      items,
      dataSourceArn: this.dataSource.attrArn,
      sqlOf: (item) => {
        const source =
          item.query.source === 'records' ? rollupSourceOf(item.panel.id, item.query, rollups) : undefined;
        return bindTimestreamTables(
          panelSql(item.query, {
            lookbackDays: props.lookbackDays ?? 30,
            topology: props.topology,
            ...(source ? { source } : { cell: props.cellName }),
          }),
          tables,
        );
      },
    });
    this.dataSets = assets.dataSets;
    this.dashboards = assets.dashboards;

    this.readPolicy = this.addReadPolicy(props);
  }

  /** Select on this cell's records and derived tables for QuickSight's service role. */
  private addReadPolicy(props: QuickSightDashboardsProps): iam.Policy {
    const { store } = props;
    const serviceRole = iam.Role.fromRoleName(
      this,
      'ServiceRole',
      props.quickSightServiceRoleName ?? 'aws-quicksight-service-role-v0',
    );
    const policy = new iam.Policy(this, 'ReadCellTable', {
      statements: [
        new iam.PolicyStatement({ actions: ['timestream:DescribeEndpoints'], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: ['timestream:Select'],
          resources: [store.tableArn, store.rollupBins.tableArn, store.latestState.tableArn],
        }),
      ],
      roles: [serviceRole],
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'timestream:DescribeEndpoints (endpoint discovery) supports no resource-level permissions, so it is granted ' +
        'on "*"; the policy\'s only other statement allows timestream:Select on this cell\'s records and derived tables.',
    });
    return policy;
  }
}
