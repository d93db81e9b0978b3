import type { CfnDashboard, CfnDataSet } from 'aws-cdk-lib/aws-quicksight';
import type { CellTopology } from '../cells/topology.js';
import type {
  Dashboard,
  GroupByField,
  Panel,
  RecordsQuery,
  SlaQuery,
  TimeBin,
} from '../dashboards/panels/panels.js';
import {
  type RollupPanelSource,
  renderRollupPanelSql,
} from '../dashboards/renderers/timestream-rollup-read-sql.js';
import {
  bindTimestreamTables,
  TIMESTREAM_TABLE_PLACEHOLDERS,
} from '../dashboards/renderers/timestream-rollup-tables.js';
import { renderTimestreamSql } from '../dashboards/renderers/timestream-sql.js';

/**
 * The QuickSight half of "dashboards are data" (DESIGN §6), as pure functions over the panel
 * definitions: which panels QuickSight draws, each panel's Timestream custom SQL and column schema,
 * and each view's dashboard `Definition` (one sheet, one visual per panel). The construct in
 * `quicksight-dashboards.ts` only wires these into L1 resources.
 *
 * Window. Each data set's SQL covers a fixed look-back (`time >= ago(<n>d) AND time < now()`), not
 * `<<$from>>`/`<<$to>>` dataset parameters. Parameters would need static defaults in every data set,
 * a parameter declaration mapped to each data set's parameters plus a date control in every
 * dashboard, and the literal QuickSight substitutes for a DateTime parameter inside Timestream SQL
 * cannot be checked without a QuickSight account; the fixed window is valid Timestream SQL that the
 * renderer's tests cover. Switching is one option of `renderTimestreamSql` (`fromParam: '<<$from>>'`).
 *
 * Rollups. A `records` panel's data set reads the derived tables the rollup scheduled queries keep
 * (`renderRollupPanelSql`): an event panel its spec's bins, a distinct-invoice panel its scope's
 * latest-state rows; the `sla` panel reads the records.
 *
 * @example
 * const panels = quickSightPanels(buildDashboards(topology));
 * const sql = panelSql(panels[0].query, { database: db, table, lookbackDays: 30, topology });
 */

/** A panel QuickSight can draw from Timestream: a `records` query (latency excepted) or `sla`. */
export interface QuickSightPanel {
  readonly dashboardId: Dashboard['id'];
  readonly panel: Panel;
  readonly query: RecordsQuery | SlaQuery;
}

/** QuickSight input column types (`AWS::QuickSight::DataSet` InputColumn `Type`). */
export type QuickSightColumnType = 'STRING' | 'INTEGER' | 'DECIMAL' | 'DATETIME';

export interface QuickSightColumn {
  readonly name: string;
  readonly type: QuickSightColumnType;
}

/**
 * Panels with a Timestream form. Latency (`records`, measure `latency`) lives in CloudWatch only,
 * and the `queue`, `stuck`, `alarms`, `reconcile` sources are not store queries. Pure.
 */
export function quickSightPanels(dashboards: readonly Dashboard[]): QuickSightPanel[] {
  return dashboards.flatMap((dashboard) =>
    dashboard.panels.flatMap((panel): QuickSightPanel[] => {
      const { query } = panel;
      if (query.source === 'sla') return [{ dashboardId: dashboard.id, panel, query }];
      if (query.source === 'records' && query.measure !== 'latency') {
        return [{ dashboardId: dashboard.id, panel, query }];
      }
      return [];
    }),
  );
}

/** Output column of each group field (as `renderTimestreamSql` aliases it) and its type. */
const GROUP_COLUMNS: Readonly<Record<GroupByField, QuickSightColumn>> = {
  stage: { name: 'stage', type: 'STRING' },
  currency: { name: 'currency', type: 'STRING' },
  vendorId: { name: 'vendor_id', type: 'STRING' },
  status: { name: 'status', type: 'STRING' },
  // A BIGINT measure in the table.
  paymentTermsDays: { name: 'payment_terms_days', type: 'INTEGER' },
};

/**
 * The columns `renderTimestreamSql` returns for a query, in order, with QuickSight types: counts
 * and money sums are BIGINT (INTEGER: 64-bit in QuickSight, so minor units are never a float),
 * averages and the SLA share are DECIMAL. Pure.
 */
