import type { Statement } from 'better-sqlite3';
import type { CellTopology, StageName } from '../../topology.js';
import type { DatabaseHandle } from './db.js';

/**
 * The id lookups of `/reconcile`, each bounded: the backlog of the stage queues and DLQs (through
 * `messages_queue_seq`, one range per queue; the messages table holds only what is still queued),
 * point reads of the archive (`event_id` is UNIQUE) and of the records (`records_identity` starts
 * with `event_id, stage`), and the archive rows of one minute (`archive_received`). Nothing here
 * reads `records` by received time: it has no index on it, and the counters make it unnecessary.
 *
 * @example
 * const lookups = new ReconcileLookups(db);
 * const queued = readQueuedEvents(db, topology, fromMs, toMs);
 * lookups.isStored(queued[0].eventId, queued[0].stage);
 */

/** A stage message still queued, or dead-lettered, received in the window. */
export interface QueuedRow {
  readonly stage: StageName;
  readonly dlq: boolean;
  /** The message's deduplication id: the relay sets `MessageDeduplicationId = eventId`. */
  readonly eventId: string;
  /** The StageMessage body's `receivedAtMs` (replays and redrives keep the original). */
  readonly receivedAtMs: number;
}

/**
 * The messages of every stage queue and DLQ received in `[fromMs, toMs)`. The received time is in
 * the JSON body; the backlog is small, so a column and an index on it would cost every enqueue
 * more than this read saves.
 */
export function readQueuedEvents(
  db: DatabaseHandle,
  topology: CellTopology,
  fromMs: number,
  toMs: number,
): QueuedRow[] {
  const byName = new Map<string, { stage: StageName; dlq: boolean }>();
  for (const s of topology.stages) {
    byName.set(s.ids.queue, { stage: s.name, dlq: false });
    byName.set(s.ids.dlq, { stage: s.name, dlq: true });
  }
  const queues = db
    .prepare<[], { id: number; name: string }>('SELECT id, name FROM queues')
    .all()
    .filter((q) => byName.has(q.name));
  const select = db.prepare<[number, number, number], { event_id: string; received_at_ms: number }>(
    `SELECT dedup_id AS event_id, received_at_ms FROM (
       SELECT dedup_id, CASE WHEN json_valid(body) THEN json_extract(body, '$.receivedAtMs') END AS received_at_ms
       FROM messages WHERE queue_id = ?)
     WHERE received_at_ms >= ? AND received_at_ms < ?`,
  );
  return queues.flatMap((q) => {
    const where = byName.get(q.name) as { stage: StageName; dlq: boolean };
    return select.all(q.id, fromMs, toMs).map((row) => ({
      stage: where.stage,
      dlq: where.dlq,
      eventId: row.event_id,
      receivedAtMs: row.received_at_ms,
    }));
  });
}

/** An archive row as reconciliation compares it. */
export interface ArchivedRow {
  readonly eventId: string;
  readonly detailType: string;
  readonly receivedAtMs: number;
}

/** Point lookups by event id and the archive rows of one bin, prepared once per answer. */
export class ReconcileLookups {
  readonly #archived: Statement<[string], ArchivedRow>;
  readonly #stored: Statement<[string, string], { one: number }>;
  readonly #acceptedIn: Statement<[number, number], ArchivedRow>;

  constructor(db: DatabaseHandle) {
    this.#archived = db.prepare(
      `SELECT event_id AS eventId, detail_type AS detailType, received_at_ms AS receivedAtMs
       FROM archive WHERE event_id = ?`,
    );
    this.#stored = db.prepare('SELECT 1 AS one FROM records WHERE event_id = ? AND stage = ? LIMIT 1');
    this.#acceptedIn = db.prepare(
      `SELECT event_id AS eventId, detail_type AS detailType, received_at_ms AS receivedAtMs
       FROM archive WHERE received_at_ms >= ? AND received_at_ms < ?`,
    );
  }

  /** The archive row of an event, if the archive still holds it. */
  archived(eventId: string): ArchivedRow | undefined {
    return this.#archived.get(eventId);
  }

  /** Whether a record of the event is stored at this stage. */
  isStored(eventId: string, stage: StageName): boolean {
    return this.#stored.get(eventId, stage) !== undefined;
  }

  /** The archive rows received in `[fromMs, toMs)` (one bin: a range of `archive_received`). */
  acceptedIn(fromMs: number, toMs: number): ArchivedRow[] {
    return this.#acceptedIn.all(fromMs, toMs);
  }
}
