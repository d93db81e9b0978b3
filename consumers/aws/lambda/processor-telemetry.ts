import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { StageMessage } from '../../../schemas/types.js';
import { METRIC_DIMENSIONS, METRIC_NAMES } from '../../monitoring/metric-names.js';
import type { InvoiceRecord } from '../../record.js';
import type { FailureKind, ProcessorObserver, ProcessorRecord } from '../../stage-processor.js';

/**
 * The processor's {@link ProcessorObserver} on Lambda: structured logs (Powertools Logger) and EMF
 * metrics (Powertools Metrics). One instance per invocation; {@link ProcessorTelemetry.flush} emits
 * the per-kind and per-currency metrics once per batch instead of one EMF line per message.
 *
 * Latency uses the wall clock, which is fine for a metric and never used for the record (the record
 * must be identical on replay). Replayed messages are counted but left out of the latency metric:
 * their age is the archive's, not the pipeline's, and would trip the p99 alarm.
 *
 * @example
 * const telemetry = new ProcessorTelemetry({ logger, metrics }, event.Records);
 * const result = await processBatch(event.Records, { ...deps, observer: telemetry });
 * telemetry.flush();
 */
export class ProcessorTelemetry implements ProcessorObserver {
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #now: () => number;
  readonly #records: ReadonlyMap<string, ProcessorRecord>;
  readonly #failuresByKind = new Map<FailureKind, number>();
  readonly #eventsByCurrency = new Map<string, number>();
  readonly #amountByCurrency = new Map<string, bigint>();

  constructor(
    deps: { readonly logger: Logger; readonly metrics: Metrics; readonly now?: () => number },
    records: readonly ProcessorRecord[],
  ) {
    this.#logger = deps.logger;
    this.#metrics = deps.metrics;
    this.#now = deps.now ?? Date.now;
    this.#records = new Map(records.map((r) => [r.messageId, r]));
  }

  stored(record: InvoiceRecord, message: StageMessage): void {
    const { currency } = record.dimensions;
    this.#metrics.addMetric(METRIC_NAMES.eventsProcessed, MetricUnit.Count, 1);
    if (message.replayName) {
      this.#metrics.addMetric(METRIC_NAMES.replayedEventsProcessed, MetricUnit.Count, 1);
    } else {
      const latencyMs = Math.max(0, this.#now() - message.receivedAtMs);
      this.#metrics.addMetric(METRIC_NAMES.ingestToStoreLatency, MetricUnit.Milliseconds, latencyMs);
    }
    this.#eventsByCurrency.set(currency, (this.#eventsByCurrency.get(currency) ?? 0) + 1);
    this.#amountByCurrency.set(
      currency,
      (this.#amountByCurrency.get(currency) ?? 0n) + BigInt(record.measures.amountMinor),
    );
  }

  failed(messageId: string, kind: FailureKind, reason: string): void {
    const record = this.#records.get(messageId);
    const fields = {
      messageId,
      kind,
      reason,
      invoiceId: record?.attributes.MessageGroupId,
      receiveCount: record?.attributes.ApproximateReceiveCount,
    };
    // A message blocked behind its invoice's failure is expected follow-on, not a new problem.
    if (kind === 'group-blocked' || kind === 'transient')
      this.#logger.warn('message returned to the queue', fields);
    else this.#logger.error('message returned to the queue', fields);
    this.#metrics.addMetric(METRIC_NAMES.processingFailures, MetricUnit.Count, 1);
    this.#failuresByKind.set(kind, (this.#failuresByKind.get(kind) ?? 0) + 1);
  }

  retrying(attempt: number, error: unknown): void {
    this.#logger.warn('transient store error; retrying with backoff', {
      attempt,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    this.#metrics.addMetric(METRIC_NAMES.storeRetries, MetricUnit.Count, 1);
  }

  /** Emits the batch's per-kind and per-currency metrics (each its own dimension set). */
  flush(): void {
    for (const [kind, count] of this.#failuresByKind) {
      this.#metrics
        .singleMetric()
        .addDimension(METRIC_DIMENSIONS.kind, kind)
        .addMetric(METRIC_NAMES.processingFailures, MetricUnit.Count, count);
    }
    for (const [currency, count] of this.#eventsByCurrency) {
      const single = this.#metrics.singleMetric().addDimension(METRIC_DIMENSIONS.currency, currency);
      single.addMetric(METRIC_NAMES.currencyEventsProcessed, MetricUnit.Count, count);
      // Money never becomes a float here: CloudWatch stores doubles, which hold integers exactly
      // only up to 2^53. A batch sum beyond that is skipped (and logged) rather than rounded; the
      // store, not the metric, is the source of truth for amounts.
      const sum = this.#amountByCurrency.get(currency) ?? 0n;
      const limit = BigInt(Number.MAX_SAFE_INTEGER);
      if (sum <= limit && sum >= -limit) {
        this.#metrics
          .singleMetric()
          .addDimension(METRIC_DIMENSIONS.currency, currency)
          .addMetric(METRIC_NAMES.processedAmountMinor, MetricUnit.Count, Number(sum));
      } else {
        this.#logger.warn('batch amount too large for an exact metric; not emitted', {
          currency,
          amountMinorSum: sum.toString(),
        });
      }
    }
    this.#failuresByKind.clear();
    this.#eventsByCurrency.clear();
    this.#amountByCurrency.clear();
  }
}
