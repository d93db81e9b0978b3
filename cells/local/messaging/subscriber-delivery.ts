import { setTimeout as delay } from 'node:timers/promises';
import { fullJitterMs } from '../../../consumers/full-jitter.js';
import type { SubscriberNotification } from '../../../schemas/api/subscriber-delivery.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { StageSubscriberTopology, StageTopology } from '../../topology.js';
import type { Logger } from '../logger.js';
import { type DatabaseHandle, runWrite } from '../storage/db.js';
import type { FifoQueue, ReceivedMessage } from './fifo-queue.js';
import { type SigningKey, signNotification } from './subscriber-delivery-signing.js';

/**
 * HTTP push for subscribers declared with an `endpoint`: one poller per such subscriber receives
 * from its FIFO queue and POSTs each message, signed, as an SNS-style envelope. Runs on the API
 * thread, on the same `FifoQueue` instances as the subscriber routes (one receiver per queue).
 *
 * - **Order**: a poller receives one message at a time per message group (invoice); the group stays
 *   blocked until that message is acked (2xx) or its visibility timeout ends, so one invoice's
 *   messages arrive in order, one at a time. Up to `concurrency` invoices are in flight at once.
 * - **Retries** ({@link DEFAULT_DELIVERY_POLICY}): each receive makes up to `attemptsPerReceive`
 *   POSTs with exponential backoff and full jitter between them; anything but a 2xx answer within
 *   `timeoutMs` is a failure. If every attempt fails the message is left in the queue, reappears
 *   after the queue's visibility timeout, and after `maxReceiveCount` receives the queue moves it to
 *   the subscriber DLQ (its group is freed then).
 * - **At least once**: a message is deleted only after a 2xx. A crash or stop between the POST and
 *   the delete delivers it again (same `MessageId`) before the rest of its group.
 *
 * @example
 * const delivery = new SubscriberDelivery({ db, logger, signingKey, cellName: 'local', targets });
 * delivery.start();
 * await delivery.stop();
 */

/** How pushes are retried and bounded. */
export interface DeliveryPolicy {
  /** POSTs per receive: the first attempt plus the retries. */
  readonly attemptsPerReceive: number;
  /** Backoff before retry n is a random delay in [0, min(maxDelayMs, minDelayMs × 2^(n−1))]. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** A POST without an answer by then is a failed attempt (and is aborted). */
  readonly timeoutMs: number;
  /** Invoices (message groups) in flight at once, per subscriber. */
  readonly concurrency: number;
  /** How often an idle poller looks for new messages (the engine fills the queue from its thread). */
  readonly pollIntervalMs: number;
}

/**
 * The default policy, modelled on SNS's default HTTP/S delivery policy (3 retries after the first
 * attempt, delays up to 20 s: https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html)
 * with exponential backoff and full jitter as SNS applies it
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/). With a stage's
 * `maxReceiveCount` of 5 a failing message gets 4 × 5 = 20 attempts over at least 5 visibility
 * timeouts (15 min) before it lands in the DLQ. A receive's worst case, 4 × 10 s + 3 × 20 s =
 * 100 s, stays below the 180 s visibility timeout, so a message is never in flight twice.
 */
export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  attemptsPerReceive: 4,
  minDelayMs: 1_000,
  maxDelayMs: 20_000,
  timeoutMs: 10_000,
  concurrency: 10,
  pollIntervalMs: 250,
};

/** One subscriber with an endpoint and its queue. */
export interface DeliveryTarget {
  readonly stage: Pick<StageTopology, 'name' | 'ids'>;
  readonly subscriber: StageSubscriberTopology & { readonly endpoint: string };
  readonly queue: FifoQueue;
}

export interface SubscriberDeliveryOptions {
  readonly db: DatabaseHandle;
  readonly logger: Logger;
  readonly signingKey: SigningKey;
  readonly cellName: string;
  readonly targets: readonly DeliveryTarget[];
  readonly policy?: Partial<DeliveryPolicy>;
}

