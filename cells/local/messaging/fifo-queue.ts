import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../consumers/clock.js';
import { type DatabaseHandle, queueIds } from '../storage/db.js';
import { DedupWindow } from './dedup-window.js';
import { type DlqMessage, dlqMessageOf } from './describe-queue-message.js';
import {
  type GroupState,
  type IndexedMessage,
  MessageGroupIndex,
  type QueueCounts,
} from './message-group-index.js';
import { prepareQueueStatements, type QueueStatements } from './queue-statements.js';

/**
 * A durable FIFO queue with its dead-letter queue, keeping the SQS FIFO semantics the pipeline
 * relies on:
 *
 * - **message groups**: messages of one group are delivered in send order, and a group with a
 *   message in flight delivers nothing else (so two batches of one invoice never run at once);
 *   other groups are unaffected;
 * - **deduplication**: a second send with the same deduplication id within the window (5 minutes)
 *   is accepted and dropped, even after the first message was deleted;
 * - **visibility timeout**: a received message that is not deleted becomes visible again after the
 *   timeout, with its receive count kept;
 * - **max receives → DLQ**: a message about to be received more than `maxReceiveCount` times is
 *   moved to the DLQ instead, which frees its group;
 * - **redrive**: DLQ messages move back to the end of the source queue (all, or one group),
 *   losing their place in order, as with SQS `StartMessageMoveTask`.
 *
 * Messages and dedup entries live in SQLite; `send` and `redrive` are plain SQL, so any connection
 * can call them inside its own transaction. Receiving keeps an in-memory index of groups (what is
 * in flight, until when), loaded from the table and refreshed by sequence number, so exactly one
 * instance per queue may receive; in-flight state is deliberately not persisted: after a crash
 * every message is visible again (receive counts are persisted, so poison messages still reach
 * the DLQ).
 *
 * Methods are synchronous; callers wrap them in a write transaction to group them. The parts:
 * `queue-statements.ts` (SQL), `dedup-window.ts`, `message-group-index.ts` (receive and
 * visibility state) and `describe-queue-message.ts` (listings as callers see them).
 *
 * @example
 * const queue = new FifoQueue(db, { name: 'PostingQueue', dlqName: 'PostingDlq',
 *   visibilityTimeoutSec: 180, maxReceiveCount: 5, dedupWindowSec: 300 }, SYSTEM_CLOCK);
 * queue.send([{ groupId: 'INV-1', dedupId: eventId, body }]);
 * const [batch] = queue.receiveBatches(1, 10);
 * queue.deleteMessages(batch.map((m) => m.receiptHandle));
 */

export interface FifoQueueConfig {
  readonly name: string;
  readonly dlqName: string;
  readonly visibilityTimeoutSec: number;
  readonly maxReceiveCount: number;
  readonly dedupWindowSec: number;
}

export interface QueueMessageInput {
  readonly groupId: string;
  readonly dedupId: string;
  readonly body: string;
}

export interface SendResult {
  readonly messageId: string;
  /** True when the deduplication id was seen within the window: nothing was enqueued. */
  readonly duplicate: boolean;
}

export interface ReceivedMessage {
  readonly messageId: string;
  /** Valid for this receive only; a delete with an older handle is ignored. */
  readonly receiptHandle: string;
  readonly body: string;
  readonly groupId: string;
  readonly dedupId: string;
  /** Monotonic per cell, as a 20-digit string like SQS FIFO `SequenceNumber`. */
  readonly sequenceNumber: string;
  readonly sentAtMs: number;
  readonly receiveCount: number;
  readonly firstReceiveMs: number;
}

const REFRESH_PAGE = 10_000;

function sequenceNumber(seq: number): string {
  return String(seq).padStart(20, '0');
}

export class FifoQueue {
  readonly config: FifoQueueConfig;
  readonly queueId: number;
  readonly dlqId: number;
  readonly #clock: Clock;
  readonly #sql: QueueStatements;
  readonly #dedup: DedupWindow;
  readonly #index = new MessageGroupIndex();
  #deadLettered = 0;

