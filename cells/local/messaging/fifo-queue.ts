import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Clock } from '../clock.js';
import { type DatabaseHandle, queueIds } from '../storage/db.js';

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
 * Methods are synchronous; callers wrap them in a write transaction to group them.
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

export interface DlqMessage {
  readonly messageId: string;
  readonly groupId: string;
  readonly dedupId: string;
  readonly body: string;
  readonly sentAtMs: number;
  readonly receiveCount: number;
  readonly deadLetteredAtMs: number | null;
}

/**
 * A stored message as operators see it over HTTP: ids named for invoices, times as RFC 3339, and
 * the body parsed when it is JSON (shown raw otherwise, so a poison body is still visible).
 */
export function describeQueueMessage(m: DlqMessage) {
  let message: unknown;
  try {
    message = JSON.parse(m.body);
  } catch {
    message = m.body;
  }
  return {
    messageId: m.messageId,
    invoiceId: m.groupId,
    eventId: m.dedupId,
    sentAt: new Date(m.sentAtMs).toISOString(),
    message,
  };
}

export interface QueueCounts {
  /** Messages not in flight (ApproximateNumberOfMessagesVisible; includes messages of blocked groups). */
  readonly visible: number;
  /** Received and neither deleted nor timed out (ApproximateNumberOfMessagesNotVisible). */
  readonly inFlight: number;
  /** Send time of the oldest message in the queue, if any. */
  readonly oldestSentAtMs: number | undefined;
}

interface IndexedMessage {
  readonly seq: number;
  readonly messageId: string;
  readonly groupId: string;
  readonly dedupId: string;
  readonly sentAtMs: number;
  receiveCount: number;
  firstReceiveMs: number | null;
  /** Receipt handle of the receive that has it in flight, or null. */
  receipt: string | null;
}

interface GroupState {
  readonly id: string;
  /** Undeleted messages of the group in send order. */
  readonly messages: IndexedMessage[];
  /** How many of the first messages are in flight. */
  outstanding: number;
  blockedUntilMs: number;
}

interface MessageRow {
  seq: number;
  message_id: string;
  group_id: string;
  dedup_id: string;
  sent_at_ms: number;
  receive_count: number;
  first_receive_ms: number | null;
}

interface DlqRow extends MessageRow {
  body: string;
  dead_lettered_at_ms: number | null;
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
  readonly #groups = new Map<string, GroupState>();
  /** Groups with undelivered messages and nothing in flight, in the order they became ready. */
  readonly #ready = new Set<GroupState>();
  /** Groups with messages in flight. */
  readonly #waiting = new Set<GroupState>();
  readonly #bySeq = new Map<number, IndexedMessage>();
  #lastSeq = 0;
  #deadLettered = 0;

