import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Clock } from '../../../consumers/clock.js';
import type { CellTopology } from '../../topology.js';
import type { Logger } from '../logger.js';
import { pruneDedup } from '../messaging/dedup-window.js';
import { type DatabaseHandle, isDiskFullError, type WriteBatcher } from '../storage/db.js';
import type { DiskFullMonitor } from '../storage/disk-full-monitor.js';
import type { FirstWriteHook } from '../storage/first-write-hook.js';
import { type PruneSummary, RetentionPruner } from '../storage/retention.js';
import type { RetentionOptions } from '../storage/retention-options.js';
import { RollupBackfill } from '../storage/rollup-backfill.js';

/**
 * The engine's background work beside ingest and processing: first the rollup backfill (the
 * hooks' tables brought up to date from the stored records, `rollup-backfill.ts`), then — once
 * they are current and the engine polls — the retention job (`retention.ts`) once and every
 * `pruneEveryMs`, dedup pruning every 30 s and a passive WAL checkpoint every 5 s. Timed jobs run
 * one after another on one chain, so they never interleave; the retention job runs on its own
 * (it yields between chunks and may take minutes the first time after an upgrade), one run at a
 * time. A job's failure is logged (a full disk goes to the disk monitor) and the next tick tries
 * again.
 *
 * @example
 * const housekeeping = new EngineHousekeeping({ db, batcher, clock, logger, disk, hooks, retention, queueIds, maxFutureSkewMs });
 * housekeeping.start(() => poller.start());
 * await housekeeping.stop();
 */

export interface EngineHousekeepingOptions {
  readonly db: DatabaseHandle;
  readonly batcher: WriteBatcher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly disk: DiskFullMonitor;
  /** The store's first-write hooks (`cellWriteHooks`), for the backfill. */
  readonly hooks: readonly FirstWriteHook[];
  readonly retention: RetentionOptions;
  /** Stage queues and DLQs (records of events still queued are kept). */
  readonly queueIds: readonly number[];
  readonly maxFutureSkewMs: number;
  /** The cell's stages (retention prunes settled SLA entries per stage). */
  readonly topology: CellTopology;
}

const DEDUP_PRUNE_MS = 30_000;
const CHECKPOINT_MS = 5_000;
const DEDUP_CHUNK = 2_000;

export class EngineHousekeeping {
  readonly #options: EngineHousekeepingOptions;
  readonly #backfill: RollupBackfill;
  readonly #pruner: RetentionPruner;
  readonly #timers: NodeJS.Timeout[] = [];
  #chain: Promise<void> = Promise.resolve();
  #startup: Promise<void> = Promise.resolve();
  #pruning: Promise<PruneSummary> | undefined;
  #stopping = false;

  constructor(options: EngineHousekeepingOptions) {
    this.#options = options;
    const { db, batcher, logger, hooks } = options;
    this.#backfill = new RollupBackfill({ db, batcher, hooks, logger });
    this.#pruner = new RetentionPruner({
      db,
      batcher,
      clock: options.clock,
      logger,
      retention: options.retention,
      queueIds: options.queueIds,
      maxFutureSkewMs: options.maxFutureSkewMs,
      topology: options.topology,
    });
  }

  /**
   * Starts the timers and the backfill; `onCurrent` runs once the hooks are current (start
   * polling then), followed by a first retention run.
   */
  start(onCurrent: () => void): void {
    this.every(DEDUP_PRUNE_MS, () => this.pruneDedup());
    this.every(CHECKPOINT_MS, async () => this.#options.db.pragma('wal_checkpoint(PASSIVE)'));
    this.#startup = this.#backfill.runUntilCurrent().then(() => {
      if (this.#stopping) return;
      onCurrent();
      this.#timers.push(setInterval(() => this.#pruneInBackground(), this.#options.retention.pruneEveryMs));
      this.#pruneInBackground();
    });
  }

  /** Runs `job` every `ms` on the housekeeping chain (after the previous job finished). */
  every(ms: number, job: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      this.#chain = this.#chain
        .then(job)
        .then(() => undefined)
        .catch((error: unknown) => this.#failed(error));
    }, ms);
    this.#timers.push(timer);
  }

  /** Deletes expired dedup entries, a chunk per commit. */
  async pruneDedup(): Promise<number> {
    let total = 0;
    for (;;) {
      const now = this.#options.clock.now();
      const n = await this.#options.batcher.run(() => pruneDedup(this.#options.db, now, DEDUP_CHUNK));
      total += n;
      if (n < DEDUP_CHUNK || this.#stopping) return total;
      await yieldToLoop();
    }
  }

  /** One retention run now (or the one under way); resolves with the rows deleted per target. */
  pruneRetention(): Promise<PruneSummary> {
    if (!this.#pruning) {
      this.#pruning = this.#pruner.prune().finally(() => {
        this.#pruning = undefined;
      });
    }
    return this.#pruning;
  }

  /** Stops the timers, the backfill and the retention job after their current chunk; waits for them. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#backfill.stop();
    this.#pruner.stop();
    await this.#startup.catch(() => undefined);
    await this.#pruning?.catch(() => undefined);
    await this.#chain.catch(() => undefined);
  }

  #pruneInBackground(): void {
    if (this.#pruning || this.#stopping) return;
    this.pruneRetention().catch((error: unknown) => this.#failed(error));
  }

  #failed(error: unknown): void {
    // A checkpoint that cannot extend the file on a full disk is part of the episode.
    if (isDiskFullError(error)) this.#options.disk.noteError(error);
    else this.#options.logger.error('housekeeping failed', { error });
  }
}
