import fs from 'node:fs';
import path from 'node:path';

/**
 * One cell per data directory. Two processes writing the same SQLite file would both believe they
 * own the queues (double delivery, interleaved group commits), so the cell takes an exclusive lock
 * file holding its pid. A lock left by a process that no longer exists (after `kill -9`) is stale
 * and taken over, which is what lets a crashed cell restart.
 *
 * @example
 * const lock = acquireDataDirLock(dataDir); // throws DataDirLockedError naming dir and pid
 * try { ... } finally { lock.release(); }
 */
export class DataDirLockedError extends Error {
  readonly dataDir: string;
  readonly pid: number;
  constructor(dataDir: string, pid: number, lockFile: string) {
    super(
      `data dir ${dataDir} is in use by another local cell (pid ${pid}, lock file ${lockFile}); ` +
        'stop that process or pick another --data-dir',
    );
    this.name = 'DataDirLockedError';
    this.dataDir = dataDir;
    this.pid = pid;
  }
}

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

export const LOCK_FILE_NAME = 'cell.lock';

/** Lock files held by this process, so a second cell in the same process is refused too. */
const HELD = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else; it is alive.
    return (error as { code?: string }).code === 'EPERM';
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the data dir's lock or throws {@link DataDirLockedError}. Creates the dir if needed. */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE_NAME);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      let released = false;
      HELD.add(file);
      return {
        file,
        release: () => {
          if (released) return;
          released = true;
          HELD.delete(file);
          if (readPid(file) === process.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      const pid = readPid(file);
      const ours = pid === process.pid;
      if (pid !== undefined && ((ours && HELD.has(file)) || (!ours && processAlive(pid)))) {
        throw new DataDirLockedError(dataDir, pid, file);
      }
      // Stale: a dead pid, our own pid left by a previous life (containers reuse pid 1), or a
      // half-written file. Remove it and retry the exclusive create. Known limit without flock:
      // two cells taking over the same stale lock at the same instant can both succeed.
      fs.rmSync(file, { force: true });
    }
  }
  const pid = readPid(file) ?? -1;
  throw new DataDirLockedError(dataDir, pid, file);
}
