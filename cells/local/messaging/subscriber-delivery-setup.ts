import type { FastifyInstance } from 'fastify';
import type { CellTopology } from '../../topology.js';
import { contractApp, contractRoute } from '../api/contract-route.js';
import type { Logger } from '../logger.js';
import type { DatabaseHandle } from '../storage/db.js';
import type { FifoQueue } from './fifo-queue.js';
import { type DeliveryPolicy, type DeliveryTarget, SubscriberDelivery } from './subscriber-delivery.js';
import { type SigningKey, subscriberSigningKey } from './subscriber-delivery-signing.js';
import { subscriberKey } from './subscriber-queues.js';

/**
 * Wires HTTP push into the cell: the {@link SubscriberDelivery} over every subscriber declared with
 * an `endpoint` (on the API thread's subscriber queues), and `GET /subscribers/signing-key`.
 *
 * @example
 * const delivery = openSubscriberDelivery({ db, topology, queues, cellName, logger });
 * registerSigningKeyRoute(app, delivery.signingKey);
 * delivery.service.start();
 */

export interface OpenSubscriberDeliveryOptions {
  readonly db: DatabaseHandle;
  readonly topology: CellTopology;
  /** The API thread's subscriber queues, by `subscriberKey` (`openSubscriberQueues`). */
  readonly queues: ReadonlyMap<string, FifoQueue>;
  readonly cellName: string;
  readonly logger: Logger;
  /** Overrides of the delivery policy. */
  readonly subscriberDelivery?: Partial<DeliveryPolicy>;
}

/** The delivery service and the data dir's signing key. */
export interface OpenedSubscriberDelivery {
  readonly service: SubscriberDelivery;
  readonly signingKey: SigningKey;
}

/** Builds delivery for the topology's endpoint subscribers (not started). */
export function openSubscriberDelivery(options: OpenSubscriberDeliveryOptions): OpenedSubscriberDelivery {
  const signingKey = subscriberSigningKey(options.db);
  const targets: DeliveryTarget[] = [];
  for (const stage of options.topology.stages) {
    for (const subscriber of stage.subscribers) {
      const { endpoint } = subscriber;
      const queue = options.queues.get(subscriberKey(stage, subscriber));
      if (endpoint === undefined || !queue) continue;
      targets.push({ stage, subscriber: { ...subscriber, endpoint }, queue });
    }
  }
  const service = new SubscriberDelivery({
    db: options.db,
    logger: options.logger,
    signingKey,
    cellName: options.cellName,
    targets,
    ...(options.subscriberDelivery ? { policy: options.subscriberDelivery } : {}),
  });
  return { service, signingKey };
}

/** `GET /subscribers/signing-key` (public): the key receivers verify pushes with. */
export function registerSigningKeyRoute(app: FastifyInstance, signingKey: SigningKey): void {
  contractApp(app).route({
    ...contractRoute('subscriberSigningKey'),
    handler: async () => signingKey.answer,
  });
}
