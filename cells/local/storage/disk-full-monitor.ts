import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../../consumers/clock.js';
import type { Logger } from '../logger.js';
import { type DatabaseHandle, isDiskFullError, setMaxPageCount } from './db.js';

/**
 * Notices when the cell's database cannot grow (`SQLITE_FULL`: the disk is full, or the file hit
 * its `max_page_count`) and when it can again, so the engine pauses what would only fail and the
 * log says it once per episode rather than once per request.
 *
 * An episode starts with the first disk-full write error; while it lasts the engine receives no
 * queue messages (each failed attempt would spend a receive and walk messages to the DLQ) and
 * ingest keeps answering 503 for every request whose commit fails. Every second the engine calls
 * {@link probe}, which ends the episode once both the file's page budget and the filesystem have
 * {@link DEFAULT_HEADROOM_BYTES} free. A wrong guess only costs a new episode.
 *
 * @example
 * const disk = new DiskFullMonitor({ db, dbFile, clock, logger });
 * const batcher = new WriteBatcher(db, { onError: (e) => disk.noteError(e) });
 * setInterval(() => disk.probe(), 1_000);
 */

/** Free space (in the page budget and on the filesystem) that ends an episode: ~4000 WAL pages. */
export const DEFAULT_HEADROOM_BYTES = 16 * 1024 * 1024;

export interface DiskFullState {
  readonly full: boolean;
  /** Epoch ms the current episode started; null when not full. */
  readonly sinceMs: number | null;
  /** Episodes since the engine started. */
  readonly episodes: number;
}

export interface DiskFullMonitorOptions {
  readonly db: DatabaseHandle;
  readonly dbFile: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly headroomBytes?: number;
  /** Free bytes on the filesystem of `dir` (tests replace it). */
  readonly filesystemFreeBytes?: (dir: string) => number;
}

function statfsFreeBytes(dir: string): number {
  const stats = fs.statfsSync(dir);
  return stats.bavail * stats.bsize;
}

export class DiskFullMonitor {
  readonly #options: DiskFullMonitorOptions;
  #sinceMs: number | null = null;
  #episodes = 0;

  constructor(options: DiskFullMonitorOptions) {
    this.#options = options;
  }

  get full(): boolean {
    return this.#sinceMs !== null;
  }

  state(): DiskFullState {
    return { full: this.full, sinceMs: this.#sinceMs, episodes: this.#episodes };
  }

  /** Starts an episode when `error` is a disk-full error; any other error is ignored. */
  noteError(error: unknown): void {
    if (this.full || !isDiskFullError(error)) return;
    this.#sinceMs = this.#options.clock.now();
    this.#episodes++;
    this.#options.logger.error(
      'disk full: the cell database cannot grow; ingest answers 503 with Retry-After and queue ' +
        'processing is paused until space returns (nothing acknowledged is lost)',
      { dbFile: this.#options.dbFile, error },
    );
  }

  /** While full: ends the episode when there is room again. Returns whether it is still full. */
  probe(): boolean {
    if (this.#sinceMs === null) return false;
    const room = this.#roomBytes();
    if (room < (this.#options.headroomBytes ?? DEFAULT_HEADROOM_BYTES)) return true;
    const fullForMs = this.#options.clock.now() - this.#sinceMs;
    this.#sinceMs = null;
    this.#options.logger.info('disk space is back: ingest and queue processing resumed', {
      dbFile: this.#options.dbFile,
      fullForMs,
      roomBytes: room,
    });
    return false;
  }

  /** The smaller of what the file may still grow by (page budget + free pages) and the disk's free space. */
  #roomBytes(): number {
    const { db, dbFile } = this.#options;
    const pragma = (name: string) => Number(db.pragma(name, { simple: true }));
    const pages = pragma('max_page_count') - pragma('page_count') + pragma('freelist_count');
    const budget = pages * pragma('page_size');
    try {
      const free = (this.#options.filesystemFreeBytes ?? statfsFreeBytes)(path.dirname(dbFile));
      return Math.min(budget, free);
    } catch (error) {
      this.#options.logger.warn('free disk space unknown', { error });
      return budget;
    }
  }
}

/**
 * Test hook: caps the database at `pages` on every connection of a cell (the API thread's and the
 * engine's, which may live in a worker), simulating a disk that fills up or is freed again.
 *
 * @example
 * await setCellMaxPageCount(1, apiDb, engine); // full now: the file cannot grow
 */
export async function setCellMaxPageCount(
  pages: number,
  apiDb: DatabaseHandle,
  engine: { setMaxPageCount(pages: number): Promise<void> } | undefined,
): Promise<void> {
  setMaxPageCount(apiDb, pages);
  await engine?.setMaxPageCount(pages);
}
