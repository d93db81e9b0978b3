import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../../consumers/clock.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { Logger } from '../logger.js';
import { fsyncDir, fsyncFile, tempNameBeside } from './backup-copy.js';
import { type VerifiedBackup, verifyBackupFile } from './backup-verify.js';

/**
 * `npm start -- --restore <file>`: replaces a data dir's database with a backup, before the cell
 * opens it. The backup is verified first (`verifyBackupFile`: a cell database, a schema no newer
 * than this code's, `integrity_check` clean) and copied beside the database; only then is the
 * current database (with its `-wal` and `-shm`) moved aside as `cell.sqlite.before-restore-<time>`
 * (its WAL as `cell.sqlite.before-restore-<time>-wal`, the name SQLite looks for, so the pair still
 * opens as it was) and the copy renamed into place. A refused or failed restore leaves the
 * current database untouched. An older schema is migrated when the cell opens the database.
 *
 * The caller holds the data dir's lock (`startLocalCell` restores right after taking it), so no
 * running cell has the database open.
 *
 * @example
 * const restored = restoreCellDatabase({ backupFile: '/backups/cell-….sqlite', dbFile, nowMs: Date.now() });
 */

export interface RestoreRequest {
  readonly backupFile: string;
  /** The data dir's database file (`<dataDir>/cell.sqlite`). */
  readonly dbFile: string;
  readonly nowMs: number;
}

export interface RestoreResult {
  readonly backup: VerifiedBackup;
  /** Where the replaced database went (undefined when the data dir had none). */
  readonly previous: string | undefined;
}

export class RestoreRefusedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RestoreRefusedError';
  }
}

/** The database's companion files SQLite names `<db>-wal` and `<db>-shm`. */
const COMPANIONS = ['', '-wal', '-shm'] as const;

/** Verifies the backup, then swaps it in for `dbFile`; throws `BackupVerificationError` first if it is not usable. */
export function restoreCellDatabase(request: RestoreRequest): RestoreResult {
  const backupFile = path.resolve(request.backupFile);
  const dbFile = path.resolve(request.dbFile);
  if (COMPANIONS.some((suffix) => backupFile === `${dbFile}${suffix}`)) {
    throw new RestoreRefusedError(
      `cannot restore ${backupFile} over itself; copy it out of the data dir first`,
    );
  }
  const backup = verifyBackupFile(backupFile);
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  // Copy first: a full disk or a failed copy leaves the current database where it is.
  const temp = tempNameBeside(dbFile);
  try {
    fs.copyFileSync(backupFile, temp);
    fsyncFile(temp);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  const previous = moveAside(dbFile, request.nowMs);
  fs.renameSync(temp, dbFile);
  fsyncDir(path.dirname(dbFile));
  return { backup, previous };
}

/** Moves the database and its `-wal`/`-shm` aside together; returns the new name of the database. */
function moveAside(dbFile: string, nowMs: number): string | undefined {
  const present = COMPANIONS.filter((suffix) => fs.existsSync(`${dbFile}${suffix}`));
  if (present.length === 0) return undefined;
  const aside = `${dbFile}.before-restore-${isoFromMs(nowMs).replace(/:/g, '-')}`;
  for (const suffix of present) fs.renameSync(`${dbFile}${suffix}`, `${aside}${suffix}`);
  return present.includes('') ? aside : undefined;
}

/**
 * `startLocalCell`'s restore step (`--restore <file>`), with the data dir's lock held: restores and
 * logs what was replaced; a refused backup throws and the cell does not start.
 */
export function restoreOnStart(
  backupFile: string,
  context: { dbFile: string; clock: Clock; logger: Pick<Logger, 'info'> },
): RestoreResult {
  const result = restoreCellDatabase({ backupFile, dbFile: context.dbFile, nowMs: context.clock.now() });
  context.logger.info('restored the database from a verified backup', {
    backup: result.backup.file,
    bytes: result.backup.bytes,
    schemaVersion: result.backup.schemaVersion,
    previous: result.previous ?? null,
  });
  return result;
}
