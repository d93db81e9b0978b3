import type { FailedAck, ReceivedSubscriberMessage } from '../../../schemas/api/index.js';
import { MAX_VISIBILITY_TIMEOUT_SEC, SUBSCRIBER_BATCH_MAX } from '../../../schemas/api/index.js';
import type { FieldError } from '../../../schemas/index.js';
import { objectBody } from '../api/request-body.js';
import { type DatabaseHandle, runWrite } from '../storage/db.js';
import { describeQueueMessage } from './describe-queue-message.js';
import type { FifoQueue, ReceivedMessage } from './fifo-queue.js';

/**
 * Pull consumption of a subscriber queue (SQS `ReceiveMessage` / `DeleteMessageBatch`, locally):
 * the queue semantics are {@link FifoQueue}'s (one in-flight batch per invoice, visibility
 * timeout, receive count, max receives → the subscriber's DLQ); this adds the request checks,
 * the write transaction around each call, and a result per receipt handle for acks.
 *
 * A receive and an ack each run in one `BEGIN IMMEDIATE` transaction on the API connection; if it
 * fails, the queue's in-memory index is reset so it reloads from the table (nothing half-applied).
 *
 * @example
 * const pull = new SubscriberPull(db, queue);
 * const messages = await pull.receive(receiveRequestOf(body));
 * const { acked, failed } = await pull.ack(ackRequestOf(other).receiptHandles);
 */

/** A checked receive body. */
export interface ReceiveRequest {
  readonly maxMessages: number;
  /** The queue's own timeout when absent. */
  readonly visibilityTimeoutSec?: number;
}

/** A checked ack body. */
export interface AckRequest {
  readonly receiptHandles: readonly string[];
}

/** What an ack did with each handle. */
export interface AckResult {
  readonly acked: readonly string[];
  readonly failed: readonly FailedAck[];
}

const RECEIPT_HANDLE = /^\d+\.\d+$/;

/** An integer field from `min` to `max`, when present. */
function optionalInteger(
  b: Record<string, unknown>,
  key: string,
  [min, max]: readonly [number, number],
  errors: FieldError[],
): void {
  const v = b[key];
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)) {
    errors.push({ path: `/${key}`, message: `must be an integer from ${min} to ${max}` });
  }
}

/** The body of a receive (`{}` or none: up to 10 messages, the queue's visibility timeout). */
export function receiveRequestOf(body: unknown): ReceiveRequest {
  const b = objectBody(body, ['maxMessages', 'visibilityTimeoutSec'], (record, errors) => {
    optionalInteger(record, 'maxMessages', [1, SUBSCRIBER_BATCH_MAX], errors);
    optionalInteger(record, 'visibilityTimeoutSec', [1, MAX_VISIBILITY_TIMEOUT_SEC], errors);
  });
  const timeout = b.visibilityTimeoutSec as number | undefined;
  return {
    maxMessages: (b.maxMessages as number | undefined) ?? SUBSCRIBER_BATCH_MAX,
    ...(timeout === undefined ? {} : { visibilityTimeoutSec: timeout }),
  };
}

/** The body of an ack: `{receiptHandles: [1..10 strings]}`. */
export function ackRequestOf(body: unknown): AckRequest {
  const b = objectBody(body, ['receiptHandles'], (record, errors) => {
    const handles = record.receiptHandles;
    if (handles === undefined) errors.push({ path: '/receiptHandles', message: 'is required' });
    else if (
      !Array.isArray(handles) ||
      handles.length < 1 ||
      handles.length > SUBSCRIBER_BATCH_MAX ||
      !handles.every((h) => typeof h === 'string' && h !== '')
    ) {
      errors.push({
        path: '/receiptHandles',
        message: `must be a list of 1 to ${SUBSCRIBER_BATCH_MAX} receipt handles (non-empty strings)`,
      });
    }
  });
  return { receiptHandles: b.receiptHandles as string[] };
}

/** A received message as the receive route answers it. */
export function describeReceivedMessage(m: ReceivedMessage): ReceivedSubscriberMessage {
  return {
    ...describeQueueMessage({ ...m, deadLetteredAtMs: null }),
    receiptHandle: m.receiptHandle,
    receiveCount: m.receiveCount,
    sequenceNumber: m.sequenceNumber,
  };
}

/** Receive and ack on one subscriber queue (the only receiver of that queue in the cell). */
export class SubscriberPull {
  readonly #db: DatabaseHandle;
  readonly #queue: FifoQueue;

  constructor(db: DatabaseHandle, queue: FifoQueue) {
    this.#db = db;
    this.#queue = queue;
  }

  /** The visibility timeout a receive with `request` applies. */
  visibilityTimeoutOf(request: ReceiveRequest): number {
    return request.visibilityTimeoutSec ?? this.#queue.config.visibilityTimeoutSec;
  }

  /** Receives up to `maxMessages`, dead-lettering on the way those past their receive limit. */
  receive(request: ReceiveRequest): Promise<ReceivedMessage[]> {
    const timeout = this.visibilityTimeoutOf(request);
    return this.#write(() => this.#queue.receive(request.maxMessages, timeout));
  }

  /** Deletes the messages of current handles; every other handle is a failed entry with a reason. */
  ack(receiptHandles: readonly string[]): Promise<AckResult> {
    return this.#write(() => {
      const acked: string[] = [];
      const failed: FailedAck[] = [];
      for (const receiptHandle of receiptHandles) {
        if (!RECEIPT_HANDLE.test(receiptHandle)) {
          failed.push({ receiptHandle, reason: 'not a receipt handle of this cell' });
        } else if (this.#queue.deleteMessages([receiptHandle]) === 1) {
          acked.push(receiptHandle);
        } else {
          failed.push({
            receiptHandle,
            reason:
              'not in flight: already acked, or from an earlier receive (its visibility timeout ended and the message was received again or dead-lettered)',
          });
        }
      }
      return { acked, failed };
    });
  }

  async #write<T>(fn: () => T): Promise<T> {
    try {
      return await runWrite(this.#db.transaction(fn));
    } catch (error) {
      this.#queue.reset();
      throw error;
    }
  }
}
