import {
  METRIC_RECONCILE_NOTES,
  metricStageCounts,
  reconcileMetricQueries,
  reconcilePeriodSec,
  stageSums,
} from '../../../consumers/aws/metric-reconcile.js';
import { POSTGRESQL_PARAMS as P } from '../../../consumers/postgresql/queries/named-params.js';
import { postgresqlReconcileStoredSql } from '../../../consumers/postgresql/queries/reconcile-stored-sql.js';
import { type SqlExecutor, sqlParam } from '../../../consumers/postgresql/sql-executor.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { ReconcileReport, ReconcileStage, TimeWindow } from '../backend.js';
import { type AwsCell, auroraTarget, stageResources } from './aws-cell.js';
import { awsCall } from './aws-error.js';
import { metricValues } from './metric-values.js';
import { queueDepth } from './queue-depth.js';

/**
 * `reconcile` on a deployed cell, by counts only: accepted = the relay's `RelayedEvents` and
 * stored = the processor's `EventsProcessed` (CloudWatch sums over the window), against the
 * current DLQ and queue depths. Approximate; the report's notes say why. The queries and the
 * arithmetic are the monthly report's too (`consumers/aws/metric-reconcile.ts`).
 *
 * On an Aurora cell, stored is what the store holds instead of a metric: the records per stage
 * whose per-minute acceptance bin starts in the window (`postgresqlReconcileStoredSql`, the local
 * cell's stored counters), summed per stage; accepted is still the relay metric.
 *
 * @example
 * const report = await reconcileByMetrics(aws, { fromMs, toMs });
 */
export async function reconcileByMetrics(aws: AwsCell, window: TimeWindow): Promise<ReconcileReport> {
  const queries = reconcileMetricQueries(aws.topology.stages, reconcilePeriodSec(window));
  const sums = await metricValues(aws.clients.cloudWatch, queries, window.fromMs, window.toMs, 'sum');
  const aurora = await auroraTarget(aws);
  const stored = aurora ? await auroraStoredByStage(aws, aurora.executor, window) : undefined;
  const stages: ReconcileStage[] = [];
  for (const [i, stage] of aws.topology.stages.entries()) {
    const r = await stageResources(aws, stage);
    const dlq = await queueDepth(aws.clients.sqs, r.dlqUrl);
    const queue = await queueDepth(aws.clients.sqs, r.queueUrl);
    const metric = stageSums(sums, i);
    const counts = metricStageCounts(stage.name, {
      accepted: metric.accepted,
      stored: stored ? (stored.get(stage.name) ?? 0) : metric.stored,
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
    notes: aurora ? AURORA_RECONCILE_NOTES : METRIC_RECONCILE_NOTES,
  };
}

/** Why an Aurora cell's counts are approximate: accepted is still a metric; stored is counted. */
const AURORA_RECONCILE_NOTES: readonly string[] = [
  'approximate: accepted = relay RelayedEvents (CloudWatch sum by publish time, replays included); stored = records in the Aurora store per minute of acceptance (received-at) in the window, each event once; DLQ and in-flight are current queue totals, not limited to the window',
  ...METRIC_RECONCILE_NOTES.slice(1),
];

/** Aurora: stored records per stage over the window's acceptance-time bins, for this cell. */
async function auroraStoredByStage(
  aws: AwsCell,
  executor: SqlExecutor,
  window: TimeWindow,
): Promise<Map<string, number>> {
  const { sql } = postgresqlReconcileStoredSql();
  const { rows } = await awsCall('Aurora reconcile stored counts', () =>
    executor.execute(sql, [
      sqlParam(P.fromMs, window.fromMs),
      sqlParam(P.toMs, window.toMs),
      sqlParam(P.cell, aws.cell.name),
    ]),
  );
  const stored = new Map<string, number>();
  for (const row of rows) {
    const stage = String(row.stage);
    stored.set(stage, (stored.get(stage) ?? 0) + Number(row.stored));
  }
  return stored;
}
