import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../../consumers/clock.js';
import type { CellTopology, StageSubscriberTopology, StageTopology } from '../../topology.js';
import { contractApp, contractRoute } from '../api/contract-route.js';
import { HttpError } from '../api/http-error.js';
import { requireJson } from '../api/request-body.js';
import type { DatabaseHandle } from '../storage/db.js';
import { describeQueueMessage } from './describe-queue-message.js';
import { FifoQueue } from './fifo-queue.js';
import { stageQueueConfig } from './stage-queues.js';
import {
  ackRequestOf,
  describeReceivedMessage,
  receiveRequestOf,
  SubscriberPull,
} from './subscriber-pull.js';

/**
 * The local side of declared stage subscribers (`StageTopology.subscribers`): one durable FIFO
 * queue (+ DLQ) per subscriber, named by the topology, and the routes a downstream team reads it
 * with (peek, receive, ack). The engine subscribes these queues to the stage topics with the
 * compiled filter policy; the receive route's instance is the only receiver of each queue.
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

/** A declared subscriber with its queue; 404 naming the declared ones otherwise. */
function subscriberOf(
  topology: CellTopology,
  queues: ReadonlyMap<string, FifoQueue>,
  params: unknown,
): { stage: StageTopology; sub: StageSubscriberTopology; queue: FifoQueue } {
  const { stage: stageName, id } = params as { stage: string; id: string };
  const stage = topology.stages.find((s) => s.name === stageName);
  const sub = stage?.subscribers.find((s) => s.id === id);
  const queue = stage && sub ? queues.get(subscriberKey(stage, sub)) : undefined;
  if (!stage || !sub || !queue) {
    const declared = topology.stages.flatMap((s) => s.subscribers.map((x) => subscriberKey(s, x)));
    throw new HttpError(
      404,
      `no subscriber ${id} on stage ${stageName}; declared: ${declared.join(', ') || 'none'}`,
    );
  }
  return { stage, sub, queue };
}

/**
 * The subscriber routes (`schemas/api/subscribers.ts`): `GET /subscribers/:stage/:id/messages`
 * (depth, DLQ depth and the oldest messages, peeked without receiving them), and `POST
 * .../receive` and `POST .../ack` (pull consumption, see {@link SubscriberPull}). 404 for an
 * undeclared subscriber; 409 for a pull on a subscriber with a push endpoint. `db` is the API connection the receives and acks write with.
 */
export function registerSubscriberRoutes(
  app: FastifyInstance,
  topology: CellTopology,
  queues: ReadonlyMap<string, FifoQueue>,
  db: DatabaseHandle,
): void {
  const api = contractApp(app);
  const pulls = new Map([...queues].map(([key, queue]) => [key, new SubscriberPull(db, queue)]));
  const pullOf = (stage: StageTopology, sub: StageSubscriberTopology): SubscriberPull => {
    // A pushed subscriber's queue has a receiver already (the delivery loop): a pull would steal.
    if (sub.endpoint !== undefined) {
      throw new HttpError(
        409,
        `subscriber ${sub.id} on stage ${stage.name} is pushed to its endpoint ${sub.endpoint}: the cell delivers its messages, so they cannot be received or acked (peek them with GET /subscribers/${stage.name}/${sub.id}/messages)`,
      );
    }
    return pulls.get(subscriberKey(stage, sub)) as SubscriberPull;
  };

  api.route({
    ...contractRoute('subscriberMessages'),
    handler: async (request) => {
      const { stage, sub, queue } = subscriberOf(topology, queues, request.params);
      return {
        stage: stage.name,
        subscriber: sub.id,
        queue: sub.ids.queue,
        filterPolicy: sub.filterPolicy,
        depth: queue.depth(),
        dlq: sub.ids.dlq,
        dlqDepth: queue.dlqDepth(),
        messages: queue
          .peek(peekLimit((request.query as { limit?: string }).limit))
          .map(describeQueueMessage),
      };
    },
  });

  api.route({
    ...contractRoute('subscriberReceive'),
    handler: async (request) => {
      const { stage, sub } = subscriberOf(topology, queues, request.params);
      const pull = pullOf(stage, sub);
      if (request.body !== undefined) requireJson(request);
      const receive = receiveRequestOf(request.body);
      const messages = await pull.receive(receive);
      return {
        stage: stage.name,
        subscriber: sub.id,
        queue: sub.ids.queue,
        visibilityTimeoutSec: pull.visibilityTimeoutOf(receive),
        messages: messages.map(describeReceivedMessage),
      };
    },
  });

  api.route({
    ...contractRoute('subscriberAck'),
    handler: async (request) => {
      const { stage, sub } = subscriberOf(topology, queues, request.params);
      const pull = pullOf(stage, sub);
      requireJson(request);
      const { receiptHandles } = ackRequestOf(request.body);
      const result = await pull.ack(receiptHandles);
      return { stage: stage.name, subscriber: sub.id, ...result };
    },
  });
}
