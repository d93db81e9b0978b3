import type { Statement } from 'better-sqlite3';
import type { DatabaseHandle } from '../storage/db.js';

/**
 * The SQL of the FIFO queues (`messages` table), prepared once per queue instance. Messages of a
 * queue and of its DLQ live in the same table, told apart by `queue_id`; moving a message to the
 * DLQ updates that column rather than copying the row.
 *
 * @example
 * const sql = prepareQueueStatements(db);
 * sql.insertMessage.run(queueId, messageId, groupId, dedupId, body, nowMs, 0);
 */

/** A message as the receiver indexes it (no body: read on receive only). */
export interface MessageRow {
  seq: number;
  message_id: string;
  group_id: string;
  dedup_id: string;
  sent_at_ms: number;
  receive_count: number;
  first_receive_ms: number | null;
}

/** A message as listed (DLQ, peek) and redriven: with its body and dead-letter time. */
export interface DlqRow extends MessageRow {
  body: string;
  dead_lettered_at_ms: number | null;
}

export interface QueueStatements {
  /** (queueId, messageId, groupId, dedupId, body, sentAtMs, receiveCount) */
  readonly insertMessage: Statement<[number, string, string, string, string, number, number]>;
  /** (queueId, afterSeq, limit): messages sent since the receiver last looked. */
  readonly selectNew: Statement<[number, number, number], MessageRow>;
  readonly selectBody: Statement<[number], { body: string }>;
  /** (receiveCount, nowMs, seq) */
  readonly markReceived: Statement<[number, number, number]>;
  readonly deleteMessage: Statement<[number]>;
  /** (dlqId, deadLetteredAtMs, sourceQueueId, seq) */
  readonly moveToDlq: Statement<[number, number, number, number]>;
  /** (queueId, limit), oldest first. */
  readonly selectListed: Statement<[number, number], DlqRow>;
  /** (queueId, groupId, limit), oldest first. */
  readonly selectListedGroup: Statement<[number, string, number], DlqRow>;
  readonly countQueue: Statement<[number], { n: number }>;
  readonly countQueueGroup: Statement<[number, string], { n: number }>;
}

const LISTED_COLUMNS = `seq, message_id, group_id, dedup_id, sent_at_ms, receive_count, first_receive_ms,
       body, dead_lettered_at_ms`;

/** Prepares the queue statements on `db` (any connection: the engine's or the API thread's). */
export function prepareQueueStatements(db: DatabaseHandle): QueueStatements {
  return {
    insertMessage: db.prepare(
      `INSERT INTO messages (queue_id, message_id, group_id, dedup_id, body, sent_at_ms, receive_count)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    selectNew: db.prepare(
      `SELECT seq, message_id, group_id, dedup_id, sent_at_ms, receive_count, first_receive_ms
       FROM messages WHERE queue_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    selectBody: db.prepare('SELECT body FROM messages WHERE seq = ?'),
    markReceived: db.prepare(
      'UPDATE messages SET receive_count = ?, first_receive_ms = coalesce(first_receive_ms, ?) WHERE seq = ?',
    ),
    deleteMessage: db.prepare('DELETE FROM messages WHERE seq = ?'),
    moveToDlq: db.prepare(
      'UPDATE messages SET queue_id = ?, dead_lettered_at_ms = ?, source_queue_id = ? WHERE seq = ?',
    ),
    selectListed: db.prepare(
      `SELECT ${LISTED_COLUMNS} FROM messages WHERE queue_id = ? ORDER BY seq LIMIT ?`,
    ) as Statement<[number, number], DlqRow>,
    selectListedGroup: db.prepare(
      `SELECT ${LISTED_COLUMNS} FROM messages WHERE queue_id = ? AND group_id = ? ORDER BY seq LIMIT ?`,
    ),
    countQueue: db.prepare('SELECT count(*) AS n FROM messages WHERE queue_id = ?'),
    countQueueGroup: db.prepare('SELECT count(*) AS n FROM messages WHERE queue_id = ? AND group_id = ?'),
  };
}
