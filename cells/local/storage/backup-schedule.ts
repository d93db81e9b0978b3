import path from 'node:path';
import { type Clock, SYSTEM_CLOCK } from '../../../consumers/clock.js';
import type { Logger } from '../logger.js';
import { backupTimeMs, listBackups, type WrittenBackup } from './backup-files.js';

/**
 * Scheduled backups (`--backup-dir`, `--backup-every`, `--backup-keep`): every `everyMs` a
 * verified backup is written into `dir` and all but the newest `keep` are pruned. A failed backup
 * is logged and tried again at the next tick; it never stops the cell. Ticks do not overlap: the
 * next one is armed when the current one has finished. The first tick comes `everyMs` after the
 * newest backup already in `dir` (at once when there is none or it is older), so a cell restarted more often than
 * `everyMs` still gets its backups.
 *
 * @example
 * const schedule = new BackupSchedule((dir, keep) => backups.writeBackup(dir, keep), { dir: '/backups/cell', everyMs: 6 * 3_600_000, keep: 7 }, logger);
 * schedule.start();
 * await schedule.stop();
 */

export interface BackupScheduleOptions {
  readonly dir: string;
  readonly everyMs: number;
  /** Backups kept in `dir` (the newest); older ones are deleted once a new one has verified. */
  readonly keep: number;
}

/** Backups kept when `--backup-keep` is not given. */
export const DEFAULT_BACKUP_KEEP = 7;

/** Checks the options, throwing a RangeError that names the option and the bad value. */
export function assertBackupScheduleOptions(options: BackupScheduleOptions): void {
  if (options.dir.trim() === '') throw new RangeError('backup dir must not be empty');
  if (!(Number.isFinite(options.everyMs) && options.everyMs >= 1_000)) {
    throw new RangeError(`backup interval must be at least 1 s, got ${options.everyMs} ms`);
  }
  if (!(Number.isInteger(options.keep) && options.keep >= 1)) {
    throw new RangeError(`backup keep must be an integer of at least 1, got ${options.keep}`);
  }
}

/** Writes one verified backup into `dir` and prunes all but the newest `keep` (`CellBackups.writeBackup`). */
export type BackupWriter = (dir: string, keep: number) => Promise<WrittenBackup>;

export class BackupSchedule {
  readonly #write: BackupWriter;
  readonly #options: BackupScheduleOptions;
  readonly #logger: Pick<Logger, 'info' | 'error'>;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  readonly #clock: Clock;
  #stopped = false;

  constructor(
    write: BackupWriter,
    options: BackupScheduleOptions,
    logger: Pick<Logger, 'info' | 'error'>,
    clock: Clock = SYSTEM_CLOCK,
  ) {
    assertBackupScheduleOptions(options);
    this.#write = write;
    this.#options = { ...options, dir: path.resolve(options.dir) };
    this.#logger = logger;
    this.#clock = clock;
  }

  /** Milliseconds until the first tick: `everyMs` after the newest backup in the dir. */
  firstDelayMs(): number {
    const newest = listBackups(this.#options.dir).at(-1);
    const takenMs = newest === undefined ? undefined : backupTimeMs(path.basename(newest));
    if (takenMs === undefined) return 0;
    return Math.min(this.#options.everyMs, Math.max(0, takenMs + this.#options.everyMs - this.#clock.now()));
  }

  start(): void {
    this.#logger.info('scheduled backups on', {
      dir: this.#options.dir,
      everyMs: this.#options.everyMs,
      keep: this.#options.keep,
    });
    this.#arm(this.firstDelayMs());
  }

  /** One scheduled backup now; resolves with it, or undefined after logging why it failed. */
  async runOnce(): Promise<WrittenBackup | undefined> {
    const { dir, keep } = this.#options;
    try {
      const written = await this.#write(dir, keep);
      this.#logger.info('scheduled backup written', {
        file: written.file,
        bytes: written.bytes,
        pages: written.pages,
        durationMs: written.durationMs,
        pruned: written.pruned.map((f) => path.basename(f)),
      });
      return written;
    } catch (error) {
      this.#logger.error('scheduled backup failed; it is tried again at the next tick', { dir, error });
      return undefined;
    }
  }

  /** Stops the timer and waits for a backup in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#tick;
  }

  #arm(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.runOnce().then(() => {
        this.#tick = undefined;
        this.#arm(this.#options.everyMs);
      });
    }, delayMs);
    // A pending backup never keeps a stopping process alive.
    this.#timer.unref();
  }
}