  readonly #selectDedup: Statement<[number, string], { message_id: string; expires_at_ms: number }>;
  readonly #upsertDedup: Statement<[number, string, string, number]>;
  readonly #insertMessage: Statement<[number, string, string, string, string, number, number]>;
  readonly #selectNew: Statement<[number, number, number], MessageRow>;
  readonly #selectBody: Statement<[number], { body: string }>;
  readonly #markReceived: Statement<[number, number, number]>;
  readonly #deleteMessage: Statement<[number]>;
  readonly #moveToDlq: Statement<[number, number, number, number]>;
  readonly #selectDlq: Statement<[number, number], DlqRow>;
  readonly #selectDlqGroup: Statement<[number, string, number], DlqRow>;
  readonly #countQueue: Statement<[number], { n: number }>;
  readonly #countQueueGroup: Statement<[number, string], { n: number }>;

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
    this.#selectDedup = db.prepare(
      'SELECT message_id, expires_at_ms FROM dedup WHERE queue_id = ? AND dedup_id = ?',
    );
    this.#upsertDedup = db.prepare(
      `INSERT INTO dedup (queue_id, dedup_id, message_id, expires_at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (queue_id, dedup_id) DO UPDATE SET message_id = excluded.message_id,
         expires_at_ms = excluded.expires_at_ms`,
    );
    this.#insertMessage = db.prepare(
      `INSERT INTO messages (queue_id, message_id, group_id, dedup_id, body, sent_at_ms, receive_count)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#selectNew = db.prepare(
      `SELECT seq, message_id, group_id, dedup_id, sent_at_ms, receive_count, first_receive_ms
       FROM messages WHERE queue_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    );
    this.#selectBody = db.prepare('SELECT body FROM messages WHERE seq = ?');
    this.#markReceived = db.prepare(
      'UPDATE messages SET receive_count = ?, first_receive_ms = coalesce(first_receive_ms, ?) WHERE seq = ?',
    );
    this.#deleteMessage = db.prepare('DELETE FROM messages WHERE seq = ?');
    this.#moveToDlq = db.prepare(
      'UPDATE messages SET queue_id = ?, dead_lettered_at_ms = ?, source_queue_id = ? WHERE seq = ?',
    );
    const dlqColumns = `seq, message_id, group_id, dedup_id, sent_at_ms, receive_count, first_receive_ms,
       body, dead_lettered_at_ms`;
    this.#selectDlq = db.prepare(
      `SELECT ${dlqColumns} FROM messages WHERE queue_id = ? ORDER BY seq LIMIT ?`,
    ) as Statement<[number, number], DlqRow>;
    this.#selectDlqGroup = db.prepare(
      `SELECT ${dlqColumns} FROM messages WHERE queue_id = ? AND group_id = ? ORDER BY seq LIMIT ?`,
    );
    this.#countQueue = db.prepare('SELECT count(*) AS n FROM messages WHERE queue_id = ?');
    this.#countQueueGroup = db.prepare(
      'SELECT count(*) AS n FROM messages WHERE queue_id = ? AND group_id = ?',
    );
  }

  /**
   * Enqueues messages in order, dropping those whose deduplication id was sent within the window.
   * Call inside a write transaction to make a batch atomic.
   */
  send(entries: readonly QueueMessageInput[]): SendResult[] {
    const now = this.#clock.now();
    const expiresAt = now + this.config.dedupWindowSec * 1000;
    return entries.map((entry) => {
      const seen = this.#selectDedup.get(this.queueId, entry.dedupId);
      if (seen && seen.expires_at_ms > now) return { messageId: seen.message_id, duplicate: true };
      const messageId = randomUUID();
      this.#upsertDedup.run(this.queueId, entry.dedupId, messageId, expiresAt);
      this.#insertMessage.run(this.queueId, messageId, entry.groupId, entry.dedupId, entry.body, now, 0);
      return { messageId, duplicate: false };
    });
  }

  /** Receives one batch of up to `maxMessages` (≤ 10 for SQS). */
  receive(maxMessages = 10): ReceivedMessage[] {
    return this.receiveBatches(1, maxMessages)[0] ?? [];
  }

  /**
   * Receives up to `maxBatches` batches of up to `batchSize` messages each, in one pass: whole
   * runs of a group go into one batch, a batch may hold several groups, and no group appears in
   * two batches or is delivered while it has a message in flight. Messages past their receive
   * limit go to the DLQ on the way. Call inside a write transaction.
   */
  receiveBatches(maxBatches: number, batchSize: number): ReceivedMessage[][] {
    const now = this.#clock.now();
    this.refresh();
    this.#expire(now);
    const batches: ReceivedMessage[][] = [];
    let batch: ReceivedMessage[] = [];
    for (const group of this.#ready) {
      if (batches.length >= maxBatches) break;
      batch.push(...this.#receiveFromGroup(group, batchSize - batch.length, now));
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
    if (this.#ready.size > 0) return true;
    const now = this.#clock.now();
    for (const group of this.#waiting) if (group.blockedUntilMs <= now) return true;
    return false;
  }

  /** Deletes received messages; handles from an earlier receive (timed out since) are ignored. */
  deleteMessages(receiptHandles: readonly string[]): number {
    let deleted = 0;
    for (const handle of receiptHandles) {
      const seq = Number.parseInt(handle, 10);
      const message = this.#bySeq.get(seq);
      if (!message || message.receipt !== handle) continue;
      const group = this.#groups.get(message.groupId);
      if (!group) continue;
      this.#deleteMessage.run(seq);
      deleted++;
      this.#bySeq.delete(seq);
      const at = group.messages.indexOf(message);
      if (at >= 0) group.messages.splice(at, 1);
      group.outstanding = Math.max(0, group.outstanding - 1);
      if (group.outstanding === 0) this.#release(group);
    }
    return deleted;
  }

  /** Loads messages sent (by any connection) since the last look. */
  refresh(): void {
    for (;;) {
      const rows = this.#selectNew.all(this.queueId, this.#lastSeq, REFRESH_PAGE);
      for (const row of rows) this.#index(row);
      if (rows.length < REFRESH_PAGE) return;
    }
  }

  /** Forgets the in-memory index (after a failed transaction); the next receive reloads it. */
  reset(): void {
    this.#groups.clear();
    this.#ready.clear();
    this.#waiting.clear();
    this.#bySeq.clear();
    this.#lastSeq = 0;
  }

  /** Counts from the in-memory index (call `refresh` first for messages sent elsewhere). */
  counts(): QueueCounts {
    const now = this.#clock.now();
    let visible = 0;
    let inFlight = 0;
    let oldestSentAtMs: number | undefined;
    for (const group of this.#groups.values()) {
      const flying = group.outstanding > 0 && group.blockedUntilMs > now ? group.outstanding : 0;
      inFlight += flying;
      visible += group.messages.length - flying;
      const head = group.messages[0];
      if (head && (oldestSentAtMs === undefined || head.sentAtMs < oldestSentAtMs)) {
        oldestSentAtMs = head.sentAtMs;
      }
    }
    return { visible, inFlight, oldestSentAtMs };
  }

  /** Messages this instance moved to the DLQ since it was created. */
  get deadLetteredCount(): number {
    return this.#deadLettered;
  }

  /** Messages in the source queue, from the table (any connection). */
  depth(): number {
    return this.#countQueue.get(this.queueId)?.n ?? 0;
  }

  /** Messages in the DLQ, optionally of one group. */
  dlqDepth(groupId?: string): number {
    const row =
      groupId === undefined
        ? this.#countQueue.get(this.dlqId)
        : this.#countQueueGroup.get(this.dlqId, groupId);
    return row?.n ?? 0;
  }

  /**
   * Source-queue messages in send order, read from the table without receiving them (no receive
   * count, no visibility change), for inspection of queues nothing in the cell consumes.
   */
  peek(limit = 100): DlqMessage[] {
    return this.#selectDlq.all(this.queueId, limit).map((r) => ({
      messageId: r.message_id,
      groupId: r.group_id,
      dedupId: r.dedup_id,
      body: r.body,
      sentAtMs: r.sent_at_ms,
      receiveCount: r.receive_count,
      deadLetteredAtMs: r.dead_lettered_at_ms,
    }));
  }

  /** DLQ messages in the order they were first sent, optionally of one group. */
  listDlq(options: { groupId?: string; limit?: number } = {}): DlqMessage[] {
    const limit = options.limit ?? 100;
    const rows =
      options.groupId === undefined
        ? this.#selectDlq.all(this.dlqId, limit)
        : this.#selectDlqGroup.all(this.dlqId, options.groupId, limit);
    return rows.map((r) => ({
      messageId: r.message_id,
      groupId: r.group_id,
      dedupId: r.dedup_id,
      body: r.body,
      sentAtMs: r.sent_at_ms,
      receiveCount: r.receive_count,
      deadLetteredAtMs: r.dead_lettered_at_ms,
    }));
  }

  /**
   * Moves up to `limit` DLQ messages (all groups, or one) back to the end of the source queue with
   * a fresh receive count, oldest first. Bypasses deduplication, like SQS message move tasks.
   * Call inside a write transaction. Returns how many moved.
   */
  redrive(options: { groupId?: string; limit: number }): number {
    const now = this.#clock.now();
    const rows =
      options.groupId === undefined
        ? this.#selectDlq.all(this.dlqId, options.limit)
        : this.#selectDlqGroup.all(this.dlqId, options.groupId, options.limit);
    for (const row of rows) {
      this.#insertMessage.run(this.queueId, row.message_id, row.group_id, row.dedup_id, row.body, now, 0);
      this.#deleteMessage.run(row.seq);
    }
    return rows.length;
  }

  #index(row: MessageRow): void {
    this.#lastSeq = Math.max(this.#lastSeq, row.seq);
    if (this.#bySeq.has(row.seq)) return;
    let group = this.#groups.get(row.group_id);
    if (!group) {
      group = { id: row.group_id, messages: [], outstanding: 0, blockedUntilMs: 0 };
      this.#groups.set(group.id, group);
    }
    const message: IndexedMessage = {
      seq: row.seq,
      messageId: row.message_id,
      groupId: row.group_id,
      dedupId: row.dedup_id,
      sentAtMs: row.sent_at_ms,
      receiveCount: row.receive_count,
      firstReceiveMs: row.first_receive_ms,
      receipt: null,
    };
    group.messages.push(message);
    this.#bySeq.set(row.seq, message);
    if (group.outstanding === 0) this.#ready.add(group);
  }

  /** Groups whose in-flight messages timed out become deliverable again. */
  #expire(now: number): void {
    for (const group of this.#waiting) {
      if (group.blockedUntilMs > now) continue;
      for (const message of group.messages) message.receipt = null;
      group.outstanding = 0;
      this.#release(group);
    }
  }

  #release(group: GroupState): void {
    this.#waiting.delete(group);
    if (group.messages.length > 0) this.#ready.add(group);
    else {
      this.#ready.delete(group);
      this.#groups.delete(group.id);
    }
  }

  #receiveFromGroup(group: GroupState, capacity: number, now: number): ReceivedMessage[] {
    const out: ReceivedMessage[] = [];
    let i = 0;
    while (out.length < capacity && i < group.messages.length) {
      const message = group.messages[i] as IndexedMessage;
      if (message.receiveCount + 1 > this.config.maxReceiveCount) {
        this.#moveToDlq.run(this.dlqId, now, this.queueId, message.seq);
        this.#deadLettered++;
        group.messages.splice(i, 1);
        this.#bySeq.delete(message.seq);
        continue;
      }
      const body = this.#selectBody.get(message.seq)?.body;
      if (body === undefined) {
        // Deleted by another connection (not expected: one receiver per queue); forget it.
        group.messages.splice(i, 1);
        this.#bySeq.delete(message.seq);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceiveMs ??= now;
      message.receipt = `${message.seq}.${message.receiveCount}`;
      this.#markReceived.run(message.receiveCount, now, message.seq);
      out.push({
        messageId: message.messageId,
        receiptHandle: message.receipt,
        body,
        groupId: message.groupId,
        dedupId: message.dedupId,
        sequenceNumber: sequenceNumber(message.seq),
        sentAtMs: message.sentAtMs,
        receiveCount: message.receiveCount,
        firstReceiveMs: message.firstReceiveMs,
      });
      i++;
    }
    if (out.length > 0) {
      group.outstanding = out.length;
      group.blockedUntilMs = now + this.config.visibilityTimeoutSec * 1000;
      this.#ready.delete(group);
      this.#waiting.add(group);
    } else if (group.messages.length === 0) {
      this.#ready.delete(group);
      this.#groups.delete(group.id);
    }
    return out;
  }
}

/** Deletes up to `limit` expired dedup entries (all queues); returns how many. */
export function pruneDedup(db: DatabaseHandle, nowMs: number, limit = 5_000): number {
  return db
    .prepare(
      `DELETE FROM dedup WHERE (queue_id, dedup_id) IN
         (SELECT queue_id, dedup_id FROM dedup WHERE expires_at_ms <= ? LIMIT ?)`,
    )
    .run(nowMs, limit).changes;
}
