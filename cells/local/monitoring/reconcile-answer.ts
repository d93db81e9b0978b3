import { reconcile } from '../../../consumers/monitoring/reconcile.js';
import type { ReconcileAnswer } from '../../../schemas/api/index.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { CellTopology } from '../../topology.js';
import type { DatabaseHandle } from '../storage/db.js';
import { localReconcileInputs } from '../storage/monitoring-queries.js';

/**
 * `GET /reconcile`: the events accepted in `[fromMs, toMs)` matched against the records stored and
 * the messages still queued or dead-lettered, stage by stage, with the window it covers.
 *
 * @example
 * const answer = reconcileAnswer(db, topology, Date.now() - 86_400_000, Date.now());
 * if (!answer.balanced) console.error(answer.stages.flatMap((s) => s.missing));
 */
export function reconcileAnswer(
  db: DatabaseHandle,
  topology: CellTopology,
  fromMs: number,
  toMs: number,
): ReconcileAnswer {
  const report = reconcile({ fromMs, toMs }, localReconcileInputs(db, topology, fromMs, toMs));
  return { ...report, from: isoFromMs(fromMs), to: isoFromMs(toMs) };
}
