import type { Clock } from '../../../consumers/clock.js';
import type { CellTopology, StageName, StageTopology } from '../../topology.js';
import type { DatabaseHandle } from '../storage/db.js';
import { FifoQueue, type FifoQueueConfig } from './fifo-queue.js';

/**
 * The stage queues (+ DLQs) of a topology, as both threads open them: the engine receives from
 * them, the API thread lists and redrives their DLQs. Names, visibility timeout and max receives
 * come from the stage; the dedup window from the cell settings.
 *
 * @example
 * const queues = openStageQueues(db, topology, clock);
 * queues.get('posting')?.dlqDepth();
 */

/** The queue settings of one stage, from the topology. Pure. */
export function stageQueueConfig(topology: CellTopology, stage: StageTopology): FifoQueueConfig {
  return {
    name: stage.ids.queue,
    dlqName: stage.ids.dlq,
    visibilityTimeoutSec: stage.visibilityTimeoutSec,
    maxReceiveCount: stage.maxReceiveCount,
    dedupWindowSec: topology.settings.dedupWindowSec,
  };
}

/** Opens (creating on first use) every stage's queue on `db`, in stage order. */
export function openStageQueues(
  db: DatabaseHandle,
  topology: CellTopology,
  clock: Clock,
): Map<StageName, FifoQueue> {
  return new Map(
    topology.stages.map((stage) => [stage.name, new FifoQueue(db, stageQueueConfig(topology, stage), clock)]),
  );
}
