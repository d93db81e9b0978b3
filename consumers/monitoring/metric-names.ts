/**
 * The CloudWatch metrics the Lambda handlers emit (EMF through Powertools Metrics): one place for
 * the names, so the CDK alarms and dashboards select exactly what the handlers publish.
 *
 * A CloudWatch metric is identified by its name *and its full dimension set*. Powertools always
 * adds a `service` dimension, so every metric below carries `service` (from {@link METRIC_SERVICES})
 * and `stage`, plus the extra dimension listed in {@link METRIC_DIMENSION_SETS}.
 *
 * @example
 * new cloudwatch.Metric({
 *   namespace: METRICS_NAMESPACE,
 *   metricName: METRIC_NAMES.eventsProcessed,
 *   dimensionsMap: { service: METRIC_SERVICES.processor, stage: stage.name },
 * });
 */
export const METRICS_NAMESPACE = 'InvoicePlatform';

/** The Powertools `service` dimension (and log `service` key) of each handler. */
export const METRIC_SERVICES = {
  relay: 'invoice-relay',
  processor: 'invoice-processor',
} as const;

export const METRIC_NAMES = {
  /** Relay: bus events published to the stage topic (Count). */
  relayedEvents: 'RelayedEvents',
  /** Relay: bus events whose publish failed; the invocation then fails and is retried (Count). */
  relayFailures: 'RelayFailures',
  /** Processor: messages whose record is in the store (Count). Includes replays and duplicates. */
  eventsProcessed: 'EventsProcessed',
  /** Processor: of those, messages delivered by an archive replay (Count). */
  replayedEventsProcessed: 'ReplayedEventsProcessed',
  /** Processor: messages whose eventId was already stored with other values (first write wins; Count). */
  duplicateEvents: 'DuplicateEvents',
  /** Processor: API acceptance → record stored, ms. Not emitted for replays (their age is history). */
  ingestToStoreLatency: 'IngestToStoreLatency',
  /** Processor: messages returned to the queue (Count); total, and again per `kind`. */
  processingFailures: 'ProcessingFailures',
  /** Processor: transient store errors retried in-invocation (Count). */
  storeRetries: 'StoreRetries',
  /** Processor: stored messages per currency (Count). */
  currencyEventsProcessed: 'CurrencyEventsProcessed',
  /** Processor: sum of stored amounts in integer minor units per currency (Count, see processor-telemetry). */
  processedAmountMinor: 'ProcessedAmountMinor',
} as const;

export const METRIC_DIMENSIONS = {
  service: 'service',
  stage: 'stage',
  /** A `FailureKind` from the stage processor: invalid, rejected, transient, group-blocked. */
  kind: 'kind',
  currency: 'currency',
} as const;

/**
 * The dimension set each metric is published with. `ProcessingFailures` is published twice:
 * once per stage (alarms: error rate) and once per stage and kind (dashboards).
 */
export const METRIC_DIMENSION_SETS: Readonly<Record<keyof typeof METRIC_NAMES, readonly string[][]>> = {
  relayedEvents: [['service', 'stage']],
  relayFailures: [['service', 'stage']],
  eventsProcessed: [['service', 'stage']],
  replayedEventsProcessed: [['service', 'stage']],
  duplicateEvents: [['service', 'stage']],
  ingestToStoreLatency: [['service', 'stage']],
  processingFailures: [
    ['service', 'stage'],
    ['service', 'stage', 'kind'],
  ],
  storeRetries: [['service', 'stage']],
  currencyEventsProcessed: [['service', 'stage', 'currency']],
  processedAmountMinor: [['service', 'stage', 'currency']],
};