  constructor(db: DatabaseHandle, config: FifoQueueConfig, clock: Clock) {
    if (!Number.isInteger(config.maxReceiveCount) || config.maxReceiveCount < 1) {
      throw new Error(`maxReceiveCount must be a positive integer, got ${config.maxReceiveCount}`);
    }
    if (!(config.visibilityTimeoutSec >= 0)) {
      throw new Error(`visibilityTimeoutSec must be ≥ 0, got ${config.visibilityTimeoutSec}`);
    }
    this.config = config;
    this.#clock = clock;
    const ids = queueIds(db, [config.name, config.dlqName]);
    this.queueId = ids.get(config.name) as number;
    this.dlqId = ids.get(config.dlqName) as number;
    this.#dedup = new DedupWindow(db, this.queueId, config.dedupWindowSec);
    this.#sql = prepareQueueStatements(db);
  }

  /**
   * Enqueues messages in order, dropping those whose deduplication id was sent within the window.
   * Call inside a write transaction to make a batch atomic.
   */
  send(entries: readonly QueueMessageInput[]): SendResult[] {
    const now = this.#clock.now();
    return entries.map((entry) => {
      const seen = this.#dedup.duplicateOf(entry.dedupId, now);
      if (seen !== undefined) return { messageId: seen, duplicate: true };
      const messageId = randomUUID();
      this.#dedup.remember(entry.dedupId, messageId, now);
      this.#sql.insertMessage.run(this.queueId, messageId, entry.groupId, entry.dedupId, entry.body, now, 0);
      return { messageId, duplicate: false };
    });
  }

  /**
   * Receives one batch of up to `maxMessages` (≤ 10 for SQS), in flight for `visibilityTimeoutSec`
   * (the queue's own when absent, like `ReceiveMessage`'s `VisibilityTimeout`).
   */
  receive(maxMessages = 10, visibilityTimeoutSec = this.config.visibilityTimeoutSec): ReceivedMessage[] {
    return this.receiveBatches(1, maxMessages, visibilityTimeoutSec)[0] ?? [];
  }

