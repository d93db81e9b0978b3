import { compileFilterPolicy } from '../../matching/index.js';
import type { CellTopology, StageName } from '../../topology.js';
import type { FifoQueue } from '../messaging/fifo-queue.js';
import { FifoTopic } from '../messaging/fifo-topic.js';
import { subscriberKey } from '../messaging/subscriber-queues.js';

/**
 * The topic of every stage, fanning out to the stage's queue and then to its declared subscribers:
 * filtered queues on the same topic (their policies were validated when the topology was built).
 *
 * @example
 * const topics = openStageTopics(topology, stageQueues, openSubscriberQueues(db, topology, clock));
 */
export function openStageTopics(
  topology: CellTopology,
  queues: ReadonlyMap<StageName, FifoQueue>,
  subscriberQueues: ReadonlyMap<string, FifoQueue>,
): Map<StageName, FifoTopic> {
  const topics = new Map<StageName, FifoTopic>();
  for (const stage of topology.stages) {
    const topic = new FifoTopic(stage.ids.topic);
    topic.subscribe(queues.get(stage.name) as FifoQueue);
    for (const sub of stage.subscribers) {
      topic.subscribe(
        subscriberQueues.get(subscriberKey(stage, sub)) as FifoQueue,
        compileFilterPolicy(sub.filterPolicy),
      );
    }
    topics.set(stage.name, topic);
  }
  return topics;
}
