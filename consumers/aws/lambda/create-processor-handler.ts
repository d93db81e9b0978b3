import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type BusinessTimeWindow, businessTimeWindow } from '../../../cells/business-time.js';
import type { CellTopology } from '../../../cells/topology.js';
import { METRIC_NAMES, METRIC_SERVICES, METRICS_NAMESPACE } from '../../monitoring/metric-names.js';
import { PostgresStore } from '../../postgresql/postgres-store.js';
import { processBatch } from '../../stage-processor.js';
import type { TimeseriesStore } from '../../store.js';
import { DataApiExecutor } from '../data-api-executor.js';
import { TimestreamStore } from '../timestream-store.js';
import { type ProcessorConfig, processorConfigFrom } from './config.js';
import { ProcessorTelemetry } from './processor-telemetry.js';
import { cellTopologyFrom } from './topology-env.js';

/**
 * The stage processor Lambda (SQS FIFO event source, batches of ≤ 10), as a factory over its
 * dependencies so tests build it with mocked Timestream clients. The handler only delegates:
 * `processBatch` does the FIFO-correct partial batch failure, the one write per batch and the
 * retries; the answer is its `batchItemFailures` (the event source needs `ReportBatchItemFailures`).
 *
 * @example
 * export const handler = createProcessorHandler(defaultProcessorDeps(process.env));
 */
export interface ProcessorHandlerDeps {
  readonly config: ProcessorConfig;
  readonly store: TimeseriesStore;
  /** The cell's business-time window, from its topology (`CELL_TOPOLOGY`). */
  readonly businessTime: BusinessTimeWindow;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Wall clock for the latency metric only. */
  readonly now?: () => number;
  /** Backoff of transient store errors; defaults are the processor's (tests shorten them). */
  readonly retryBaseDelayMs?: number;
  readonly retryMaxDelayMs?: number;
}

export function createProcessorHandler(deps: ProcessorHandlerDeps) {
  const { config, store, logger, metrics } = deps;
  const cell = { cell: config.cellName, region: config.region };
  const processSqsBatch = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const telemetry = new ProcessorTelemetry(deps, event.Records);
    const response = await processBatch(event.Records, {
      stage: config.stage,
      cell,
      store,
      businessTime: deps.businessTime,
      observer: telemetry,
      retryBudgetMs: config.retryBudgetMs,
      ...(deps.retryBaseDelayMs !== undefined ? { retryBaseDelayMs: deps.retryBaseDelayMs } : {}),
      ...(deps.retryMaxDelayMs !== undefined ? { retryMaxDelayMs: deps.retryMaxDelayMs } : {}),
    });
    telemetry.flush();
    return response;
  };
  return middy(processSqsBatch)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

/**
 * Production dependencies from the Lambda environment; called once, at module load, so the
 * store's SDK clients (Timestream, or RDS Data for an Aurora cell) are module singletons reused
 * across invocations.
 */
export function defaultProcessorDeps(
  env: Readonly<Record<string, string | undefined>>,
): ProcessorHandlerDeps {
  const config = processorConfigFrom(env);
  const topology = cellTopologyFrom(env);
  const logger = new Logger({
    serviceName: METRIC_SERVICES.processor,
    persistentKeys: { stage: config.stage, cell: config.cellName },
  });
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: METRIC_SERVICES.processor,
    defaultDimensions: { stage: config.stage },
    logger,
  });
  const store = storeFor(config, topology, logger, metrics);
  return { config, store, businessTime: businessTimeWindow(topology.settings), logger, metrics };
}

/**
 * The store the cell's configuration names: Timestream, or Aurora PostgreSQL through the RDS Data
 * API (the processor stays outside any VPC). Its SDK client is created here, once per execution
 * environment.
 */
export function storeFor(
  config: ProcessorConfig,
  topology: CellTopology,
  logger: Logger,
  metrics: Metrics,
): TimeseriesStore {
  const { store, region } = config;
  if (store.kind === 'aurora-postgresql') {
    // The store's cluster, secret and database, on the executor's default client: a module
    // singleton without SDK retries (the executor retries, never a statement in a transaction twice).
    const executor = new DataApiExecutor(store);
    return new PostgresStore(executor, { topology });
  }
  return new TimestreamStore({
    writeClient: new TimestreamWriteClient({ region }),
    queryClient: new TimestreamQueryClient({ region }),
    database: store.database,
    table: store.table,
    topology,
    onDuplicate: (record, existingVersion, reason) => {
      logger.warn('eventId already stored with other values; first write wins', {
        eventId: record.dimensions.eventId,
        invoiceId: record.dimensions.invoiceId,
        existingVersion,
        reason,
      });
      metrics.addMetric(METRIC_NAMES.duplicateEvents, MetricUnit.Count, 1);
    },
  });
}
