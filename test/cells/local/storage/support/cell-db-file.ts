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
