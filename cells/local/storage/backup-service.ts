import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../../consumers/clock.js';
import type { Logger } from '../logger.js';
import { type CopyProgress, fsyncDir } from './backup-copy.js';
import { backupFileName, listBackups, type WrittenBackup } from './backup-files.js';
import { type BackupJobResult, runBackupJob } from './backup-job.js';
import { BackupSchedule, type BackupScheduleOptions } from './backup-schedule.js';
import { SCHEMA_VERSION } from './db.js';

export { restoreOnStart } from './backup-restore.js';

/**
 * The cell's backups, on the API thread: one-off copies for `POST /admin/backup` (a temp file in
 * the data dir, streamed to the client and deleted) and scheduled, verified backups into a
 * directory that keeps the last N (`backup-schedule.ts` runs the timer). The work itself runs in a
 * worker (`backup-job.ts`), one backup at a time. One backup directory per cell: a cell prunes
 * and cleans up every scheduled backup in its directory as its own.
 *
 * @example
 * const backups = new CellBackups({ dbFile, dataDir, clock, logger, schedule: { dir, everyMs, keep: 7 } });
 * backups.start();
 * const snapshot = await backups.snapshot(); // stream snapshot.file, then snapshot.discard()
 */

export interface CellBackupsOptions {
  readonly dbFile: string;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Scheduled backups; none without. */
  readonly schedule?: BackupScheduleOptions;
}

/** The backup options of `startLocalCell` (`npm start -- --backup-dir … --restore …`). */
export interface LocalCellBackupOptions {
  readonly schedule?: BackupScheduleOptions;
  /** A backup to verify and restore over the data dir's database before the cell opens it. */
  readonly restoreFrom?: string;
}

/** A consistent copy of the live database waiting in the data dir to be sent. */
export interface BackupSnapshot {
  readonly file: string;
  readonly bytes: number;
  readonly pages: number;
  readonly schemaVersion: number;
  readonly durationMs: number;
  /** Deletes the temp file (idempotent). */
  discard(): void;
}

export class BackupInProgressError extends Error {
  constructor() {
    super('a backup of this cell is already running; retry when it has finished');
    this.name = 'BackupInProgressError';
  }
}

const SNAPSHOT_PREFIX = '.backup-snapshot-';
const PARTIAL_SUFFIX = '.partial';

function randomTag(): string {
  return crypto.randomBytes(4).toString('hex');
}

export class CellBackups {
  readonly #options: CellBackupsOptions;
  /** Temp files of the backups running now; any other `.partial` file is left by a crash. */
  readonly #active = new Set<string>();
  readonly #schedule: BackupSchedule | undefined;
  #running: Promise<unknown> | undefined;

  constructor(options: CellBackupsOptions) {
    this.#options = options;
    this.#schedule =
      options.schedule &&
      new BackupSchedule(
        (dir, keep) => this.writeBackup(dir, keep),
        options.schedule,
        options.logger,
        options.clock,
      );
  }

  /** Starts the schedule, if any. */
  start(): void {
    this.#schedule?.start();
  }

  /** Stops the schedule and waits for a running backup (for a drain). */
  async stop(): Promise<void> {
    await this.#schedule?.stop();
    await this.idle();
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  /**
   * Copies the live database into a temp file of the data dir (same filesystem; the caller streams
   * it and calls `discard`). Throws {@link BackupInProgressError} while another backup runs.
   */
  async snapshot(onProgress?: (progress: CopyProgress) => void): Promise<BackupSnapshot> {
    if (this.#running) throw new BackupInProgressError();
    const { dataDir, dbFile } = this.#options;
    this.#sweepPartials(dataDir, (n) => n.startsWith(SNAPSHOT_PREFIX));
    const file = path.join(dataDir, `${SNAPSHOT_PREFIX}${randomTag()}.sqlite${PARTIAL_SUFFIX}`);
    const result = await this.#exclusive(file, () =>
      runBackupJob({ source: dbFile, dest: file, verify: false }, onProgress),
    );
    let discarded = false;
    return {
      file,
      bytes: result.copy.bytes,
      pages: result.copy.pages,
      schemaVersion: SCHEMA_VERSION,
      durationMs: result.copy.durationMs,
      discard: () => {
        if (discarded) return;
        discarded = true;
        fs.rmSync(file, { force: true });
      },
    };
  }

  /**
   * Writes a verified backup into `dir` (temp file, full verification, fsync, rename), then
   * prunes all but the newest `keep`. Waits for a running backup instead of failing.
   */
  async writeBackup(dir: string, keep: number): Promise<WrittenBackup> {
    while (this.#running) await this.#running.catch(() => undefined);
    fs.mkdirSync(dir, { recursive: true });
    this.#sweepPartials(dir, (n) => n.startsWith('.cell-'));
    const name = backupFileName(this.#options.clock.now());
    const final = path.join(dir, name);
    const temp = path.join(dir, `.${name}.${randomTag()}${PARTIAL_SUFFIX}`);
    const result: BackupJobResult = await this.#exclusive(temp, () =>
      runBackupJob({ source: this.#options.dbFile, dest: temp, verify: true }),
    );
    fs.renameSync(temp, final);
    fsyncDir(dir);
    const pruned = listBackups(dir).slice(0, -keep);
    for (const old of pruned) fs.rmSync(old, { force: true });
    return {
      file: final,
      bytes: result.copy.bytes,
      pages: result.copy.pages,
      schemaVersion: result.verified?.schemaVersion ?? SCHEMA_VERSION,
      durationMs: result.copy.durationMs,
      pruned,
    };
  }

  /** Resolves once no backup runs (for a drain). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running.catch(() => undefined);
  }

  async #exclusive<T>(temp: string, fn: () => Promise<T>): Promise<T> {
    this.#active.add(temp);
    const run = fn();
    this.#running = run;
    try {
      return await run;
    } catch (error) {
      fs.rmSync(temp, { force: true });
      throw error;
    } finally {
      this.#active.delete(temp);
      this.#running = undefined;
    }
  }

  /** Removes `.partial` files a crashed backup left in `dir` (the data-dir lock makes them ours). */
  #sweepPartials(dir: string, ours: (name: string) => boolean): void {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      if (name.endsWith(PARTIAL_SUFFIX) && ours(name) && !this.#active.has(file)) {
        this.#options.logger.warn('removing a partial backup left by an interrupted backup', { file });
        fs.rmSync(file, { force: true });
      }
    }
  }
}
