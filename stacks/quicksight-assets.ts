import { Stack, Token } from 'aws-cdk-lib';
import * as quicksight from 'aws-cdk-lib/aws-quicksight';
import type { Construct } from 'constructs';
import type { Dashboard } from '../dashboards/panels/panels.js';
import {
  customSqlTable,
  dashboardDefinition,
  QUICKSIGHT_PRINCIPAL_ARN,
  QUICKSIGHT_READ_ACTIONS,
  type QuickSightColumn,
  type QuickSightPanel,
  timestreamColumns,
} from './quicksight-definition.js';

/**
 * What the QuickSight views of a cell share whatever the store: the principals check, the
 * physical ids, the permissions, and the data sets + dashboards built from the panels. A store
 * (`quicksight-dashboards.ts` for Timestream, `quicksight-aurora.ts` for Aurora PostgreSQL) only
 * brings its data source and each panel's custom SQL; the columns and the dashboard definitions
 * (`quicksight-definition.ts`) are the same, so the visuals never depend on the store.
 *
 * @example
 * validateQuickSightPrincipals(principals);
 * const { dataSets, dashboards } = addQuickSightPanelAssets(this, { ..., sqlOf: (item) => sql });
 */

/** Physical ids of QuickSight assets: letters, digits, `-` and `_`, unique per account and region. */
const QUICKSIGHT_ID = /^[\w-]{1,512}$/;

/**
 * Regions that offer QuickSight's CloudFormation resources (data source, VPC connection, data set,
 * dashboard), as cfn-lint 1.51's region schemas list them; us-west-1 is not one
 * (https://docs.aws.amazon.com/general/latest/gr/quicksight.html). Isolated partitions left out.
 */
export const QUICKSIGHT_REGIONS: readonly string[] = [
  'af-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-5',
  'ca-central-1',
  'cn-north-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-gov-east-1',
  'us-gov-west-1',
  'us-west-2',
];

/**
 * Refuses, at synth, QuickSight dashboards in a region without QuickSight (DESIGN §2a: a cell's
 * region must offer what it deploys), rather than a template that fails at deploy time.
 */
export function assertQuickSightRegion(scope: Construct): void {
  const { region } = Stack.of(scope);
  if (Token.isUnresolved(region) || QUICKSIGHT_REGIONS.includes(region)) return;
  throw new Error(
    `quicksight dashboards cannot be deployed in ${region}: QuickSight is not offered there. ` +
      `Turn quicksight off for this cell or pick a region from: ${QUICKSIGHT_REGIONS.join(', ')}`,
  );
}

/** Throws unless there is at least one principal and each is a QuickSight user or group ARN. */
export function validateQuickSightPrincipals(principals: readonly string[]): void {
  if (principals.length === 0) {
    throw new Error(
      'quicksight dashboards need at least one principal (a QuickSight user or group ARN), got 0',
    );
  }
  for (const principal of principals) {
    if (!QUICKSIGHT_PRINCIPAL_ARN.test(principal)) {
      throw new Error(
        `quicksight principal must be a QuickSight user or group ARN, got ${JSON.stringify(principal)}`,
      );
    }
  }
}

/** `<stack name>-<suffix>`, validated: QuickSight asset ids are physical names the API requires. */
export function quickSightPhysicalId(scope: Construct, suffix: string): string {
  const value = `${Stack.of(scope).stackName}-${suffix}`;
  if (!QUICKSIGHT_ID.test(value)) throw new Error(`quicksight id ${JSON.stringify(value)} is not valid`);
  return value;
}

/** The same actions for every principal. Pure. */
export function quickSightPermissions(
  principals: readonly string[],
  actions: readonly string[],
): quicksight.CfnDataSource.ResourcePermissionProperty[] {
  return principals.map((principal) => ({ principal, actions: [...actions] }));
}

export interface QuickSightPanelAssetsProps {
  readonly cellName: string;
  readonly principals: readonly string[];
  readonly views: readonly Dashboard[];
  readonly items: readonly QuickSightPanel[];
  readonly dataSourceArn: string;
  /** The panel's custom SQL on this store; it must return {@link timestreamColumns} of the query. */
  readonly sqlOf: (item: QuickSightPanel) => string;
}

export interface QuickSightPanelAssets {
  /** Data set of each panel, by panel id. */
  readonly dataSets: ReadonlyMap<string, quicksight.CfnDataSet>;
  /** Dashboard of each view, by view id. */
  readonly dashboards: ReadonlyMap<string, quicksight.CfnDashboard>;
}

/**
 * One direct-query data set per panel and one dashboard per view that has a panel, created in
 * `scope` with the ids `DataSet-<panel id>` and `Dashboard-<view id>` (part of their logical ids).
 */
export function addQuickSightPanelAssets(
  scope: Construct,
  props: QuickSightPanelAssetsProps,
): QuickSightPanelAssets {
  const account = Stack.of(scope).account;
  const dataSets = new Map<string, quicksight.CfnDataSet>();
  for (const item of props.items) {
    const columns: readonly QuickSightColumn[] = timestreamColumns(item.query);
    const dataSet = new quicksight.CfnDataSet(scope, `DataSet-${item.panel.id}`, {
      awsAccountId: account,
      dataSetId: quickSightPhysicalId(scope, item.panel.id),
      name: `${props.cellName} ${item.panel.title}`,
      // Direct query: dashboards show what the store holds now (events are visible within 2 minutes).
      importMode: 'DIRECT_QUERY',
      physicalTableMap: {
        [item.panel.id]: customSqlTable(item.panel.title, props.dataSourceArn, props.sqlOf(item), columns),
      },
      permissions: quickSightPermissions(props.principals, QUICKSIGHT_READ_ACTIONS.dataSet),
    });
    dataSets.set(item.panel.id, dataSet);
  }

  const arns = new Map([...dataSets].map(([panelId, ds]) => [panelId, ds.attrArn] as const));
  const dashboards = new Map<string, quicksight.CfnDashboard>();
  for (const view of props.views) {
    if (!props.items.some((i) => i.dashboardId === view.id)) continue;
    dashboards.set(
      view.id,
      new quicksight.CfnDashboard(scope, `Dashboard-${view.id}`, {
        awsAccountId: account,
        dashboardId: quickSightPhysicalId(scope, view.id),
        name: `Invoice cell ${props.cellName}: ${view.title}`,
        definition: dashboardDefinition(view, props.items, arns),
        permissions: quickSightPermissions(props.principals, QUICKSIGHT_READ_ACTIONS.dashboard),
      }),
    );
  }
  return { dataSets, dashboards };
}
