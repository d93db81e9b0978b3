import type { Statement } from 'better-sqlite3';
import type { DatabaseHandle } from '../storage/db.js';

/**
 * The deduplication window of one FIFO queue (SQS FIFO's 5 minutes): a deduplication id sent
 * within the window is answered with the first message's id and not enqueued again, even after
 * that message was deleted. Entries live in the `dedup` table; {@link pruneDedup} removes expired
 * ones for all queues.
 *
 * @example
 * const dedup = new DedupWindow(db, queueId, 300);
 * dedup.duplicateOf(eventId, now) ?? dedup.remember(eventId, randomUUID(), now);
 */
export class DedupWindow {
  readonly #queueId: number;
  readonly #windowMs: number;
  readonly #select: Statement<[number, string], { message_id: string; expires_at_ms: number }>;
  readonly #upsert: Statement<[number, string, string, number]>;

  constructor(db: DatabaseHandle, queueId: number, windowSec: number) {
    this.#queueId = queueId;
    this.#windowMs = windowSec * 1000;
    this.#select = db.prepare(
      'SELECT message_id, expires_at_ms FROM dedup WHERE queue_id = ? AND dedup_id = ?',
    );
    this.#upsert = db.prepare(
      `INSERT INTO dedup (queue_id, dedup_id, message_id, expires_at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (queue_id, dedup_id) DO UPDATE SET message_id = excluded.message_id,
         expires_at_ms = excluded.expires_at_ms`,
    );
  }

  /** The message id first sent with `dedupId`, while the window is open; otherwise undefined. */
  duplicateOf(dedupId: string, nowMs: number): string | undefined {
    const seen = this.#select.get(this.#queueId, dedupId);
    return seen && seen.expires_at_ms > nowMs ? seen.message_id : undefined;
  }

  /** Opens the window for `dedupId` (replacing an expired entry); call in the send's transaction. */
  remember(dedupId: string, messageId: string, nowMs: number): void {
    this.#upsert.run(this.#queueId, dedupId, messageId, nowMs + this.#windowMs);
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
