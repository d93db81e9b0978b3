import type { StageTopology } from '../cells/topology.js';

/**
 * The CloudFormation output ids of a `CellStack`: the contract by which the ops CLI (and anyone
 * else) finds a deployed cell's resources with `DescribeStacks`, without physical names or
 * cross-stack exports. The ids are stable: renaming one breaks every tool reading it.
 *
 * Pure (no CDK import), so scripts can use it without loading aws-cdk-lib.
 *
 * @example
 * const outputs = await describeOutputs(`InvoiceCell-${cell.name}`);
 * const queueUrl = outputs[stageOutputIds(stage).queueUrl];
 */
export const CELL_OUTPUT_IDS = {
  /** Invoke URL of the API stage, ending with `/`; routes are `invoices/{stage}` under it. */
  apiUrl: 'ApiUrl',
  /** Usage plan producers' API keys are attached to (`aws apigateway create-usage-plan-key`). */
  usagePlanId: 'UsagePlanId',
  busName: 'BusName',
  busArn: 'BusArn',
  /** Events the bus could not encrypt/decrypt (KMS failures) land here. */
  busDlqUrl: 'BusDlqUrl',
  /** Archive of every accepted event; `StartReplay` takes its ARN. */
  archiveName: 'ArchiveName',
  archiveArn: 'ArchiveArn',
  timestreamDatabase: 'TimestreamDatabase',
  timestreamTable: 'TimestreamTable',
  /** Timestream's reports of late records it rejected asynchronously (magnetic store writes). */
  rejectedDataBucket: 'RejectedDataBucket',
  /** SNS topic of critical alarms (and the cell-unhealthy composite); subscribe pagers here. */
  criticalAlertTopicArn: 'CriticalAlertTopicArn',
  /** SNS topic of warning alarms and of the stuck-invoice monitor's lists. */
  warningAlertTopicArn: 'WarningAlertTopicArn',
  /** Every alarm of the cell is named `<prefix><rule id>` (`DescribeAlarms --alarm-name-prefix`). */
  alarmNamePrefix: 'AlarmNamePrefix',
  /** The cell's CloudWatch dashboard. */
  dashboardName: 'DashboardName',
  /** Stuck-monitor runs that failed or could not be delivered. */
  stuckMonitorDlqUrl: 'StuckMonitorDlqUrl',
  /** The derived latest-state table (rollup scheduled queries): the monthly report reads it. */
  timestreamLatestStateTable: 'TimestreamLatestStateTable',
  /** Bucket of the monthly reports: `reports/<YYYY-MM>.{html,json,csv}`. */
  monthlyReportBucket: 'MonthlyReportBucket',
  /** SNS topic told when a monthly report is ready (a link, never figures); subscribe people here. */
  monthlyReportTopicArn: 'MonthlyReportTopicArn',
  /** The report function; invoke it with `{"month": "YYYY-MM"}` to build a month again. */
  monthlyReportFunctionName: 'MonthlyReportFunctionName',
  /** Monthly report runs that failed or could not be delivered. */
  monthlyReportDlqUrl: 'MonthlyReportDlqUrl',
  /** Which latest-state rows each report figure reads (`TimestreamReportSpec` as JSON), for the ops CLI. */
  monthlyReportSpec: 'MonthlyReportSpec',
} as const;

/**
 * The outputs an Aurora cell has instead of the Timestream ones (`timestream*`,
 * `rejectedDataBucket`, `monthlyReportSpec`): the cluster the ops CLI reads through the Data API.
 */
export const AURORA_OUTPUT_IDS = {
  /** The cluster the Data API statements run on (`--resource-arn`). */
  clusterArn: 'AuroraClusterArn',
  /** The secret the Data API signs in with (`--secret-arn`). */
  secretArn: 'AuroraSecretArn',
  /** The database of the records (`--database`). */
  database: 'AuroraDatabase',
} as const;

/** Output ids of one stage, prefixed with the stage title (e.g. `IngestionQueueUrl`). */
export interface StageOutputIds {
  readonly queueUrl: string;
  readonly queueArn: string;
  /** The stage's FIFO dead-letter queue (after `maxReceiveCount` receives). */
  readonly dlqUrl: string;
  readonly dlqArn: string;
  readonly topicArn: string;
  /** Standard queue holding bus events the relay could not publish (rule and async-invoke DLQ). */
  readonly relayDlqUrl: string;
  readonly relayDlqArn: string;
}

/** The output ids of one stage. Pure. */
export function stageOutputIds(stage: Pick<StageTopology, 'title'>): StageOutputIds {
  const t = stage.title;
  return {
    queueUrl: `${t}QueueUrl`,
    queueArn: `${t}QueueArn`,
    dlqUrl: `${t}DlqUrl`,
    dlqArn: `${t}DlqArn`,
    topicArn: `${t}TopicArn`,
    relayDlqUrl: `${t}RelayDlqUrl`,
    relayDlqArn: `${t}RelayDlqArn`,
  };
}

/** Output ids of one declared stage subscriber (e.g. `IngestionEurOnlyQueueUrl`). */
export interface SubscriberOutputIds {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
}

/** The output ids of one stage subscriber: stage title + subscriber title. Pure. */
export function subscriberOutputIds(
  stage: Pick<StageTopology, 'title'>,
  subscriber: { readonly title: string },
): SubscriberOutputIds {
  const t = `${stage.title}${subscriber.title}`;
  return { queueUrl: `${t}QueueUrl`, queueArn: `${t}QueueArn`, dlqUrl: `${t}DlqUrl` };
}