export function timestreamColumns(query: RecordsQuery | SlaQuery): QuickSightColumn[] {
  if (query.source === 'sla') {
    return [
      { name: 'stage', type: 'STRING' },
      { name: 'met', type: 'INTEGER' },
      { name: 'missed', type: 'INTEGER' },
      { name: 'pending', type: 'INTEGER' },
      { name: 'ended', type: 'INTEGER' },
      { name: 'value', type: 'DECIMAL' },
    ];
  }
  return [
    ...(query.timeBin ? [{ name: 'bin_start', type: 'DATETIME' } as const] : []),
    ...query.groupBy.map((g) => GROUP_COLUMNS[g]),
    { name: 'value', type: query.aggregation === 'avg' ? 'DECIMAL' : 'INTEGER' },
  ];
}

/** Placeholder names the SQL is rendered with; the construct swaps in the table's (token) names. */
export const SQL_NAME_PLACEHOLDERS = {
  database: TIMESTREAM_TABLE_PLACEHOLDERS.database,
  table: TIMESTREAM_TABLE_PLACEHOLDERS.records,
} as const;

export interface PanelSqlOptions {
  readonly lookbackDays: number;
  readonly topology: CellTopology;
  /** Only this cell's records (the records table; the derived tables are the cell's own). */
  readonly cell?: string;
  /** Read a `records` panel from the rollups (`rollupSourceOf`) instead of the records. */
  readonly source?: RollupPanelSource;
}

/**
 * The panel's custom SQL over placeholder tables (`"__cell_database__"."__cell_table__"`, the
 * derived tables with a {@link PanelSqlOptions.source}); {@link bindTableNames} or
 * `bindTimestreamTables` put the real names in. Pure.
 */
export function panelSql(query: RecordsQuery | SlaQuery, options: PanelSqlOptions): string {
  if (!Number.isInteger(options.lookbackDays) || options.lookbackDays < 1) {
    throw new Error(`quicksight lookbackDays must be a positive integer, got ${options.lookbackDays}`);
  }
  if (options.source && query.source === 'records') {
    return renderRollupPanelSql(query, options.source, {
      fromParam: `ago(${options.lookbackDays}d)`,
      toParam: 'now()',
      topology: options.topology,
    });
  }
  return renderTimestreamSql(query, {
    database: SQL_NAME_PLACEHOLDERS.database,
    table: SQL_NAME_PLACEHOLDERS.table,
    fromParam: `ago(${options.lookbackDays}d)`,
    toParam: 'now()',
    topology: options.topology,
    ...(options.cell !== undefined ? { cell: options.cell } : {}),
  });
}

/**
 * Replaces the placeholder table with the real one. The names may be CloudFormation tokens (the
 * table name is only known at deploy time); a token inside a string becomes an `Fn::Join`.
 */
export function bindTableNames(sql: string, database: string, table: string): string {
  const placeholder = `"${SQL_NAME_PLACEHOLDERS.database}"."${SQL_NAME_PLACEHOLDERS.table}"`;
  if (!sql.includes(placeholder)) throw new Error('panel SQL does not read the placeholder table');
  return bindTimestreamTables(sql, { database, records: table });
}

/** The data set's physical table: Timestream custom SQL with its column schema. Pure. */
export function customSqlTable(
  name: string,
  dataSourceArn: string,
  sqlQuery: string,
  columns: readonly QuickSightColumn[],
): CfnDataSet.PhysicalTableProperty {
  return {
    customSql: {
      dataSourceArn,
      name,
      sqlQuery,
      columns: columns.map((c) => ({ name: c.name, type: c.type })),
    },
  };
}

const DATE_GRANULARITY: Readonly<Record<TimeBin, string>> = {
  '1m': 'MINUTE',
  '5m': 'MINUTE',
  '1h': 'HOUR',
  '1d': 'DAY',
  '1w': 'WEEK',
};

function dimensionField(
  dataSetIdentifier: string,
  column: QuickSightColumn,
  timeBin: TimeBin | undefined,
): CfnDashboard.DimensionFieldProperty {
  const field = {
    fieldId: `${dataSetIdentifier}.${column.name}`,
    column: { dataSetIdentifier, columnName: column.name },
  };
  if (column.type === 'DATETIME') {
    return { dateDimensionField: { ...field, dateGranularity: DATE_GRANULARITY[timeBin ?? '1d'] } };
  }
  if (column.type === 'STRING') return { categoricalDimensionField: field };
  return { numericalDimensionField: field };
}

/**
 * One visual per panel, kept simple on purpose: a clustered bar chart when the rows have one or two
 * dimensions (category, then colour: e.g. time bin × currency, so amounts of different currencies
 * are never added), otherwise a plain table of the rows as the SQL returns them. Pure.
 */
