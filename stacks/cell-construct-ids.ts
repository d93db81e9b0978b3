import type * as logs from 'aws-cdk-lib/aws-logs';

/** Construct ids of the cell's parts; part of every logical id, so never rename them. */
export const CELL_CONSTRUCT_IDS = {
  logsKey: 'LogsKey',
  dlqKey: 'DlqKey',
  store: 'Store',
  routing: 'Routing',
  api: 'Api',
  alarms: 'Alarms',
  stuckMonitor: 'StuckMonitor',
  monthlyReport: 'MonthlyReport',
  rollups: 'Rollups',
  dashboard: 'Dashboard',
  quicksight: 'QuickSight',
  /** An Aurora cell's store: its own id, so no logical id is shared with a Timestream store. */
  auroraStore: 'AuroraStore',
  auroraMigrations: 'AuroraMigrations',
} as const;

/** The log retention every construct of the cell is given, when the stack props set one. */
export type CellLogRetention = { readonly logRetention?: logs.RetentionDays };
