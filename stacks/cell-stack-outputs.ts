import { CfnOutput } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { reportSpecText } from '../consumers/aws/timestream-report-spec.js';
import type { AuroraStore } from './aurora-store.js';
import type { CellAlarms } from './cell-alarms.js';
import type { CellDashboard } from './cell-dashboard.js';
import { AURORA_OUTPUT_IDS, CELL_OUTPUT_IDS, stageOutputIds, subscriberOutputIds } from './cell-outputs.js';
import type { EventRouting } from './event-routing.js';
import type { IngestApi } from './ingest-api.js';
import type { MonthlyReport } from './monthly-report.js';
import type { StageConsumer } from './stage-consumer.js';
import type { StuckMonitor } from './stuck-monitor.js';
import type { TimeseriesStore } from './timeseries-store.js';

/** The parts of a `CellStack` its outputs name (the stack itself, structurally). */
export interface CellOutputsSource extends Construct {
  readonly api: IngestApi;
  readonly routing: EventRouting;
  readonly alarms: CellAlarms;
  readonly dashboard: CellDashboard;
  readonly consumers: readonly StageConsumer[];
  readonly timestream?: TimeseriesStore;
  readonly stuckMonitor?: StuckMonitor;
  readonly monthlyReport?: MonthlyReport;
  readonly aurora?: AuroraStore;
}

type Out = (id: string, value: string, description: string) => void;

/**
 * The outputs the ops CLI reads (ids in `cell-outputs.ts`), for a cell of either store: the API,
 * bus, archive, alarms, dashboard and every stage's queues; then the Timestream outputs (store,
 * stuck monitor, monthly report) or the Aurora ones (cluster, secret, database).
 *
 * @example
 * addCellOutputs(this); // last, in the CellStack constructor
 */
export function addCellOutputs(stack: CellOutputsSource): void {
  const out: Out = (id, value, description) => new CfnOutput(stack, id, { value, description });
  out(
    CELL_OUTPUT_IDS.apiUrl,
    stack.api.api.url,
    'Invoke URL; POST invoices/{stage} under it (IAM SigV4 + x-api-key)',
  );
  out(
    CELL_OUTPUT_IDS.usagePlanId,
    stack.api.usagePlan.usagePlanId,
    'Usage plan producer API keys are attached to',
  );
  out(CELL_OUTPUT_IDS.busName, stack.routing.bus.eventBusName, 'Event bus of the cell');
  out(CELL_OUTPUT_IDS.busArn, stack.routing.bus.eventBusArn, 'Event bus ARN');
  out(
    CELL_OUTPUT_IDS.busDlqUrl,
    stack.routing.busDlq.queueUrl,
    'Events the bus could not encrypt or decrypt',
  );
  out(CELL_OUTPUT_IDS.archiveName, stack.routing.archive.archiveName, 'Archive of every accepted event');
  out(
    CELL_OUTPUT_IDS.archiveArn,
    stack.routing.archive.archiveArn,
    'Archive ARN (StartReplay EventSourceArn is the bus)',
  );
  out(
    CELL_OUTPUT_IDS.criticalAlertTopicArn,
    stack.alarms.criticalTopic.topicArn,
    'Critical alarms and the cell-unhealthy composite; subscribe on-call here',
  );
  out(
    CELL_OUTPUT_IDS.warningAlertTopicArn,
    stack.alarms.warningTopic.topicArn,
    'Warning alarms and stuck-invoice lists',
  );
  out(
    CELL_OUTPUT_IDS.alarmNamePrefix,
    stack.alarms.alarmNamePrefix,
    'Every alarm of the cell is named <prefix><rule id>',
  );
  out(
    CELL_OUTPUT_IDS.dashboardName,
    stack.dashboard.dashboard.dashboardName,
    'CloudWatch dashboard of the cell',
  );
  if (stack.timestream) addTimestreamOutputs(out, stack.timestream);
  if (stack.aurora) addAuroraOutputs(out, stack.aurora);
  if (stack.stuckMonitor) {
    out(
      CELL_OUTPUT_IDS.stuckMonitorDlqUrl,
      stack.stuckMonitor.dlq.queueUrl,
      'Stuck-monitor runs that failed or could not be delivered',
    );
  }
  if (stack.monthlyReport) addReportOutputs(out, stack.monthlyReport);
  addStageOutputs(out, stack);
}

