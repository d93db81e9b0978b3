import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * The online copy of a cell database: SQLite's backup API (`sqlite3_backup_step`, through
 * better-sqlite3's `db.backup`) on a connection of its own, in steps, while the engine keeps
 * committing on its connection.
 *
 * Consistency. The copying connection opens a read transaction first and holds it to the last
 * step: in WAL mode that pins one snapshot (every commit before it, none after), and since no
 * step starts a new read transaction, commits by other connections do not restart the backup (the
 * backup API restarts from page 1 whenever the source changes between steps of an unpinned
 * copy, which under steady ingest would never finish). Writers are not blocked; the cost is that
 * checkpoints cannot move past the pinned snapshot, so the WAL grows by what is written during the
 * copy and shrinks again at the next checkpoint after it.
 *
 * The copy is written in rollback-journal mode (`journal_mode=DELETE`), so the backup is one
 * self-contained file that opens read-only anywhere; `openCellDatabase` turns WAL back on when a
 * cell starts on it.
 *
 * @example
 * const copy = await copyDatabase('/data/cell.sqlite', '/backups/cell.sqlite.tmp', { onProgress });
 * console.log(copy.pages, copy.bytes);
 */

/** Pages copied per step: 4096 × 4 KiB = 16 MiB, a few ms of work between two looks at the event loop. */
export const PAGES_PER_STEP = 4096;

export interface CopyProgress {
  readonly totalPages: number;
  readonly copiedPages: number;
}

export interface CopyOptions {
  readonly onProgress?: (progress: CopyProgress) => void;
  readonly pagesPerStep?: number;
}

export interface DatabaseCopy {
  readonly file: string;
  readonly pages: number;
  readonly bytes: number;
  readonly durationMs: number;
}

/**
 * Copies the live database `source` into `dest` (which must not exist) and fsyncs it. On failure
 * `dest` is removed and the error rethrown.
 */
export async function copyDatabase(
  source: string,
  dest: string,
  options: CopyOptions = {},
): Promise<DatabaseCopy> {
  const started = Date.now();
  if (fs.existsSync(dest)) throw new Error(`backup destination ${dest} already exists`);
  const src = new Database(source, { readonly: true, fileMustExist: true, timeout: 5_000 });
  try {
    // Pin the snapshot: BEGIN is deferred, the first read opens the read transaction.
    src.exec('BEGIN');
    src.prepare('SELECT count(*) FROM sqlite_master').get();
    const step = options.pagesPerStep ?? PAGES_PER_STEP;
    await src.backup(dest, {
      progress: ({ totalPages, remainingPages }) => {
        options.onProgress?.({ totalPages, copiedPages: totalPages - remainingPages });
        return step;
      },
    });
    src.exec('COMMIT');
  } catch (error) {
    fs.rmSync(dest, { force: true });
    throw error;
  } finally {
    src.close();
  }
  try {
    const pages = finishCopy(dest);
    options.onProgress?.({ totalPages: pages, copiedPages: pages });
    return { file: dest, pages, bytes: fs.statSync(dest).size, durationMs: Date.now() - started };
  } catch (error) {
    fs.rmSync(dest, { force: true });
    throw error;
  }
}

/** Rollback-journal mode, so the copy is one file; then fsync it. Returns its page count. */
function finishCopy(file: string): number {
  const db = new Database(file, { fileMustExist: true });
  let pages: number;
  try {
    db.pragma('journal_mode = DELETE');
    pages = db.pragma('page_count', { simple: true }) as number;
  } finally {
    db.close();
  }
  fsyncFile(file);
  return pages;
}

export function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fsyncs a directory so a rename in it survives power loss (a no-op where directories cannot be opened). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A temp file name beside `file` (same directory, so the final rename is atomic). */
export function tempNameBeside(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${crypto.randomBytes(4).toString('hex')}.partial`,
  );
}