export function panelVisual(
  item: QuickSightPanel,
  columns: readonly QuickSightColumn[],
): CfnDashboard.VisualProperty {
  const { panel, query } = item;
  const id = panel.id;
  const title = {
    visibility: 'VISIBLE',
    formatText: { plainText: panel.unit === 'money' ? `${panel.title} (minor units)` : panel.title },
  };
  const subtitle = panel.description
    ? { subtitle: { visibility: 'VISIBLE', formatText: { plainText: panel.description } } }
    : {};
  const dimensions =
    query.source === 'sla'
      ? columns.filter((c) => c.name === 'stage')
      : columns.filter((c) => c.name !== 'value');
  const value = columns.find((c) => c.name === 'value');
  const timeBin = query.source === 'records' ? query.timeBin : undefined;
  const tabular = panel.chart === 'table' || panel.chart === 'stat';
  const [category, colour] = dimensions;
  if (!tabular && value && category && dimensions.length <= 2) {
    return {
      barChartVisual: {
        visualId: id,
        title,
        ...subtitle,
        chartConfiguration: {
          orientation: 'VERTICAL',
          barsArrangement: 'CLUSTERED',
          fieldWells: {
            barChartAggregatedFieldWells: {
              category: [dimensionField(id, category, timeBin)],
              ...(colour ? { colors: [dimensionField(id, colour, timeBin)] } : {}),
              values: [
                {
                  // One row per category × colour, so the sum is the row's value.
                  numericalMeasureField: {
                    fieldId: `${id}.value`,
                    column: { dataSetIdentifier: id, columnName: value.name },
                    aggregationFunction: { simpleNumericalAggregation: 'SUM' },
                  },
                },
              ],
            },
          },
        },
      },
    };
  }
  return {
    tableVisual: {
      visualId: id,
      title,
      ...subtitle,
      chartConfiguration: {
        fieldWells: {
          tableUnaggregatedFieldWells: {
            values: columns.map((c) => ({
              fieldId: `${id}.${c.name}`,
              column: { dataSetIdentifier: id, columnName: c.name },
            })),
          },
        },
      },
    },
  };
}

/** QuickSight grid layouts are 36 columns wide; two visuals per row. */
const GRID = { columnSpan: 18, rowSpan: 12 } as const;

/**
 * The dashboard `Definition` of one view: its data sets declared by panel id, one sheet with one
 * visual per panel in a two-column grid. `dataSetArns` maps panel id → data set ARN. Pure.
 */
export function dashboardDefinition(
  dashboard: Dashboard,
  items: readonly QuickSightPanel[],
  dataSetArns: ReadonlyMap<string, string>,
): CfnDashboard.DashboardVersionDefinitionProperty {
  const own = items.filter((i) => i.dashboardId === dashboard.id);
  if (own.length === 0) throw new Error(`quicksight dashboard ${dashboard.id} has no Timestream panel`);
  const declarations = own.map((i) => {
    const arn = dataSetArns.get(i.panel.id);
    if (!arn) throw new Error(`quicksight dashboard ${dashboard.id}: no data set for panel ${i.panel.id}`);
    return { identifier: i.panel.id, dataSetArn: arn };
  });
  return {
    dataSetIdentifierDeclarations: declarations,
    sheets: [
      {
        sheetId: `${dashboard.id}-sheet`,
        name: dashboard.title,
        title: dashboard.title,
        description: dashboard.description,
        visuals: own.map((i) => panelVisual(i, timestreamColumns(i.query))),
        layouts: [
          {
            configuration: {
              gridLayout: {
                elements: own.map((i) => ({ elementId: i.panel.id, elementType: 'VISUAL', ...GRID })),
              },
            },
          },
        ],
      },
    ],
  };
}

/** QuickSight actions the given principals get: read and reuse the cell's assets, not change them. */
export const QUICKSIGHT_READ_ACTIONS = {
  dataSource: [
    'quicksight:DescribeDataSource',
    'quicksight:DescribeDataSourcePermissions',
    'quicksight:PassDataSource',
  ],
  dataSet: [
    'quicksight:DescribeDataSet',
    'quicksight:DescribeDataSetPermissions',
    'quicksight:PassDataSet',
    'quicksight:DescribeIngestion',
    'quicksight:ListIngestions',
  ],
  dashboard: [
    'quicksight:DescribeDashboard',
    'quicksight:ListDashboardVersions',
    'quicksight:QueryDashboard',
  ],
} as const;

/** A QuickSight user or group ARN: `arn:<partition>:quicksight:<region>:<account>:(user|group)/<namespace>/<name>`. */
export const QUICKSIGHT_PRINCIPAL_ARN =
  /^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:\d{12}:(user|group)\/[\w.@+=-]+\/[\w.@+=/-]+$/;