/** Counters of one subscriber's pushes since start. */
export interface DeliveryCounts {
  readonly delivered: number;
  readonly failedAttempts: number;
  /** Receives whose every attempt failed (the message went back to the queue). */
  readonly exhausted: number;
}

/** Worst time one receive can take; must stay below the visibility timeout. Pure. */
export function worstReceiveMs(policy: DeliveryPolicy): number {
  return policy.attemptsPerReceive * policy.timeoutMs + (policy.attemptsPerReceive - 1) * policy.maxDelayMs;
}

/** Full-jitter exponential backoff before retry `retry` (1-based) under `policy`. */
export function backoffMs(policy: DeliveryPolicy, retry: number, random: () => number = Math.random): number {
  return fullJitterMs({ baseMs: policy.minDelayMs, capMs: policy.maxDelayMs }, retry, random);
}

/** Throws (naming the field) unless the policy is usable with this queue. */
export function validateDeliveryPolicy(
  policy: DeliveryPolicy,
  visibilityTimeoutSec: number,
  where: string,
): void {
  for (const key of ['attemptsPerReceive', 'concurrency', 'timeoutMs', 'pollIntervalMs'] as const) {
    if (!Number.isInteger(policy[key]) || policy[key] < 1) {
      throw new Error(`${where}: delivery policy ${key} must be a positive integer, got ${policy[key]}`);
    }
  }
  if (!(policy.minDelayMs >= 0 && policy.maxDelayMs >= policy.minDelayMs)) {
    throw new Error(`${where}: delivery policy needs 0 <= minDelayMs <= maxDelayMs`);
  }
  if (worstReceiveMs(policy) >= visibilityTimeoutSec * 1000) {
    throw new Error(
      `${where}: a receive may take ${worstReceiveMs(policy)} ms (attempts x timeout + retries x max delay), not below the visibility timeout of ${visibilityTimeoutSec} s; the message could be in flight twice`,
    );
  }
}

class EndpointPoller {
  readonly #target: DeliveryTarget;
  readonly #options: SubscriberDeliveryOptions;
  readonly #policy: DeliveryPolicy;
  readonly #stop: AbortSignal;
  readonly #runs = new Set<Promise<void>>();
  readonly #receive: () => Promise<ReceivedMessage | undefined>;
  #filling = false;
  counts = { delivered: 0, failedAttempts: 0, exhausted: 0 };

  constructor(
    target: DeliveryTarget,
    options: SubscriberDeliveryOptions,
    policy: DeliveryPolicy,
    stop: AbortSignal,
  ) {
    this.#target = target;
    this.#options = options;
    this.#policy = policy;
    this.#stop = stop;
    const receive = options.db.transaction(() => target.queue.receive(1)[0]);
    this.#receive = () => runWrite(receive);
  }

  /** Starts deliveries while slots are free and messages are ready. Never throws. */
  async fill(): Promise<void> {
    if (this.#filling) return;
    this.#filling = true;
    try {
      while (!this.#stop.aborted && this.#runs.size < this.#policy.concurrency) {
        if (!this.#target.queue.hasReceivable()) break;
        const message = await this.#receive();
        if (!message) break;
        const run: Promise<void> = this.#deliver(message)
          .catch((error: unknown) => this.#options.logger.error('subscriber push failed', { error }))
          .finally(() => {
            this.#runs.delete(run);
            void this.fill();
          });
        this.#runs.add(run);
      }
    } catch (error) {
      this.#target.queue.reset(); // the receive's transaction rolled back: reload the index
      this.#options.logger.warn('subscriber receive failed; retrying on the next poll', {
        subscriber: this.#target.subscriber.id,
        error,
      });
    } finally {
      this.#filling = false;
    }
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.#runs]);
  }

  #envelope(message: ReceivedMessage): SubscriberNotification {
    const { stage, subscriber } = this.#target;
    return signNotification(
      {
        Type: 'Notification',
        MessageId: message.messageId,
        TopicArn: `local:${this.#options.cellName}:${stage.ids.topic}`,
        Subscription: `${stage.name}/${subscriber.id}`,
        Timestamp: isoFromMs(message.sentAtMs),
        Message: message.body,
        MessageGroupId: message.groupId,
        SequenceNumber: message.sequenceNumber,
      },
      this.#options.signingKey,
    );
  }

