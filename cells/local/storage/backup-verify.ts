import fs from 'node:fs';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from './db.js';

/**
 * Checks that a file is a usable backup of a local cell before anything is replaced with it or an
 * older backup is pruned: a SQLite file (header magic, whole pages), a *cell* database (the tables
 * of the first migration and a `user_version` of at least 1), a schema no newer than this code's
 * (an older one is fine: `openCellDatabase` migrates it), and `PRAGMA integrity_check` clean.
 *
 * `integrity_check`, not `quick_check`: quick_check skips comparing every index against its table
 * and the UNIQUE checks, which is where a torn or bit-flipped copy of a b-tree page shows up
 * without breaking the page structure. A backup is verified rarely (after a download, before a
 * prune, before a restore), off the request path, so the full O(N log N) check is worth it.
 *
 * The cell has no `PRAGMA application_id` of its own yet; "a cell database" is recognised by its
 * tables.
 *
 * @example
 * const result = verifyBackupFile('/backups/cell-2026-11-20T09-00-00Z.sqlite'); // throws BackupVerificationError
 * console.log(result.schemaVersion, result.bytes);
 */

/** Why a file is not a usable backup; `reason` is one word tests and callers branch on. */
export const BACKUP_PROBLEMS = [
  'missing',
  'empty',
  'not-sqlite',
  'truncated',
  'not-a-cell-database',
  'newer-schema',
  'corrupt',
] as const;
export type BackupProblem = (typeof BACKUP_PROBLEMS)[number];

export class BackupVerificationError extends Error {
  readonly file: string;
  readonly reason: BackupProblem;
  constructor(file: string, reason: BackupProblem, detail: string, options?: { cause?: unknown }) {
    super(`backup ${file} failed verification (${reason}): ${detail}`, options);
    this.name = 'BackupVerificationError';
    this.file = file;
    this.reason = reason;
  }
}

/** What a verified backup holds. */
export interface VerifiedBackup {
  readonly file: string;
  readonly bytes: number;
  readonly pageSize: number;
  readonly pages: number;
  /** `PRAGMA user_version`: migrations the backup has run (≤ this code's {@link SCHEMA_VERSION}). */
  readonly schemaVersion: number;
  /** Which check ran: always the full one (see the module comment). */
  readonly check: 'integrity_check';
}

/** Tables every cell database has had since the first migration. */
export const CELL_TABLES = ['meta', 'counters', 'api_keys', 'archive', 'queues', 'messages', 'records'];

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const HEADER_BYTES = 100;
/** Errors integrity_check reports at most; a handful names the problem. */
const MAX_ERRORS = 5;

/** The page size of a SQLite header (bytes 16-17, big endian; 1 means 65536). */
function headerPageSize(header: Buffer): number {
  const raw = header.readUInt16BE(16);
  return raw === 1 ? 65_536 : raw;
}

/** Header checks that need no SQLite: it exists, is a SQLite file, and holds whole pages. */
function checkHeader(file: string): { bytes: number; pageSize: number; pagesInHeader: number } {
  let bytes: number;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new BackupVerificationError(file, 'missing', 'not a regular file');
    bytes = stat.size;
  } catch (error) {
    if (error instanceof BackupVerificationError) throw error;
    throw new BackupVerificationError(file, 'missing', (error as Error).message, { cause: error });
  }
  if (bytes === 0) throw new BackupVerificationError(file, 'empty', 'the file is empty');
  const header = Buffer.alloc(HEADER_BYTES);
  const fd = fs.openSync(file, 'r');
  let read: number;
  try {
    read = fs.readSync(fd, header, 0, HEADER_BYTES, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (read < HEADER_BYTES || !header.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    throw new BackupVerificationError(file, 'not-sqlite', 'no SQLite header ("SQLite format 3")');
  }
  const pageSize = headerPageSize(header);
  const pagesInHeader = header.readUInt32BE(28);
  if (bytes % pageSize !== 0 || (pagesInHeader > 0 && bytes < pagesInHeader * pageSize)) {
    throw new BackupVerificationError(
      file,
      'truncated',
      `${bytes} bytes where the header says ${pagesInHeader} pages of ${pageSize} bytes`,
    );
  }
  return { bytes, pageSize, pagesInHeader };
}

function checkCellSchema(db: Database.Database, file: string): number {
  const tables = new Set(
    db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((r) => r.name),
  );
  const missing = CELL_TABLES.filter((t) => !tables.has(t));
  const version = db.pragma('user_version', { simple: true }) as number;
  if (missing.length > 0 || version < 1) {
    throw new BackupVerificationError(
      file,
      'not-a-cell-database',
      missing.length > 0 ? `missing tables: ${missing.join(', ')}` : 'schema version 0',
    );
  }
  if (version > SCHEMA_VERSION) {
    throw new BackupVerificationError(
      file,
      'newer-schema',
      `schema version ${version} is newer than this code's ${SCHEMA_VERSION}; restore it with newer code`,
    );
  }
  return version;
}

function checkIntegrity(db: Database.Database, file: string): void {
  const rows = db.pragma(`integrity_check(${MAX_ERRORS})`) as { integrity_check: string }[];
  const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
  if (problems.length > 0) throw new BackupVerificationError(file, 'corrupt', problems.join('; '));
}

/**
 * Verifies `file` as a cell backup; throws {@link BackupVerificationError} naming the reason.
 * Opens the file read-only and changes nothing. Synchronous and O(size): run it off the
 * request path (the backup worker does).
 */
export function verifyBackupFile(file: string): VerifiedBackup {
  const { bytes, pageSize } = checkHeader(file);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new BackupVerificationError(file, 'not-sqlite', String(error), { cause: error });
  }
  try {
    const schemaVersion = checkCellSchema(db, file);
    checkIntegrity(db, file);
    const pages = db.pragma('page_count', { simple: true }) as number;
    return { file, bytes, pageSize, pages, schemaVersion, check: 'integrity_check' };
  } catch (error) {
    if (error instanceof BackupVerificationError) throw error;
    throw new BackupVerificationError(file, 'corrupt', String(error), { cause: error });
  } finally {
    db.close();
  }
}
