import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import middy from '@middy/core';
import type { CellTopology } from '../../../cells/topology.js';
import { PostgresReportSource } from '../../postgresql/report-source.js';
import {
  REPORT_CONTENT_TYPES,
  REPORT_FORMATS,
  type ReportFormat,
  renderReport,
} from '../../reports/render-report.js';
import type { MonthlyReportSource } from '../../reports/report-source.js';
import { generateMonthlyReport } from '../../reports/report-source.js';
import { MetricReportReconciler, type ReportReconciler } from '../aws-report-reconcile.js';
import { DataApiExecutor } from '../data-api-executor.js';
import { type ObjectWriter, S3ObjectWriter, type WrittenObject } from '../s3-object-writer.js';
import { TimestreamReportSource } from '../timestream-report-source.js';
import { checkStageQueues, type MonthlyReportConfig, monthlyReportConfigFrom } from './config.js';
import {
  type MonthlyReportEvent,
  reportMonthOf,
  reportNotice,
  reportObjectKey,
} from './monthly-report-notice.js';
import { cellTopologyFrom } from './topology-env.js';

/**
 * The monthly report job (EventBridge Scheduler, 1st of the month in the cell's time zone): builds
 * the previous month's report with the one report builder (`generateMonthlyReport`) from the
 * cell's store — the Timestream latest-state table, or on an Aurora cell the PostgreSQL rollups
 * (`reportSourceFor`) — (its reconciliation from CloudWatch sums and queue depths), writes it three ways to the report bucket — `reports/<YYYY-MM>.html`, `.json`,
 * `.csv`, each with its content type, SSE-KMS under the report key — and then tells the report topic
 * where they are (`reportNotice`: month, cell, S3 URIs and console links, never a figure: email
 * subscribers get a link, never the data).
 *
 * The event: Scheduler sends `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`, so a delayed or
 * retried run still reports the month before the one it was scheduled in; `{"month": "2026-10"}`
 * rebuilds that month (e.g. `aws lambda invoke --payload '{"month":"2026-10"}'` after late events);
 * `{}` reports the month before now. Writing again replaces the objects (the bucket keeps the older
 * versions). Nothing is written when the report cannot be built, and nothing is published when an
 * object could not be written: the invocation fails and is retried, then dead-lettered.
 *
 * @example
 * export const handler = createMonthlyReportHandler(defaultMonthlyReportDeps(process.env));
 */

/** The Powertools `service` of the job's logs. */
export const MONTHLY_REPORT_SERVICE = 'invoice-monthly-report';

export interface MonthlyReportDeps {
  readonly config: MonthlyReportConfig;
  readonly source: MonthlyReportSource;
  readonly writer: ObjectWriter;
  readonly snsClient: SNSClient;
  readonly logger: Logger;
  /** @default Date.now */
  readonly now?: () => number;
  /** Vendors listed by name per currency (the builder's default otherwise). */
  readonly topVendors?: number;
}

/** One written rendering. */
export interface WrittenReport extends WrittenObject {
  readonly format: ReportFormat;
  readonly contentType: string;
}

/** What one run did (the invocation's result). */
export interface MonthlyReportResult {
  readonly month: string;
  /** `scheduled` (from the schedule or `{}`), or `requested` (an explicit `month`). */
  readonly reason: 'scheduled' | 'requested';
  readonly objects: readonly WrittenReport[];
  readonly messageId?: string;
}

export function createMonthlyReportHandler(deps: MonthlyReportDeps) {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;

  const run = async (event: MonthlyReportEvent | null | undefined): Promise<MonthlyReportResult> => {
    const nowMs = now();
    const { month, reason } = reportMonthOf(event, config.timeZone, nowMs);
    const report = await generateMonthlyReport(deps.source, {
      month,
      timeZone: config.timeZone,
      cell: config.cellName,
      nowMs,
      ...(deps.topVendors !== undefined ? { topVendors: deps.topVendors } : {}),
    });
    const objects: WrittenReport[] = [];
    for (const format of REPORT_FORMATS) {
      const contentType = REPORT_CONTENT_TYPES[format];
      const written = await deps.writer.put({
        key: reportObjectKey(month, format),
        body: renderReport(report, format),
        contentType,
      });
      objects.push({ ...written, format, contentType });
    }
    const notice = reportNotice({
      cell: config.cellName,
      region: config.region,
      bucket: deps.writer.bucket,
      report,
      reason,
      objects,
    });
    const published = await deps.snsClient.send(
      new PublishCommand({ TopicArn: config.topicArn, Subject: notice.subject, Message: notice.message }),
    );
    logger.info('monthly report written', {
      month,
      reason,
      monthComplete: report.monthComplete,
      keys: objects.map((o) => o.key),
      messageId: published.MessageId,
    });
    return { month, reason, objects, ...(published.MessageId ? { messageId: published.MessageId } : {}) };
  };

  return middy(run).use(injectLambdaContext(logger, { resetKeys: true }));
}

/** Production dependencies from the Lambda environment; read once, at module load. */
export function defaultMonthlyReportDeps(
  env: Readonly<Record<string, string | undefined>>,
): MonthlyReportDeps {
  const config = monthlyReportConfigFrom(env);
  const topology = cellTopologyFrom(env);
  checkStageQueues(config.stageQueues, topology);
  const logger = new Logger({
    serviceName: MONTHLY_REPORT_SERVICE,
    persistentKeys: { cell: config.cellName },
  });
  const snsClient = new SNSClient({ region: config.region });
  const reconciler = new MetricReportReconciler({
    cloudWatch: new CloudWatchClient({ region: config.region }),
    sqs: new SQSClient({ region: config.region }),
    topology,
    queues: config.stageQueues,
  });
  const source = reportSourceFor(config, topology, reconciler);
  const writer = new S3ObjectWriter({
    client: new S3Client({ region: config.region }),
    bucket: config.bucket,
    kmsKeyArn: config.keyArn,
  });
  return { config, source, writer, snsClient, logger };
}

/**
 * The report source the cell's store names, as the processor chooses its store: the Timestream
 * latest-state table, or the Aurora PostgreSQL rollups and invoice state through the RDS Data API.
 * Both take the same reconciliation (CloudWatch sums and queue depths).
 *
 * @example
 * const source = reportSourceFor(config, topology, reconciler);
 */
export function reportSourceFor(
  config: MonthlyReportConfig,
  topology: CellTopology,
  reconciler: ReportReconciler,
): MonthlyReportSource {
  const { store, region } = config;
  if (store.kind === 'aurora-postgresql') {
    // The store's cluster, secret and database, on the executor's default client: a module
    // singleton without SDK retries (the executor retries, never a statement in a transaction twice).
    const executor = new DataApiExecutor(store);
    return new PostgresReportSource({ executor, topology, reconciler });
  }
  return new TimestreamReportSource({
    client: new TimestreamQueryClient({ region }),
    database: store.database,
    latestTable: store.table,
    spec: store.spec,
    topology,
    reconciler,
  });
}
