import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * One cell per data directory. Two processes writing the same SQLite file would both believe they
 * own the queues (double delivery, interleaved group commits), so the cell holds an exclusive lock
 * for as long as it runs.
 *
 * The lock is one the kernel releases when the process dies: an exclusive SQLite lock (POSIX
 * `fcntl` byte-range locks underneath) on a small lock database, `cell.lock.db`, held in an open
 * `BEGIN EXCLUSIVE` transaction. After `kill -9`, a crash or an OOM kill, the lock is gone as soon
 * as the process is, so a supervisor that restarts at once is never refused, and there is no pid
 * to judge alive or stale (a pid file could not tell a dying or zombie process from a live one,
 * nor a recycled pid from the cell).
 *
 * `cell.lock` beside it holds the holder's pid, as information only: a refused start names it,
 * and a cell of an older version (which used that file as its lock) is refused while this one
 * runs. Nothing decides on its contents; a file left by a killed cell is simply overwritten.
 *
 * POSIX locks belong to a process, not a connection, so two cells in one process (tests) are told
 * apart by a registry of the lock files this process holds.
 *
 * @example
 * const lock = acquireDataDirLock(dataDir); // throws DataDirLockedError naming dir and pid
 * try { ... } finally { lock.release(); }
 */
export class DataDirLockedError extends Error {
  readonly dataDir: string;
  /** The holder's pid as it wrote it in `cell.lock`; undefined when unknown. */
  readonly pid: number | undefined;
  constructor(dataDir: string, pid: number | undefined, lockFile: string) {
    super(
      `data dir ${dataDir} is in use by another local cell (pid ${pid ?? 'unknown'}, lock file ${lockFile}); ` +
        'stop that process or pick another --data-dir',
    );
    this.name = 'DataDirLockedError';
    this.dataDir = dataDir;
    this.pid = pid;
  }
}

export interface DataDirLock {
  /** The lock database the kernel lock is held on. */
  readonly file: string;
  release(): void;
}

/** The holder's pid (information only; the lock of versions before the kernel lock). */
export const LOCK_FILE_NAME = 'cell.lock';
/** The SQLite database whose exclusive lock is the data dir's lock. */
export const LOCK_DB_FILE_NAME = 'cell.lock.db';

/**
 * How long a start waits for the lock before refusing. A restart issued the instant a killed cell
 * was signalled may find it still exiting for a few milliseconds; this rides that out, while a
 * second cell started next to a running one is still refused promptly.
 */
export const DEFAULT_LOCK_WAIT_MS = 2_000;

export interface AcquireLockOptions {
  /** Wait this long for a lock held by another process; 0 refuses at once. */
  readonly waitMs?: number;
}

/** Lock databases held by this process, by real path. */
const HELD = new Map<string, Database.Database>();

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** Opens the lock database and takes its exclusive lock; undefined when another process holds it. */
function lockDatabase(file: string, waitMs: number): Database.Database | undefined {
  // `timeout` is SQLite's busy handler: it retries the lock for up to waitMs (start-up only).
  const db = new Database(file, { timeout: waitMs });
  try {
    // No journal file: the transaction never writes, it exists to hold the lock.
    db.pragma('journal_mode = MEMORY');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    return db;
  } catch (error) {
    db.close();
    if (isBusy(error)) return undefined;
    throw error;
  }
}

/**
 * Takes the data dir's lock or throws {@link DataDirLockedError}. Creates the dir if needed.
 * Waits up to `waitMs` (default {@link DEFAULT_LOCK_WAIT_MS}) for another process to let go.
 */
export function acquireDataDirLock(dataDir: string, options: AcquireLockOptions = {}): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const pidFile = path.join(dataDir, LOCK_FILE_NAME);
  const file = path.join(fs.realpathSync(dataDir), LOCK_DB_FILE_NAME);
  if (HELD.has(file)) throw new DataDirLockedError(dataDir, process.pid, file);
  const db = lockDatabase(file, options.waitMs ?? DEFAULT_LOCK_WAIT_MS);
  if (!db) throw new DataDirLockedError(dataDir, readPid(pidFile), file);
  HELD.set(file, db);
  try {
    fs.writeFileSync(pidFile, `${process.pid}\n`);
  } catch (error) {
    HELD.delete(file);
    db.close();
    throw error;
  }
  let released = false;
  return {
    file,
    release: () => {
      if (released) return;
      released = true;
      // Still holding the lock, so no other cell can have written its pid in the meantime.
      if (readPid(pidFile) === process.pid) fs.rmSync(pidFile, { force: true });
      HELD.delete(file);
      db.close();
    },
  };
}
