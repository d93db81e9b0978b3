import type { Statement } from 'better-sqlite3';
import type { DatabaseHandle } from './db.js';

/**
 * The deletes of the retention job, each bounded to `limit` rows so a transaction stays short
 * (the API thread and the ingest path wait for the write lock meanwhile). Two shapes:
 *
 * - {@link deleteOldRecords}: `records` by first-write time, as a prefix of the rowid order
 *   (rows are inserted in `stored_at_ms` order, so the oldest are the first ids): no index needed.
 * - {@link KeyedChunkDelete}: any table by a WHERE on a leading index range, deleting by primary
 *   key (`WITHOUT ROWID` tables have no rowid to delete by).
 * No shape walks a table: a table with no index on what it is pruned by goes with the rows that
 * lead to it (the latest-state rows with their records: `retention.ts`).
 *
 * @example
 * const chunk = new KeyedChunkDelete(db, 'archive', 'received_at_ms < ?');
 * while (chunk.run([cutoff], 2_000) === 2_000) await setImmediate();
 */

/** The table's primary-key columns in key order (the rowid for a rowid table without one). */
export function primaryKeyOf(db: DatabaseHandle, table: string): string[] {
  const columns = db.prepare(`PRAGMA table_info(${quoteId(table)})`).all() as { name: string; pk: number }[];
  const key = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  return key.length > 0 ? key.map((c) => c.name) : ['rowid'];
}

/** Whether a table exists in the main schema. */
export function tableExists(db: DatabaseHandle, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

/** The table's column names. */
export function columnsOf(db: DatabaseHandle, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${quoteId(table)})`).all() as { name: string }[]).map((c) => c.name);
}

/**
 * The distinct values of a table's leading key column, by skipping through the key: one seek per
 * value, however many rows each has.
 */
export function distinctKeyValues(db: DatabaseHandle, table: string, column: string): unknown[] {
  const [t, c] = [quoteId(table), quoteId(column)];
  const next = db.prepare(`SELECT ${c} FROM ${t} WHERE ${c} > ? ORDER BY ${c} LIMIT 1`).pluck();
  const first = db.prepare(`SELECT min(${c}) FROM ${t}`).pluck().get();
  const values: unknown[] = [];
  for (let v = first; v !== undefined && v !== null; v = next.get(v)) values.push(v);
  return values;
}

function quoteId(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A record {@link deleteOldRecords} deletes: what its latest-state rows are keyed by. */
export interface PrunedRecord {
  readonly eventId: string;
  readonly invoiceId: string;
  readonly stage: string;
}

/**
 * Deletes up to `limit` of the oldest records whose `stored_at_ms` is before `storedBeforeMs`:
 * the leading run of the rowid order that qualifies, stopping at the first record that does not
 * (a clock stepped back may leave a younger record before older ones; it waits for its turn).
 * `beforeDelete` gets them first, in the same transaction. Returns how many were deleted.
 */
export function deleteOldRecords(
  statements: RecordDeletes,
  storedBeforeMs: number,
  limit: number,
  beforeDelete?: (records: readonly PrunedRecord[]) => void,
): number {
  let last: number | undefined;
  const pruned: PrunedRecord[] = [];
  for (const [id, storedAtMs, eventId, invoiceId, stage] of statements.head.all(limit)) {
    if (storedAtMs >= storedBeforeMs) break;
    last = id;
    pruned.push({ eventId, invoiceId, stage });
  }
  if (last === undefined) return 0;
  beforeDelete?.(pruned);
  statements.upTo.run(last);
  return pruned.length;
}

type RecordHead = [id: number, storedAtMs: number, eventId: string, invoiceId: string, stage: string];

/** The statements {@link deleteOldRecords} runs. */
export interface RecordDeletes {
  readonly head: Statement<[number], RecordHead>;
  readonly upTo: Statement<[number]>;
}

/** Prepares {@link RecordDeletes}. */
export function prepareRecordDeletes(db: DatabaseHandle): RecordDeletes {
  return {
    head: db
      .prepare<[number], RecordHead>(
        'SELECT id, stored_at_ms, event_id, invoice_id, stage FROM records ORDER BY id LIMIT ?',
      )
      .raw(),
    upTo: db.prepare<[number]>('DELETE FROM records WHERE id <= ?'),
  };
}

/**
 * `DELETE FROM table WHERE key IN (SELECT key FROM table WHERE <where> LIMIT ?)`: one chunk of a
 * delete whose WHERE an index (or the primary key) answers as a range.
 */
export class KeyedChunkDelete {
  readonly #statement: Statement<unknown[]>;

  constructor(db: DatabaseHandle, table: string, where: string) {
    const key = primaryKeyOf(db, table).map(quoteId).join(', ');
    const t = quoteId(table);
    this.#statement = db.prepare(
      `DELETE FROM ${t} WHERE (${key}) IN (SELECT ${key} FROM ${t} WHERE ${where} LIMIT ?)`,
    );
  }

  /** Deletes up to `limit` rows matching the WHERE with `params`; returns how many. */
  run(params: readonly unknown[], limit: number): number {
    return this.#statement.run(...params, limit).changes;
  }
}
