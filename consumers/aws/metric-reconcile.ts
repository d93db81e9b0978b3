import {
  type CloudWatchClient,
  type MetricDataQuery,
  paginateGetMetricData,
} from '@aws-sdk/client-cloudwatch';
import type { StageName, StageTopology } from '../../cells/topology.js';
import { METRIC_NAMES, METRIC_SERVICES, METRICS_NAMESPACE } from '../monitoring/metric-names.js';

/**
 * The approximate, count-only reconciliation of a deployed cell, shared by the ops CLI
 * (`invoice-ops reconcile --cell`) and the monthly report (Lambda and `invoice-ops report --cell`):
 * per stage, accepted = the relay's `RelayedEvents` and stored = the processor's `EventsProcessed`
 * (CloudWatch sums over the window), against the current DLQ and queue depths. The queries and the
 * arithmetic live here; the callers read the metrics and the queues with their own clients and
 * error handling.
 *
 * @example
 * const queries = reconcileMetricQueries(topology.stages, reconcilePeriodSec(window));
 * const sums = await sumMetricData(cloudWatch, queries, window.fromMs, window.toMs);
 * const counts = metricStageCounts(stage.name, { ...stageSums(sums, 0), inDlq: 0, inFlight: 2 });
 */

/**
 * GetMetricData takes at most 500 queries per request
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
 */
export const MAX_METRIC_QUERIES_PER_REQUEST = 500;

/** Why the counts are approximate (the CLI's `reconcile` notes; the report prefixes them). */
export const METRIC_RECONCILE_NOTES: readonly string[] = [
  'approximate: accepted = relay RelayedEvents and stored = processor EventsProcessed (CloudWatch sums by publish time, replays included); DLQ and in-flight are current queue totals, not limited to the window',
  'a replay deduplicated within the 5-minute window is relayed but not processed and shows as a gap; let it age out of the window or compare a quieter window',
  'event ids cannot be named on AWS (the archive is not queryable by id); replaying the window repairs a real gap (writes are idempotent)',
];

/** The sums' period: one-minute points for a window up to a day, hourly points beyond (fewer points). */
export function reconcilePeriodSec(window: { readonly fromMs: number; readonly toMs: number }): number {
  return window.toMs - window.fromMs > 86_400_000 ? 3600 : 60;
}

/** The id of a stage's relayed (`relayed<i>`) and processed (`processed<i>`) sum query. */
export function reconcileQueryIds(index: number): { readonly relayed: string; readonly processed: string } {
  return { relayed: `relayed${index}`, processed: `processed${index}` };
}

/** The window sum of one of the cell's metrics for one stage. */
function sumQuery(id: string, service: string, name: string, stage: StageName, periodSec: number) {
  return {
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: METRICS_NAMESPACE,
        MetricName: name,
        Dimensions: [
          { Name: 'service', Value: service },
          { Name: 'stage', Value: stage },
        ],
      },
      Period: periodSec,
      Stat: 'Sum',
    },
  } satisfies MetricDataQuery;
}

/**
 * Two sum queries per stage, in stage order: `RelayedEvents` of the relay and `EventsProcessed` of
 * the processor, ids from {@link reconcileQueryIds}. Pure.
 */
export function reconcileMetricQueries(
  stages: readonly StageTopology[],
  periodSec: number,
): MetricDataQuery[] {
  return stages.flatMap((stage, i) => {
    const ids = reconcileQueryIds(i);
    return [
      sumQuery(ids.relayed, METRIC_SERVICES.relay, METRIC_NAMES.relayedEvents, stage.name, periodSec),
      sumQuery(ids.processed, METRIC_SERVICES.processor, METRIC_NAMES.eventsProcessed, stage.name, periodSec),
    ];
  });
}

/** Stage `index`'s accepted and stored sums (0 for a query without data points). Pure. */
export function stageSums(
  sums: ReadonlyMap<string, number>,
  index: number,
): { readonly accepted: number; readonly stored: number } {
  const ids = reconcileQueryIds(index);
  return { accepted: sums.get(ids.relayed) ?? 0, stored: sums.get(ids.processed) ?? 0 };
}

/** One stage's count-based reconciliation. */
export interface MetricStageCounts {
  readonly stage: StageName;
  readonly accepted: number;
  readonly stored: number;
  readonly inDlq: number;
  readonly inFlight: number;
  /** Accepted events accounted for: `min(accepted, stored + inDlq + inFlight)`. */
  readonly accounted: number;
  /** `accepted − stored − inDlq − inFlight`: positive is a shortfall, negative a surplus. */
  readonly gap: number;
  /** No shortfall (a surplus — messages from outside the window, replays — is no loss). */
  readonly balanced: boolean;
}

/** One stage's count-based reconciliation. Pure. */
export function metricStageCounts(
  stage: StageName,
  counts: {
    readonly accepted: number;
    readonly stored: number;
    readonly inDlq: number;
    readonly inFlight: number;
  },
): MetricStageCounts {
  const { accepted, stored, inDlq, inFlight } = counts;
  const gap = accepted - stored - inDlq - inFlight;
  return {
    stage,
    accepted,
    stored,
    inDlq,
    inFlight,
    accounted: Math.min(accepted, stored + inDlq + inFlight),
    gap,
    // Counts only: more accounted than accepted (messages from outside the window) is no loss.
    balanced: gap <= 0,
  };
}

/**
 * Runs CloudWatch `GetMetricData` over all pages (the SDK paginator), 500 queries a request, and
 * reduces each query's values by sum (the default) or max; a query with no data point has no entry.
 * SDK errors pass through. The Lambdas and the ops CLI (`metric-values.ts`) both read through it.
 *
 * @example
 * const sums = await sumMetricData(cloudWatch, queries, fromMs, toMs);
 * const maxima = await sumMetricData(cloudWatch, queries, fromMs, toMs, 'max');
 */
export async function sumMetricData(
  cloudWatch: CloudWatchClient,
  queries: readonly MetricDataQuery[],
  fromMs: number,
  toMs: number,
  reduce: 'sum' | 'max' = 'sum',
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let start = 0; start < queries.length; start += MAX_METRIC_QUERIES_PER_REQUEST) {
    const input = {
      MetricDataQueries: queries.slice(start, start + MAX_METRIC_QUERIES_PER_REQUEST),
      StartTime: new Date(fromMs),
      EndTime: new Date(toMs),
    };
    for await (const page of paginateGetMetricData({ client: cloudWatch }, input)) {
      for (const result of page.MetricDataResults ?? []) {
        if (!result.Id) continue;
        for (const v of result.Values ?? []) {
          const prev = out.get(result.Id);
          out.set(result.Id, prev === undefined ? v : reduce === 'sum' ? prev + v : Math.max(prev, v));
        }
      }
    }
  }
  return out;
}