  /**
   * Receives up to `maxBatches` batches of up to `batchSize` messages each, in one pass: whole
   * runs of a group go into one batch, a batch may hold several groups, and no group appears in
   * two batches or is delivered while it has a message in flight. Messages past their receive
   * limit go to the DLQ on the way. Call inside a write transaction.
   */
  receiveBatches(
    maxBatches: number,
    batchSize: number,
    visibilityTimeoutSec = this.config.visibilityTimeoutSec,
  ): ReceivedMessage[][] {
    const now = this.#clock.now();
    const inFlightUntil = now + visibilityTimeoutSec * 1000;
    this.refresh();
    this.#index.expire(now);
    const batches: ReceivedMessage[][] = [];
    let batch: ReceivedMessage[] = [];
    for (const group of this.#index.readyGroups()) {
      if (batches.length >= maxBatches) break;
      batch.push(...this.#receiveFromGroup(group, batchSize - batch.length, now, inFlightUntil));
      if (batch.length >= batchSize) {
        batches.push(batch);
        batch = [];
      }
    }
    if (batch.length > 0 && batches.length < maxBatches) batches.push(batch);
    return batches;
  }

  /** Whether a receive now could return or dead-letter anything (refreshes the index first). */
  hasReceivable(): boolean {
    this.refresh();
    return this.#index.hasReceivable(this.#clock.now());
  }

  /** Deletes received messages; handles from an earlier receive (timed out since) are ignored. */
  deleteMessages(receiptHandles: readonly string[]): number {
    let deleted = 0;
    for (const handle of receiptHandles) {
      const current = this.#index.inFlight(handle);
      if (!current) continue;
      this.#sql.deleteMessage.run(current.message.seq);
      deleted++;
      this.#index.deleted(current.message, current.group);
    }
    return deleted;
  }

  /** Loads messages sent (by any connection) since the last look. */
  refresh(): void {
    for (;;) {
      const rows = this.#sql.selectNew.all(this.queueId, this.#index.lastSeq, REFRESH_PAGE);
      for (const row of rows) this.#index.add(row);
      if (rows.length < REFRESH_PAGE) return;
    }
  }

  /** Forgets the in-memory index (after a failed transaction); the next receive reloads it. */
  reset(): void {
    this.#index.clear();
  }

  /** Counts from the in-memory index (call `refresh` first for messages sent elsewhere). */
  counts(): QueueCounts {
    return this.#index.counts(this.#clock.now());
  }

  /** Messages this instance moved to the DLQ since it was created. */
  get deadLetteredCount(): number {
    return this.#deadLettered;
  }

  /** Messages in the source queue, from the table (any connection). */
  depth(): number {
    return this.#sql.countQueue.get(this.queueId)?.n ?? 0;
  }

  /** Messages in the DLQ, optionally of one group. */
  dlqDepth(groupId?: string): number {
    const row =
      groupId === undefined
        ? this.#sql.countQueue.get(this.dlqId)
        : this.#sql.countQueueGroup.get(this.dlqId, groupId);
    return row?.n ?? 0;
  }

  /**
   * Source-queue messages in send order, read from the table without receiving them (no receive
   * count, no visibility change), for inspection of queues nothing in the cell consumes.
   */
  peek(limit = 100): DlqMessage[] {
    return this.#sql.selectListed.all(this.queueId, limit).map(dlqMessageOf);
  }

  /** DLQ messages in the order they were first sent, optionally of one group. */
  listDlq(options: { groupId?: string; limit?: number } = {}): DlqMessage[] {
    return this.#dlqRows(options.groupId, options.limit ?? 100).map(dlqMessageOf);
  }

  /**
   * Moves up to `limit` DLQ messages (all groups, or one) back to the end of the source queue with
   * a fresh receive count, oldest first. Bypasses deduplication, like SQS message move tasks.
   * Call inside a write transaction. Returns how many moved.
   */
  redrive(options: { groupId?: string; limit: number }): number {
    const now = this.#clock.now();
    const rows = this.#dlqRows(options.groupId, options.limit);
    for (const row of rows) {
      this.#sql.insertMessage.run(this.queueId, row.message_id, row.group_id, row.dedup_id, row.body, now, 0);
      this.#sql.deleteMessage.run(row.seq);
    }
    return rows.length;
  }

  #dlqRows(groupId: string | undefined, limit: number) {
    return groupId === undefined
      ? this.#sql.selectListed.all(this.dlqId, limit)
      : this.#sql.selectListedGroup.all(this.dlqId, groupId, limit);
  }

  /**
   * Receives the group's next messages up to `capacity`, dead-lettering on the way those past
   * their receive limit, and blocks the group until the visibility timeout if any was received.
   */
  #receiveFromGroup(
    group: GroupState,
    capacity: number,
    now: number,
    inFlightUntil: number,
  ): ReceivedMessage[] {
    const out: ReceivedMessage[] = [];
    let i = 0;
    while (out.length < capacity && i < group.messages.length) {
      const message = group.messages[i] as IndexedMessage;
      if (message.receiveCount + 1 > this.config.maxReceiveCount) {
        this.#sql.moveToDlq.run(this.dlqId, now, this.queueId, message.seq);
        this.#deadLettered++;
        this.#index.dropAt(group, i);
        continue;
      }
      const body = this.#sql.selectBody.get(message.seq)?.body;
      if (body === undefined) {
        // Deleted by another connection (not expected: one receiver per queue); forget it.
        this.#index.dropAt(group, i);
        continue;
      }
      out.push(this.#deliver(message, body, now));
      i++;
    }
    if (out.length > 0) {
      this.#index.blockUntil(group, out.length, inFlightUntil);
    } else {
      this.#index.forgetIfEmpty(group);
    }
    return out;
  }

  #deliver(message: IndexedMessage, body: string, now: number): ReceivedMessage {
    const receiptHandle = this.#index.received(message, now);
    this.#sql.markReceived.run(message.receiveCount, now, message.seq);
    return {
      messageId: message.messageId,
      receiptHandle,
      body,
      groupId: message.groupId,
      dedupId: message.dedupId,
      sequenceNumber: sequenceNumber(message.seq),
      sentAtMs: message.sentAtMs,
      receiveCount: message.receiveCount,
      firstReceiveMs: message.firstReceiveMs ?? now,
    };
  }
}
