import type { PublishEntry } from '../../consumers/relay.js';
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
 * Synchronous: call inside the write transaction that also stores what caused the publish.
 *
 * @example
 * const topic = new FifoTopic('PostingTopic');
 * topic.subscribe(postingQueue);
 * topic.publish(entries); // entries from consumers/relay.ts
 */
export interface TopicSubscription {
  send(messages: readonly QueueMessageInput[]): unknown;
}

export class FifoTopic {
  readonly name: string;
  readonly #subscriptions: TopicSubscription[] = [];

  constructor(name: string) {
    this.name = name;
  }

  subscribe(subscription: TopicSubscription): void {
    this.#subscriptions.push(subscription);
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
    for (const subscription of this.#subscriptions) subscription.send(messages);
  }
}