function addTimestreamOutputs(out: Out, store: TimeseriesStore): void {
  out(CELL_OUTPUT_IDS.timestreamDatabase, store.databaseName, 'Timestream database');
  out(CELL_OUTPUT_IDS.timestreamTable, store.tableName, 'Timestream table');
  out(
    CELL_OUTPUT_IDS.rejectedDataBucket,
    store.rejectedDataBucket.bucketName,
    'Timestream rejected-record reports',
  );
  out(
    CELL_OUTPUT_IDS.timestreamLatestStateTable,
    store.latestState.tableName,
    'Timestream latest-state table (rollup scheduled queries); the monthly report reads it',
  );
}

function addReportOutputs(out: Out, report: MonthlyReport): void {
  out(
    CELL_OUTPUT_IDS.monthlyReportBucket,
    report.bucket.bucketName,
    'Monthly reports: reports/<YYYY-MM>.html|json|csv',
  );
  out(
    CELL_OUTPUT_IDS.monthlyReportTopicArn,
    report.topic.topicArn,
    'Told when a monthly report is ready (a link, never figures); subscribe people here',
  );
  out(
    CELL_OUTPUT_IDS.monthlyReportFunctionName,
    report.function.fn.functionName,
    'Monthly report function; invoke with {"month": "YYYY-MM"} to build a month again',
  );
  out(
    CELL_OUTPUT_IDS.monthlyReportDlqUrl,
    report.dlq.queueUrl,
    'Monthly report runs that failed or could not be delivered',
  );
  // Timestream cells only (an Aurora cell's report reads its rollup tables, no spec needed).
  if (report.spec) {
    out(
      CELL_OUTPUT_IDS.monthlyReportSpec,
      reportSpecText(report.spec),
      'Latest-state rows each report figure reads (invoice-ops report --cell)',
    );
  }
}

function addAuroraOutputs(out: Out, store: AuroraStore): void {
  out(
    AURORA_OUTPUT_IDS.clusterArn,
    store.clusterArn,
    'Aurora PostgreSQL cluster of the records (RDS Data API)',
  );
  out(
    AURORA_OUTPUT_IDS.secretArn,
    store.secret.secretArn,
    'Secrets Manager secret the Data API signs in with (rotated every 30 days)',
  );
  out(AURORA_OUTPUT_IDS.database, store.databaseName, 'Aurora database of the records');
}

function addStageOutputs(out: Out, stack: CellOutputsSource): void {
  for (const consumer of stack.consumers) {
    const ids = stageOutputIds(consumer.stage);
    const route = stack.routing.routes.find((r) => r.stage.name === consumer.stage.name);
    if (!route) throw new Error(`cell stack: no route for stage ${consumer.stage.name}`);
    const name = consumer.stage.name;
    out(ids.queueUrl, consumer.queue.queueUrl, `${name} FIFO queue`);
    out(ids.queueArn, consumer.queue.queueArn, `${name} FIFO queue ARN (redrive destination)`);
    out(ids.dlqUrl, consumer.dlq.queueUrl, `${name} FIFO DLQ`);
    out(ids.dlqArn, consumer.dlq.queueArn, `${name} FIFO DLQ ARN (redrive source)`);
    out(ids.topicArn, consumer.topic.topicArn, `${name} FIFO topic`);
    out(ids.relayDlqUrl, route.relayDlq.queueUrl, `${name} relay DLQ (bus events not published)`);
    out(ids.relayDlqArn, route.relayDlq.queueArn, `${name} relay DLQ ARN`);
    for (const sub of consumer.subscribers) {
      const subIds = subscriberOutputIds(consumer.stage, sub.subscriber);
      const what = `${name} subscriber ${sub.subscriber.id}`;
      out(subIds.queueUrl, sub.queue.queueUrl, `${what}: FIFO queue of the filtered stage messages`);
      out(subIds.queueArn, sub.queue.queueArn, `${what}: FIFO queue ARN`);
      out(subIds.dlqUrl, sub.dlq.queueUrl, `${what}: FIFO DLQ`);
    }
  }
}
