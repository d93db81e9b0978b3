import type { Statement } from 'better-sqlite3';
import type { DatabaseHandle } from '../storage/db.js';
import type { WireEvent } from './event-bus.js';

/**
 * The bus archive table (the local EventBridge archive): every accepted event, keyed by the
 * producer's event id; ingest checks it for duplicates and replays read it back.
 *
 * @example
 * const archive = new EventArchive(db);
 * archive.insert(wireEvent); // inside the engine's write transaction
 * archive.find(eventId);     // { seq, busEventId, receivedAtMs, body } or undefined
 */

export interface ArchivedEvent {
  readonly seq: number;
  readonly busEventId: string;
  readonly receivedAtMs: number;
  readonly body: string;
}

export class EventArchive {
  readonly #find: Statement<
    [string],
    { seq: number; bus_event_id: string; received_at_ms: number; body: string }
  >;
  readonly #insert: Statement<[string, string, string, string, number, string]>;

  constructor(db: DatabaseHandle) {
    this.#find = db.prepare('SELECT seq, bus_event_id, received_at_ms, body FROM archive WHERE event_id = ?');
    this.#insert = db.prepare(
      `INSERT INTO archive (event_id, bus_event_id, detail_type, invoice_id, received_at_ms, body)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
  }

  /** The archived event with this producer event id, if any. */
  find(eventId: string): ArchivedEvent | undefined {
    const row = this.#find.get(eventId);
    return row
      ? { seq: row.seq, busEventId: row.bus_event_id, receivedAtMs: row.received_at_ms, body: row.body }
      : undefined;
  }

  /** Archives one event (inside the caller's transaction). */
  insert(event: WireEvent): void {
    this.#insert.run(
      event.eventId,
      event.busEventId,
      event.detailType,
      event.invoiceId,
      event.receivedAtMs,
      event.busEventJson,
    );
  }
}
