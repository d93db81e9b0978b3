import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import middy from '@middy/core';
import type { CellTopology } from '../../../cells/topology.js';
import {
  MONITOR_METRIC_NAMES,
  MONITOR_METRIC_SERVICE,
  MONITOR_METRICS_NAMESPACE,
} from '../../monitoring/monitor-metrics.js';
import type { StuckInvoice } from '../../monitoring/stuck.js';
import { formatStuckAlert } from '../../monitoring/stuck-alert.js';
import type { StuckInvoiceReader } from '../../monitoring/stuck-reader.js';
import { PostgresStuckReader } from '../../postgresql/postgres-stuck-reader.js';
import { DataApiExecutor } from '../data-api-executor.js';
import { TimestreamStuckReader } from '../timestream-stuck-reader.js';
import { type StuckMonitorConfig, stuckMonitorConfigFrom } from './config.js';
import { cellTopologyFrom } from './topology-env.js';

/**
 * The scheduled stuck-invoice monitor (EventBridge Scheduler, every 5 minutes): the AWS half of the
 * business "stuck event" check (DESIGN §4). It asks the cell's store, through the
 * {@link StuckInvoiceReader} port, for the invoices past their stage SLA — Timestream's stuck-state
 * rows (`TimestreamStuckReader`) or Aurora's `invoice_state` deadline index
 * (`PostgresStuckReader`) — publishes `StuckInvoices` per stage (EMF, the metric the `<stage>-stuck-invoices` alarms watch; zeros included, so a
 * healthy stage reads 0 instead of "no data"), and, when any invoice is stuck, publishes a
 * bounded list to the warning topic.
 *
 * A failed query fails the invocation: no metric is published, and the alarms, which treat missing
 * data as missing, go to INSUFFICIENT_DATA — "nobody is watching" is visible, not silent.
 *
 * @example
 * export const handler = createStuckMonitorHandler(defaultStuckMonitorDeps(process.env));
 */
export interface StuckMonitorDeps {
  readonly config: StuckMonitorConfig;
  readonly topology: CellTopology;
  /** The store's stuck read (Timestream or Aurora, by `config.store`). */
  readonly reader: StuckInvoiceReader;
  readonly snsClient: SNSClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Wall clock: an invoice's age is measured against it. @default Date.now */
  readonly now?: () => number;
  /** Invoices named in one alert. @default 50 */
  readonly maxAlertInvoices?: number;
}

/** What one run found (also the invocation's result, visible in tests and in the console). */
export interface StuckMonitorResult {
  /** Rows the query returned (candidates). */
  readonly rows: number;
  readonly stuck: number;
  readonly byStage: Readonly<Record<string, number>>;
  /** Invoices named in the alert; 0 when no alert was sent. */
  readonly alerted: number;
}

export function createStuckMonitorHandler(deps: StuckMonitorDeps) {
  const { logger, metrics } = deps;
  const now = deps.now ?? Date.now;

  const check = async (): Promise<StuckMonitorResult> => {
    const nowMs = now();
    const { rows, stuck, total, counts } = await deps.reader.read(nowMs);
    emitStuckCounts(metrics, counts);
    const byStage = Object.fromEntries(counts);
    let alerted = 0;
    if (stuck.length > 0) {
      alerted = await sendStuckAlert(deps, stuck, counts, nowMs);
      logger.warn('stuck invoices', { stuck: total, byStage, mostOverdue: stuck[0]?.invoiceId });
    } else {
      logger.info('no stuck invoices', { rows });
    }
    return { rows, stuck: total, byStage, alerted };
  };

  return middy(check).use(injectLambdaContext(logger, { resetKeys: true }));
}

/** One EMF blob per stage: the alarm selects the metric by its exact dimensions {service, stage}. */
function emitStuckCounts(metrics: Metrics, counts: ReadonlyMap<string, number>): void {
  for (const [stage, count] of counts) {
    const single = metrics.singleMetric();
    single.addDimension('stage', stage);
    single.addMetric(MONITOR_METRIC_NAMES.stuckInvoices, MetricUnit.Count, count);
  }
}

/** Publishes the bounded stuck list to the alert topic; answers how many invoices it names. */
async function sendStuckAlert(
  deps: StuckMonitorDeps,
  stuck: readonly StuckInvoice[],
  counts: ReadonlyMap<string, number>,
  nowMs: number,
): Promise<number> {
  const alert = formatStuckAlert(stuck, {
    cellName: deps.config.cellName,
    nowMs,
    counts,
    ...(deps.maxAlertInvoices !== undefined ? { maxInvoices: deps.maxAlertInvoices } : {}),
  });
  await deps.snsClient.send(
    new PublishCommand({
      TopicArn: deps.config.alertTopicArn,
      Subject: alert.subject,
      Message: alert.message,
    }),
  );
  return alert.listed;
}

/**
 * The store's stuck read from the configuration: Timestream's latest-state table, or the Aurora
 * cluster through the Data API (its module-singleton client).
 */
function stuckReaderFor(config: StuckMonitorConfig, topology: CellTopology): StuckInvoiceReader {
  const { store } = config;
  if (store.kind === 'aurora-postgresql') {
    // The store's cluster, secret and database, on the executor's default client: a module
    // singleton without SDK retries (the executor retries, never a statement in a transaction twice).
    const executor = new DataApiExecutor(store);
    return new PostgresStuckReader(executor, topology, { lookbackSec: config.lookbackHours * 3_600 });
  }
  return new TimestreamStuckReader(
    {
      queryClient: new TimestreamQueryClient({ region: config.region }),
      database: store.database,
      table: store.table,
      lookbackHours: config.lookbackHours,
    },
    topology,
  );
}

/** Production dependencies from the Lambda environment; read once, at module load. */
export function defaultStuckMonitorDeps(env: Readonly<Record<string, string | undefined>>): StuckMonitorDeps {
  const config = stuckMonitorConfigFrom(env);
  const topology = cellTopologyFrom(env);
  const logger = new Logger({
    serviceName: MONITOR_METRIC_SERVICE,
    persistentKeys: { cell: config.cellName },
  });
  const metrics = new Metrics({
    namespace: MONITOR_METRICS_NAMESPACE,
    serviceName: MONITOR_METRIC_SERVICE,
    logger,
  });
  return {
    config,
    topology,
    reader: stuckReaderFor(config, topology),
    snsClient: new SNSClient({ region: config.region }),
    logger,
    metrics,
  };
}
