import type { Statement } from 'better-sqlite3';
import type { DatabaseHandle } from './db.js';

/**
 * The deletes of the retention job, each bounded to `limit` rows so a transaction stays short
 * (the API thread and the ingest path wait for the write lock meanwhile). Three shapes:
 *
 * - {@link deleteOldRecords}: `records` by first-write time, as a prefix of the rowid order
 *   (rows are inserted in `stored_at_ms` order, so the oldest are the first ids): no index needed.
 * - {@link KeyedChunkDelete}: any table by a WHERE on a leading index range, deleting by primary
 *   key (`WITHOUT ROWID` tables have no rowid to delete by).
 * - {@link KeyWalk}: a table with no index on the column to prune by, walked in primary-key order
 *   with short reads outside any write transaction; only the rows found are deleted, their
 *   condition checked again in the delete.
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

function quoteId(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Deletes up to `limit` of the oldest records whose `stored_at_ms` is before `storedBeforeMs`:
 * the leading run of the rowid order that qualifies, stopping at the first record that does not
 * (a clock stepped back may leave a younger record before older ones; it waits for its turn).
 * Returns how many were deleted.
 */
export function deleteOldRecords(
  statements: { head: Statement<[number], [number, number]>; upTo: Statement<[number]> },
  storedBeforeMs: number,
  limit: number,
): number {
  let last: number | undefined;
  let n = 0;
  for (const [id, storedAtMs] of statements.head.all(limit)) {
    if (storedAtMs >= storedBeforeMs) break;
    last = id;
    n++;
  }
  if (last !== undefined) statements.upTo.run(last);
  return n;
}

/** The statements {@link deleteOldRecords} runs. */
export function prepareRecordDeletes(db: DatabaseHandle): {
  head: Statement<[number], [number, number]>;
  upTo: Statement<[number]>;
} {
  return {
    head: db
      .prepare<[number], [number, number]>('SELECT id, stored_at_ms FROM records ORDER BY id LIMIT ?')
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

/**
 * A walk over a table in primary-key order for rows whose `column` is below a cutoff, for tables
 * with no index on that column (an index would cost every write; the walk costs one short read
 * per `limit` rows, once per retention run). {@link KeyWalk.next} reads the next keys (no write
 * lock); {@link KeyWalk.remove} deletes the rows found, in a write transaction, only if they still
 * qualify (a row rewritten since the read is kept).
 */
export class KeyWalk {
  readonly #key: string[];
  readonly #read: Statement<unknown[], unknown[]>;
  readonly #first: Statement<[number], unknown[]>;
  readonly #remove: Statement<unknown[]>;
  #after: unknown[] | undefined;

  constructor(db: DatabaseHandle, table: string, column: string) {
    this.#key = primaryKeyOf(db, table);
    const t = quoteId(table);
    const key = this.#key.map(quoteId).join(', ');
    const c = quoteId(column);
    const marks = this.#key.map(() => '?').join(', ');
    this.#first = db
      .prepare<[number], unknown[]>(`SELECT ${key}, ${c} FROM ${t} ORDER BY ${key} LIMIT ?`)
      .raw();
    this.#read = db
      .prepare<unknown[], unknown[]>(
        `SELECT ${key}, ${c} FROM ${t} WHERE (${key}) > (${marks}) ORDER BY ${key} LIMIT ?`,
      )
      .raw();
    this.#remove = db.prepare(`DELETE FROM ${t} WHERE (${key}) = (${marks}) AND ${c} < ?`);
  }

  /** Starts again from the first key. */
  restart(): void {
    this.#after = undefined;
  }

  /**
   * Reads the next `limit` rows; returns the keys of those below `beforeMs`, and whether the walk
   * reached the end of the table.
   */
  next(beforeMs: number, limit: number): { keys: unknown[][]; done: boolean } {
    const rows = this.#after === undefined ? this.#first.all(limit) : this.#read.all(...this.#after, limit);
    const width = this.#key.length;
    const keys = rows.filter((r) => (r[width] as number) < beforeMs).map((r) => r.slice(0, width));
    const last = rows[rows.length - 1];
    if (last) this.#after = last.slice(0, width);
    return { keys, done: rows.length < limit };
  }

  /** Deletes the rows of `keys` still below `beforeMs`; returns how many. */
  remove(keys: readonly unknown[][], beforeMs: number): number {
    let n = 0;
    for (const key of keys) n += this.#remove.run(...key, beforeMs).changes;
    return n;
  }
}
