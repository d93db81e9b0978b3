import crypto from 'node:crypto';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { openCellDatabase } from '../../../../../cells/local/storage/db.js';
import { MIGRATIONS } from '../../../../../cells/local/storage/migrations.js';

/**
 * Cell database files for the backup tests: a migrated cell database with `rows` meta rows of
 * 1 KiB (so it spans many pages), or one that ran only the first `version` migrations.
 *
 * @example
 * makeCellDatabase(path.join(dir, 'cell.sqlite'), { rows: 500 });
 */
export function makeCellDatabase(file: string, options: { rows?: number; version?: number } = {}): void {
  const db =
    options.version === undefined
      ? openCellDatabase({ file, synchronous: 'NORMAL', role: 'api' })
      : olderSchema(file, options.version);
  const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < (options.rows ?? 200); i++) insert.run(`row-${i}`, 'x'.repeat(1024));
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

function olderSchema(file: string, version: number): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  for (let v = 0; v < version; v++) {
    db.exec(MIGRATIONS[v] as string);
    db.pragma(`user_version = ${v + 1}`);
  }
  return db;
}

/** The meta rows of a database file (read-only). */
export function metaRowCount(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM meta').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** SHA-256 of a file, to show it was not changed. */
export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Adds `rows` archived events of 1 KiB bodies to a closed cell database (a history table). */
export function addArchiveRows(file: string, rows: number): void {
  const db = new Database(file);
  const insert = db.prepare(
    `INSERT INTO archive (event_id, bus_event_id, detail_type, invoice_id, received_at_ms, body)
     VALUES (?, ?, 'ingestion', ?, ?, ?)`,
  );
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(`e-${i}`, `b-${i}`, `INV-${i}`, i, 'x'.repeat(1024));
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/**
 * Overwrites the header of one leaf page of `table` in a closed database file, as a failing disk
 * would: SQLite reports that page, and only that b-tree, as malformed. Answers the page number.
 */
export function damageLeafPage(file: string, table: string): number {
  const db = new Database(file, { readonly: true });
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const leaf = db
    .prepare(
      "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET 1",
    )
    .pluck()
    .get(table) as number | undefined;
  db.close();
  if (leaf === undefined) throw new Error(`table ${table} has fewer than two leaf pages`);
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, Buffer.from([0x77, 0x77, 0x77, 0x77]), 0, 4, (leaf - 1) * pageSize);
  } finally {
    fs.closeSync(fd);
  }
  return leaf;
}
