import {
  METRIC_RECONCILE_NOTES,
  metricStageCounts,
  reconcileMetricQueries,
  reconcilePeriodSec,
  stageSums,
} from '../../../consumers/aws/metric-reconcile.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { ReconcileReport, ReconcileStage, TimeWindow } from '../backend.js';
import { type AwsCell, stageResources } from './aws-cell.js';
import { metricValues } from './metric-values.js';
import { queueDepth } from './queue-depth.js';

/**
 * `reconcile` on a deployed cell, by counts only: accepted = the relay's `RelayedEvents` and
 * stored = the processor's `EventsProcessed` (CloudWatch sums over the window), against the
 * current DLQ and queue depths. Approximate; the report's notes say why. The queries and the
 * arithmetic are the monthly report's too (`consumers/aws/metric-reconcile.ts`).
 *
 * @example
 * const report = await reconcileByMetrics(aws, { fromMs, toMs });
 */
export async function reconcileByMetrics(aws: AwsCell, window: TimeWindow): Promise<ReconcileReport> {
  const queries = reconcileMetricQueries(aws.topology.stages, reconcilePeriodSec(window));
  const sums = await metricValues(aws.clients.cloudWatch, queries, window.fromMs, window.toMs, 'sum');
  const stages: ReconcileStage[] = [];
  for (const [i, stage] of aws.topology.stages.entries()) {
    const r = await stageResources(aws, stage);
    const dlq = await queueDepth(aws.clients.sqs, r.dlqUrl);
    const queue = await queueDepth(aws.clients.sqs, r.queueUrl);
    const counts = metricStageCounts(stage.name, {
      ...stageSums(sums, i),
      inDlq: dlq.visible + dlq.inFlight,
      inFlight: queue.visible + queue.inFlight,
    });
    // Key order as before the counts were shared (the --json output).
    const { balanced, ...rest } = counts;
    stages.push({ ...rest, missing: [], unexpected: [], balanced });
  }
  return {
    from: isoFromMs(window.fromMs),
    to: isoFromMs(window.toMs),
    stages,
    balanced: stages.every((s) => s.balanced),
    approximate: true,
    notes: METRIC_RECONCILE_NOTES,
  };
}
