import type { MessageRow } from './queue-statements.js';

/**
 * The receiver's in-memory view of one FIFO queue: its undeleted messages by message group, which
 * groups are ready (something to deliver, nothing in flight) and which wait on in-flight messages
 * until their visibility timeout. It holds no SQL: `FifoQueue` reads and writes the table and
 * keeps this index in step. Receipt handles are `<seq>.<receive count>`, so a handle from an
 * earlier receive of the same message no longer matches.
 *
 * @example
 * const index = new MessageGroupIndex();
 * for (const row of newRows) index.add(row);
 * index.expire(now);
 * for (const group of index.readyGroups()) { ... }
 */

export interface IndexedMessage {
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

export interface GroupState {
  readonly id: string;
  /** Undeleted messages of the group in send order. */
  readonly messages: IndexedMessage[];
  /** How many of the first messages are in flight. */
  outstanding: number;
  blockedUntilMs: number;
}

export interface QueueCounts {
  /** Messages not in flight (ApproximateNumberOfMessagesVisible; includes messages of blocked groups). */
  readonly visible: number;
  /** Received and neither deleted nor timed out (ApproximateNumberOfMessagesNotVisible). */
  readonly inFlight: number;
  /** Send time of the oldest message in the queue, if any. */
  readonly oldestSentAtMs: number | undefined;
}

export class MessageGroupIndex {
  readonly #groups = new Map<string, GroupState>();
  /** Groups with undelivered messages and nothing in flight, in the order they became ready. */
  readonly #ready = new Set<GroupState>();
  /** Groups with messages in flight. */
  readonly #waiting = new Set<GroupState>();
  readonly #bySeq = new Map<number, IndexedMessage>();
  #lastSeq = 0;

  /** The highest sequence number indexed so far. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Indexes a message read from the table (once: a known sequence number is skipped). */
  add(row: MessageRow): void {
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
  expire(nowMs: number): void {
    for (const group of this.#waiting) {
      if (group.blockedUntilMs > nowMs) continue;
      for (const message of group.messages) message.receipt = null;
      group.outstanding = 0;
      this.#release(group);
    }
  }

  /** Ready groups in the order they became ready; safe to iterate while receiving from them. */
  readyGroups(): Iterable<GroupState> {
    return this.#ready;
  }

  /** Whether a group is ready now or waits on messages whose timeout has passed. */
  hasReceivable(nowMs: number): boolean {
    if (this.#ready.size > 0) return true;
    for (const group of this.#waiting) if (group.blockedUntilMs <= nowMs) return true;
    return false;
  }

  /** The in-flight message `receiptHandle` was issued for, if that receive is still current. */
  inFlight(receiptHandle: string): { message: IndexedMessage; group: GroupState } | undefined {
    const message = this.#bySeq.get(Number.parseInt(receiptHandle, 10));
    if (!message || message.receipt !== receiptHandle) return undefined;
    const group = this.#groups.get(message.groupId);
    return group ? { message, group } : undefined;
  }

  /** Forgets a deleted in-flight message; its group is released once nothing else is in flight. */
  deleted(message: IndexedMessage, group: GroupState): void {
    this.#bySeq.delete(message.seq);
    const at = group.messages.indexOf(message);
    if (at >= 0) group.messages.splice(at, 1);
    group.outstanding = Math.max(0, group.outstanding - 1);
    if (group.outstanding === 0) this.#release(group);
  }

  /** Forgets the group's message at `position` (dead-lettered, or gone from the table). */
  dropAt(group: GroupState, position: number): void {
    const [message] = group.messages.splice(position, 1);
    if (message) this.#bySeq.delete(message.seq);
  }

  /** Counts one more receive of `message` and returns its new receipt handle. */
  received(message: IndexedMessage, nowMs: number): string {
    message.receiveCount += 1;
    message.firstReceiveMs ??= nowMs;
    message.receipt = `${message.seq}.${message.receiveCount}`;
    return message.receipt;
  }

  /** The group's first `count` messages are in flight until `untilMs`: it delivers nothing else. */
  blockUntil(group: GroupState, count: number, untilMs: number): void {
    group.outstanding = count;
    group.blockedUntilMs = untilMs;
    this.#ready.delete(group);
    this.#waiting.add(group);
  }

  /** Drops a ready group that has no messages left. */
  forgetIfEmpty(group: GroupState): void {
    if (group.messages.length > 0) return;
    this.#ready.delete(group);
    this.#groups.delete(group.id);
  }

  counts(nowMs: number): QueueCounts {
    let visible = 0;
    let inFlight = 0;
    let oldestSentAtMs: number | undefined;
    for (const group of this.#groups.values()) {
      const flying = group.outstanding > 0 && group.blockedUntilMs > nowMs ? group.outstanding : 0;
      inFlight += flying;
      visible += group.messages.length - flying;
      const head = group.messages[0];
      if (head && (oldestSentAtMs === undefined || head.sentAtMs < oldestSentAtMs)) {
        oldestSentAtMs = head.sentAtMs;
      }
    }
    return { visible, inFlight, oldestSentAtMs };
  }

  /** Forgets everything; the next refresh reloads from the table. */
  clear(): void {
    this.#groups.clear();
    this.#ready.clear();
    this.#waiting.clear();
    this.#bySeq.clear();
    this.#lastSeq = 0;
  }

  #release(group: GroupState): void {
    this.#waiting.delete(group);
    if (group.messages.length > 0) this.#ready.add(group);
    else {
      this.#ready.delete(group);
      this.#groups.delete(group.id);
    }
  }
}
