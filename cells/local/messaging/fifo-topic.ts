import type { PublishEntry } from '../../../consumers/relay.js';
import type { CompiledMatcher } from '../../matching/index.js';
import type { QueueMessageInput } from './fifo-queue.js';

/**
 * A FIFO topic per stage (the local SNS FIFO topic): publishes fan out, in order, to every
 * subscription. Subscriptions are FIFO queues today (`FifoQueue` fits {@link TopicSubscription});
 * more subscribers (an audit queue, a second consumer) are added with {@link FifoTopic.subscribe}.
 *
 * Deduplication is by `MessageDeduplicationId` in each subscribed FIFO queue's own durable window
 * (SNS FIFO → SQS FIFO forwards the id), rather than a second table at the topic: with queue
 * subscribers the effect is the same and every accepted event costs one dedup row less.
 *
 * A subscription may carry a filter (an SNS filter policy with `MessageBody` scope, compiled by
 * `compileFilterPolicy`): it then receives only the messages whose parsed body matches, as SNS
 * does; a body that is not JSON matches no filter.
 *
 * Synchronous: call inside the write transaction that also stores what caused the publish.
 *
 * @example
 * const topic = new FifoTopic('PostingTopic');
 * topic.subscribe(postingQueue);
 * topic.subscribe(eurOnlyQueue, compileFilterPolicy({ event: { amount: { currency: ['EUR'] } } }));
 * topic.publish(entries); // entries from consumers/relay.ts
 */
export interface TopicSubscription {
  send(messages: readonly QueueMessageInput[]): unknown;
}

/** What a subscription filter needs of a compiled filter policy. */
export type SubscriptionFilter = Pick<CompiledMatcher, 'matches'>;

interface Subscribed {
  readonly subscription: TopicSubscription;
  readonly filter: SubscriptionFilter | undefined;
}

const NOT_JSON = Symbol('not JSON');

export class FifoTopic {
  readonly name: string;
  readonly #subscriptions: Subscribed[] = [];

  constructor(name: string) {
    this.name = name;
  }

  /** Adds a subscription; with `filter`, it gets only the messages whose parsed body matches. */
  subscribe(subscription: TopicSubscription, filter?: SubscriptionFilter): void {
    this.#subscriptions.push({ subscription, filter });
  }

  get subscriptionCount(): number {
    return this.#subscriptions.length;
  }

  /** Delivers entries (raw message delivery: the body is the entry's `Message`) to every subscription. */
  publish(entries: readonly PublishEntry[]): void {
    if (entries.length === 0) return;
    const messages = entries.map((e) => ({
      groupId: e.MessageGroupId,
      dedupId: e.MessageDeduplicationId,
      body: e.Message,
    }));
    // Parsed once per publish, and only when some subscription filters.
    let parsed: unknown[] | undefined;
    for (const { subscription, filter } of this.#subscriptions) {
      if (!filter) {
        subscription.send(messages);
        continue;
      }
      parsed ??= messages.map((m) => parseBody(m.body));
      const bodies = parsed;
      const matching = messages.filter((_, i) => bodies[i] !== NOT_JSON && filter.matches(bodies[i]));
      if (matching.length > 0) subscription.send(matching);
    }
  }
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return NOT_JSON;
  }
}
