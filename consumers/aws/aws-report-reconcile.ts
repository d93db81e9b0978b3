import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CellTopology, StageName } from '../../cells/topology.js';
import { isoFromMs } from '../../schemas/time.js';
import type { ReconcileStageRow, ReconciliationData } from '../reports/monthly-report.js';
import type { ReportRange } from '../reports/report-source.js';
import { describeAwsError } from './aws-errors.js';
import {
  METRIC_RECONCILE_NOTES,
  metricStageCounts,
  reconcileMetricQueries,
  stageSums,
  sumMetricData,
} from './metric-reconcile.js';

/**
 * The monthly report's reconciliation on AWS: the same approximate, count-only reconciliation as
 * `invoice-ops reconcile --cell` (`metric-reconcile.ts`) over the report month — per stage the
 * relay's `RelayedEvents` and the processor's `EventsProcessed` summed from the month's start to its
 * as-of time (hourly CloudWatch points), against the stage queue's and DLQ's depths at generation
 * time — shaped as the report's {@link ReconciliationData}, with notes saying why it is approximate.
 *
 * No event id can be named on AWS, so a shortfall is `missing` by count only and a surplus (messages
 * from before the month, replays, duplicates) is `unexpected` by count; `balanced` means no
 * shortfall. `complete` is false when the month starts before CloudWatch's hourly retention (455
 * days), i.e. part of the month's sums are gone. A failed call fails the read with a
 * {@link ReportReconcileError}: a report is never built from part of its data.
 *
 * @example
 * const reconciler = new MetricReportReconciler({ cloudWatch, sqs, topology, queues });
 * const { reconciliation, notes } = await reconciler.read(range);
 */

/** One stage's queue and DLQ, as SQS queue URLs. */
export interface StageQueueUrls {
  readonly queueUrl: string;
  readonly dlqUrl: string;
}

/** What the report source merges into its data. */
export interface ReportReconciliationRead {
  readonly reconciliation: ReconciliationData;
  readonly notes: readonly string[];
}

/** The reconciliation part of a month's report data. */
export interface ReportReconciler {
  read(range: ReportRange): Promise<ReportReconciliationRead>;
}

export interface MetricReportReconcilerOptions {
  readonly cloudWatch: CloudWatchClient;
  readonly sqs: SQSClient;
  /** Stage order (the metrics' `stage` dimension). */
  readonly topology: CellTopology;
  /** Every stage's queues. */
  readonly queues: ReadonlyMap<StageName, StageQueueUrls>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The reconciliation's counters could not be read. */
export class ReportReconcileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReportReconcileError';
  }
}

/** Hourly sums, the period the month's sums are read at. */
export const REPORT_RECONCILE_PERIOD_SEC = 3600;

/**
 * CloudWatch keeps hourly data points for 455 days
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
 */
export const HOURLY_METRIC_RETENTION_MS = 455 * 86_400_000;

/** What the report says about this reconciliation, whatever the month. */
export const METRIC_REPORT_RECONCILE_NOTES: readonly string[] = [
  ...METRIC_RECONCILE_NOTES,
  'on AWS missing is the shortfall accepted − stored − in DLQ − in flight and unexpected the surplus, by ' +
    'count only; balanced means no shortfall (a surplus is messages from before the month, replays or ' +
    'duplicates, no loss)',
].map((n) => `reconciliation: ${n}`);

export class MetricReportReconciler implements ReportReconciler {
  readonly #options: MetricReportReconcilerOptions;

  constructor(options: MetricReportReconcilerOptions) {
    for (const stage of options.topology.stages) {
      if (!options.queues.has(stage.name)) {
        throw new ReportReconcileError(`reconciliation: no queue URLs for stage ${stage.name}`);
      }
    }
    this.#options = options;
  }

  async read(range: ReportRange): Promise<ReportReconciliationRead> {
    const { topology, queues } = this.#options;
    const nowMs = (this.#options.now ?? Date.now)();
    const queries = reconcileMetricQueries(topology.stages, REPORT_RECONCILE_PERIOD_SEC);
    const [sums, depths] = await Promise.all([
      // A month that starts right now has no sums yet (GetMetricData wants StartTime before EndTime).
      range.asOfMs > range.fromMs
        ? this.#call('CloudWatch GetMetricData', () =>
            sumMetricData(this.#options.cloudWatch, queries, range.fromMs, range.asOfMs),
          )
        : new Map<string, number>(),
      Promise.all(
        topology.stages.map(async (stage) => {
          const urls = queues.get(stage.name) as StageQueueUrls;
          return { dlq: await this.#depth(urls.dlqUrl), queue: await this.#depth(urls.queueUrl) };
        }),
      ),
    ]);
    const stages = topology.stages.map((stage, i): ReconcileStageRow => {
      const depth = depths[i] ?? { dlq: 0, queue: 0 };
      const c = metricStageCounts(stage.name, {
        ...stageSums(sums, i),
        inDlq: depth.dlq,
        inFlight: depth.queue,
      });
      return {
        stage: c.stage,
        accepted: c.accepted,
        stored: c.stored,
        inDlqNow: c.inDlq,
        inFlightNow: c.inFlight,
        missing: Math.max(0, c.gap),
        unexpected: Math.max(0, -c.gap),
        balanced: c.balanced,
      };
    });
    const retainedFromMs = nowMs - HOURLY_METRIC_RETENTION_MS;
    const complete = range.fromMs >= retainedFromMs;
    const notes = complete
      ? METRIC_REPORT_RECONCILE_NOTES
      : [
          `reconciliation is incomplete: CloudWatch keeps hourly metrics for 455 days, so only the month from ` +
            `${isoFromMs(Math.min(retainedFromMs, range.asOfMs))} is reconciled`,
          ...METRIC_REPORT_RECONCILE_NOTES,
        ];
    return { reconciliation: { complete, stages }, notes };
  }

  /** Visible plus in-flight messages of a queue (SQS `GetQueueAttributes`, approximate). */
  async #depth(queueUrl: string): Promise<number> {
    const out = await this.#call(`SQS GetQueueAttributes ${queueUrl}`, () =>
      this.#options.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      ),
    );
    const count = (name: 'ApproximateNumberOfMessages' | 'ApproximateNumberOfMessagesNotVisible'): number => {
      const text = out.Attributes?.[name] ?? '0';
      const n = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) {
        throw new ReportReconcileError(`reconciliation: ${queueUrl} ${name} is not a count: "${text}"`);
      }
      return n;
    };
    return count('ApproximateNumberOfMessages') + count('ApproximateNumberOfMessagesNotVisible');
  }

  async #call<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new ReportReconcileError(`reconciliation: ${what} failed: ${describeAwsError(error)}`, {
        cause: error,
      });
    }
  }
}