  async #post(body: string, envelope: SubscriberNotification): Promise<number | string> {
    try {
      const response = await fetch(this.#target.subscriber.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'x-amz-sns-message-type': 'Notification',
          'x-amz-sns-message-id': envelope.MessageId,
          'x-amz-sns-topic-arn': envelope.TopicArn,
        },
        body,
        signal: AbortSignal.any([this.#stop, AbortSignal.timeout(this.#policy.timeoutMs)]),
      });
      await response.arrayBuffer().catch(() => undefined); // free the connection
      return response.status;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  async #deliver(message: ReceivedMessage): Promise<void> {
    const envelope = this.#envelope(message);
    const body = JSON.stringify(envelope);
    const where = { subscriber: this.#target.subscriber.id, invoiceId: message.groupId };
    for (let attempt = 1; attempt <= this.#policy.attemptsPerReceive; attempt++) {
      if (attempt > 1)
        await delay(backoffMs(this.#policy, attempt - 1), undefined, { signal: this.#stop }).catch(
          () => undefined,
        );
      if (this.#stop.aborted) return; // left in the queue: delivered again after a restart
      const outcome = await this.#post(body, envelope);
      if (typeof outcome === 'number' && outcome >= 200 && outcome < 300) {
        const { queue } = this.#target;
        await runWrite(this.#options.db.transaction(() => queue.deleteMessages([message.receiptHandle])));
        this.counts.delivered++;
        return;
      }
      this.counts.failedAttempts++;
      this.#options.logger.warn('subscriber push attempt failed', { ...where, attempt, outcome });
    }
    this.counts.exhausted++;
    this.#options.logger.warn(
      'subscriber push failed on every attempt; the message returns after the visibility timeout',
      {
        ...where,
        receiveCount: message.receiveCount,
      },
    );
  }
}

export class SubscriberDelivery {
  readonly #pollers = new Map<string, EndpointPoller>();
  readonly #stop = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  readonly #policy: DeliveryPolicy;

  constructor(options: SubscriberDeliveryOptions) {
    this.#policy = { ...DEFAULT_DELIVERY_POLICY, ...options.policy };
    for (const target of options.targets) {
      const key = `${target.stage.name}/${target.subscriber.id}`;
      validateDeliveryPolicy(this.#policy, target.queue.config.visibilityTimeoutSec, `subscriber ${key}`);
      this.#pollers.set(key, new EndpointPoller(target, options, this.#policy, this.#stop.signal));
    }
  }

  /** Starts polling (a no-op without endpoint subscribers). */
  start(): void {
    if (this.#pollers.size === 0 || this.#timer || this.#stop.signal.aborted) return;
    this.#timer = setInterval(() => this.poll(), this.#policy.pollIntervalMs);
    this.#timer.unref();
    this.poll();
  }

  /** Looks for ready messages now (also called by the timer). */
  poll(): void {
    for (const poller of this.#pollers.values()) void poller.fill();
  }

  /** Counters per `<stage>/<subscriber id>`. */
  counts(): Record<string, DeliveryCounts> {
    return Object.fromEntries([...this.#pollers].map(([key, poller]) => [key, { ...poller.counts }]));
  }

  /** Stops polling, aborts POSTs and backoffs in flight (their messages stay queued) and waits for them. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#stop.abort();
    await Promise.allSettled([...this.#pollers.values()].map((p) => p.drain()));
  }
}
