import type { FastifyInstance } from 'fastify';
import type { CellTopology, StageTopology } from '../../topology.js';
import { contractApp, contractRoute } from '../api/contract-route.js';
import { HttpError } from '../api/http-error.js';
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../storage/db.js';
import { describeQueueMessage } from './describe-queue-message.js';
import { FifoQueue } from './fifo-queue.js';
import { stageQueueConfig } from './stage-queues.js';

/**
 * The local side of declared stage subscribers (`StageTopology.subscribers`): one durable FIFO
 * queue (+ DLQ) per subscriber, named by the topology, and a read-only peek route. The engine
 * subscribes these queues to the stage topics with the compiled filter policy; nothing in the cell
 * receives from them (a downstream team would), so they only fill up.
 *
 * @example
 * const queues = openSubscriberQueues(db, topology, clock);
 * topic.subscribe(queues.get(subscriberKey(stage, sub)) as FifoQueue, compileFilterPolicy(sub.filterPolicy));
 */

/** Map key of a subscriber queue: `<stage>/<subscriber id>`. */
export function subscriberKey(
  stage: Pick<StageTopology, 'name'>,
  subscriber: { readonly id: string },
): string {
  return `${stage.name}/${subscriber.id}`;
}

/** Opens (creating on first use) the queue of every declared subscriber, by {@link subscriberKey}. */
export function openSubscriberQueues(
  db: DatabaseHandle,
  topology: CellTopology,
  clock: Clock,
): Map<string, FifoQueue> {
  const queues = new Map<string, FifoQueue>();
  for (const stage of topology.stages) {
    for (const sub of stage.subscribers) {
      queues.set(
        subscriberKey(stage, sub),
        new FifoQueue(
          db,
          { ...stageQueueConfig(topology, stage), name: sub.ids.queue, dlqName: sub.ids.dlq },
          clock,
        ),
      );
    }
  }
  return queues;
}

/** `?limit=` of a peek: 1..1000, 100 when absent. */
function peekLimit(raw: string | undefined): number {
  const limit = raw === undefined ? 100 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) {
    throw new HttpError(400, `limit must be an integer from 1 to 1000, got "${raw}"`);
  }
  return limit;
}

/**
 * `GET /subscribers/:stage/:id/messages?limit=N`: the subscriber queue's depth and its oldest
 * messages (parsed bodies), without receiving them. 404 for an undeclared subscriber.
 */
export function registerSubscriberRoutes(
  app: FastifyInstance,
  topology: CellTopology,
  queues: ReadonlyMap<string, FifoQueue>,
): void {
  contractApp(app).route({
    ...contractRoute('subscriberMessages'),
    handler: async (request) => {
      const params = request.params as { stage: string; id: string };
      const stage = topology.stages.find((s) => s.name === params.stage);
      const sub = stage?.subscribers.find((s) => s.id === params.id);
      const queue = stage && sub ? queues.get(subscriberKey(stage, sub)) : undefined;
      if (!stage || !sub || !queue) {
        const declared = topology.stages.flatMap((s) => s.subscribers.map((x) => subscriberKey(s, x)));
        throw new HttpError(
          404,
          `no subscriber ${params.id} on stage ${params.stage}; declared: ${declared.join(', ') || 'none'}`,
        );
      }
      return {
        stage: stage.name,
        subscriber: sub.id,
        queue: sub.ids.queue,
        filterPolicy: sub.filterPolicy,
        depth: queue.depth(),
        messages: queue
          .peek(peekLimit((request.query as { limit?: string }).limit))
          .map(describeQueueMessage),
      };
    },
  });
}
