import type { StageName } from '../../../cells/topology.js';
import { MetricReportReconciler, type StageQueueUrls } from '../../../consumers/aws/aws-report-reconcile.js';
import { TimestreamReportSource } from '../../../consumers/aws/timestream-report-source.js';
import {
  parseTimestreamReportSpec,
  type TimestreamReportSpec,
} from '../../../consumers/aws/timestream-report-spec.js';
import { PostgresReportSource } from '../../../consumers/postgresql/report-source.js';
import { REPORT_CONTENT_TYPES, renderReport } from '../../../consumers/reports/render-report.js';
import { ReportMonthError } from '../../../consumers/reports/report-month.js';
import { generateMonthlyReport, type MonthlyReportSource } from '../../../consumers/reports/report-source.js';
import { CELL_OUTPUT_IDS } from '../../../stacks/cell-outputs.js';
import { type MonthlyReportDocument, type MonthlyReportRequest, OpsError, UsageError } from '../backend.js';
import { type AwsCell, auroraTarget, stageResources } from './aws-cell.js';
import { awsError } from './aws-error.js';
import type { CellResources } from './cell-resources.js';

/**
 * `report --cell <name>`: one month's report of a deployed cell, built now with the same source and
 * builder as the cell's scheduled report Lambda (`generateMonthlyReport` over
 * `TimestreamReportSource`, or `PostgresReportSource` through the Data API on an Aurora cell),
 * rendered as asked. The table, the time zone
 * and which rows each figure reads come from the stack's outputs (`MonthlyReportSpec`), so the CLI
 * reads exactly what the deployed cell reads; the reconciliation is the Lambda's too
 * (`MetricReportReconciler`: CloudWatch sums and the stage queues' depths, approximate). The stored reports are in the report bucket
 * (`MonthlyReportBucket` output); this verb does not read them, it builds the month again.
 *
 * @example
 * const doc = await awsMonthlyReport(aws, { month: '2026-10', format: 'json' });
 */

interface ReportTables {
  readonly database: string;
  readonly latestTable: string;
  readonly spec: TimestreamReportSpec;
}

function need(r: CellResources, id: string): string {
  const value = r.outputs[id];
  if (value === undefined || value === '') {
    throw new OpsError(
      `${r.stackName} has no ${id} output; redeploy the cell with the current CellStack (npx cdk deploy ${r.stackName}) to build reports from it`,
    );
  }
  return value;
}

function reportTables(r: CellResources): ReportTables {
  const spec = need(r, CELL_OUTPUT_IDS.monthlyReportSpec);
  try {
    return {
      database: need(r, CELL_OUTPUT_IDS.timestreamDatabase),
      latestTable: need(r, CELL_OUTPUT_IDS.timestreamLatestStateTable),
      spec: parseTimestreamReportSpec(spec, `stack output ${CELL_OUTPUT_IDS.monthlyReportSpec}`),
    };
  } catch (error) {
    if (error instanceof OpsError) throw error;
    throw new OpsError(`${r.stackName}: ${(error as Error).message}`, { cause: error });
  }
}

/** Every stage's queue and DLQ URL from the stack's outputs. */
async function stageQueues(aws: AwsCell): Promise<Map<StageName, StageQueueUrls>> {
  const queues = new Map<StageName, StageQueueUrls>();
  for (const stage of aws.topology.stages) {
    const r = await stageResources(aws, stage);
    queues.set(stage.name, { queueUrl: r.queueUrl, dlqUrl: r.dlqUrl });
  }
  return queues;
}

/**
 * The cell's report source and the time zone of its months: Aurora cells read their tables through
 * the Data API (`PostgresReportSource`, months in the topology's zone, as the cell's Lambda does),
 * Timestream cells the latest-state table their `MonthlyReportSpec` output names.
 */
async function reportSourceOf(
  aws: AwsCell,
  resources: CellResources,
  reconciler: MetricReportReconciler,
): Promise<{ source: MonthlyReportSource; timeZone: string }> {
  const aurora = await auroraTarget(aws);
  if (aurora) {
    const source = new PostgresReportSource({
      executor: aurora.executor,
      topology: aws.topology,
      reconciler,
    });
    return { source, timeZone: aws.topology.settings.timeZone };
  }
  const tables = reportTables(resources);
  const source = new TimestreamReportSource({
    client: aws.clients.timestreamQuery,
    database: tables.database,
    latestTable: tables.latestTable,
    spec: tables.spec,
    topology: aws.topology,
    reconciler,
  });
  return { source, timeZone: tables.spec.timeZone };
}

export async function awsMonthlyReport(
  aws: AwsCell,
  request: MonthlyReportRequest,
): Promise<MonthlyReportDocument> {
  const resources = await aws.resources();
  const reconciler = new MetricReportReconciler({
    cloudWatch: aws.clients.cloudWatch,
    sqs: aws.clients.sqs,
    topology: aws.topology,
    queues: await stageQueues(aws),
    now: aws.now,
  });
  const { source, timeZone } = await reportSourceOf(aws, resources, reconciler);
  let report: Awaited<ReturnType<typeof generateMonthlyReport>>;
  try {
    report = await generateMonthlyReport(source, {
      month: request.month,
      timeZone,
      cell: aws.cell.name,
      nowMs: aws.now(),
    });
  } catch (error) {
    // A bad month, or one that has not started in the cell's zone: the arguments cannot work.
    if (error instanceof ReportMonthError) throw new UsageError(`--month: ${error.message}`);
    throw awsError(`monthly report ${request.month} of ${resources.stackName}`, error);
  }
  return {
    month: report.month,
    format: request.format,
    contentType: REPORT_CONTENT_TYPES[request.format],
    body: renderReport(report, request.format),
    stored: false,
  };
}
