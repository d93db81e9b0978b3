import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import type { CellTopology } from '../../../cells/topology.js';
import { METRIC_NAMES, METRIC_SERVICES, METRICS_NAMESPACE } from '../../monitoring/metric-names.js';
import {
  type BusDetail,
  type PublishFailure,
  RelayError,
  relayEvents,
  type StagePublisher,
} from '../../relay.js';
import { SnsStagePublisher } from '../sns-publisher.js';
import { relayConfigFrom } from './config.js';
import { cellTopologyFrom } from './topology-env.js';

/**
 * The relay Lambda (EventBridge rule target → stage SNS FIFO topic), as a factory over its
 * dependencies so tests build it with a mocked SNS client and the entry module stays three lines.
 *
 * A failed publish throws {@link RelayError}: the rule invokes the relay asynchronously, so Lambda
 * retries the event and, when retries are exhausted, hands it to the function's on-failure
 * destination / DLQ. Nothing accepted by the bus is dropped.
 *
 * @example
 * export const handler = createRelayHandler(defaultRelayDeps(process.env));
 */
export interface RelayHandlerDeps {
  readonly topology: CellTopology;
  readonly publisher: StagePublisher;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** What an EventBridge rule delivers to the relay (`replay-name` is set on archive replays). */
export type RelayEvent = EventBridgeEvent<string, BusDetail>;

export function createRelayHandler(deps: RelayHandlerDeps) {
  const { topology, publisher, logger, metrics } = deps;
  const relay = async (event: RelayEvent): Promise<void> => {
    logger.appendKeys({
      busEventId: event.id,
      eventId: event.detail?.event?.eventId,
      invoiceId: event.detail?.event?.invoiceId,
      ...(event['replay-name'] ? { replayName: event['replay-name'] } : {}),
    });
    let failed: PublishFailure[];
    try {
      ({ failed } = await relayEvents([event], topology, publisher));
    } catch (error) {
      // Not routable here, or no topic for its stage: a wiring error. Fail so it ends in the DLQ.
      failed = [
        { id: event.id, reason: error instanceof Error ? error.message : String(error), senderFault: true },
      ];
    }
    // Zeros are emitted too, so the alarm's error-rate math always has both series.
    metrics.addMetric(METRIC_NAMES.relayedEvents, MetricUnit.Count, failed.length === 0 ? 1 : 0);
    metrics.addMetric(METRIC_NAMES.relayFailures, MetricUnit.Count, failed.length === 0 ? 0 : 1);
    if (failed.length > 0) {
      logger.error('relay failed; failing the invocation so the event is retried', { failures: failed });
      throw new RelayError(failed);
    }
    logger.debug('relayed');
  };
  return middy(relay)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

/** Production dependencies from the Lambda environment; read once, at module load. */
export function defaultRelayDeps(env: Readonly<Record<string, string | undefined>>): RelayHandlerDeps {
  const config = relayConfigFrom(env);
  const topology = cellTopologyFrom(env);
  const logger = new Logger({ serviceName: METRIC_SERVICES.relay, persistentKeys: { stage: config.stage } });
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: METRIC_SERVICES.relay,
    defaultDimensions: { stage: config.stage },
    logger,
  });
  return {
    topology,
    publisher: new SnsStagePublisher(new SNSClient({}), { [config.stage]: config.topicArn }),
    logger,
    metrics,
  };
}
