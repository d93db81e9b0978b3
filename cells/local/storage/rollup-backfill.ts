import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Statement } from 'better-sqlite3';
import type { RollupRecord } from '../../../dashboards/rollups/contributions.js';
import { toRollupRecord } from '../../../dashboards/rollups/rollup-record.js';
import type { Logger } from '../logger.js';
import type { DatabaseHandle, WriteBatcher } from './db.js';
import type { FirstWriteHook } from './first-write-hook.js';
import { type RecordRow, recordOfRow } from './record-row.js';
import { META_REBUILT_FROM_PREFIX, META_RECORDS_COMPLETE_FROM } from './retention.js';

/**
 * The upgrade path of the first-write hooks (rollups, invoice state, reconcile counters): when a
 * hook's `version` differs from the one its tables were built with (a data dir of an older
 * version, migrated; changed panel definitions), rebuild that hook from the stored records before
 * the engine starts polling.
 *
 * - Bookkeeping in `meta`: `first_write_hooks` holds `{name: version}` the tables are current for;
 *   `first_write_hooks_backfill` a rebuild under way: its target versions, the hooks it rebuilds,
 *   `upto` (the highest record id when it began), the `cursor` (last record id applied) and counts.
 * - Start: one transaction calls `reset()` of every hook to rebuild and records the plan. Hooks
 *   whose version did not change are left alone.
 * - Chunks: records `id > cursor AND id <= upto` in id order (the order they were first written,
 *   as the store called the hooks), converted with `toRollupRecord`, applied to each rebuilt hook,
 *   and the cursor advanced — in the SAME transaction, so a kill loses at most the chunk under way
 *   and the next start continues from the cursor without resetting again. Chunks join the
 *   engine's group commit and are sized to take about `targetChunkMs` (≤ `maxChunkRows`), and the
 *   loop yields between them, so ingest never waits long for the write lock.
 * - Done: the last chunk writes the target versions as current. No records: written at once.
 * - Progress: `rollup backfill` every `progressEveryMs` with done/total, percent, records/s and
 *   ETA; `rollup backfill started|resumed|done` around it.
 *
 * Records pruned by retention are gone: a rebuild then covers only the records still stored, and
 * `rebuilt_from_ms:<hook>` says from which time on (`readRollupRetention` raises the tiers to it).
 *
 * @example
 * const backfill = new RollupBackfill({ db, batcher, hooks: cellWriteHooks(db, topology), logger });
 * await backfill.runUntilCurrent(); // then start polling
 */

export const META_HOOK_VERSIONS = 'first_write_hooks';
export const META_BACKFILL = 'first_write_hooks_backfill';

export interface RollupBackfillOptions {
  readonly db: DatabaseHandle;
  /** The engine's group commit: each chunk is one job (savepoint) of it. */
  readonly batcher: WriteBatcher;
  /** The hooks the store runs (`cellWriteHooks`), in the same order. */
  readonly hooks: readonly FirstWriteHook[];
  readonly logger: Logger;
  /** Largest chunk; chunks shrink or grow towards `targetChunkMs`. @default 5000 */
  readonly maxChunkRows?: number;
  /**
   * Aimed time of one chunk's transaction (ingest commits joining it wait that long). Larger
   * chunks write each touched rollup page to the WAL once for more records. @default 100
   */
  readonly targetChunkMs?: number;
  /** How often progress is logged. @default 5000 */
  readonly progressEveryMs?: number;
  /** Wait after a failed run before `runUntilCurrent` tries again. @default 5000 */
  readonly retryDelayMs?: number;
}

/** A rebuild under way (meta `first_write_hooks_backfill`). */
interface BackfillPlan {
  readonly target: Readonly<Record<string, string>>;
  readonly rebuild: readonly string[];
  readonly upto: number;
  readonly cursor: number;
  readonly done: number;
  readonly total: number;
}

/** What the readers may show while rollups are built (`readBackfillStatus`). */
export type BackfillStatus =
  | { readonly state: 'current' }
  | {
      readonly state: 'building';
      readonly hooks: readonly string[];
      readonly done: number;
      readonly total: number;
    };

/** The columns the backfill reads: the record's, its stage position, id and first-write time. */
interface BackfillRow extends RecordRow {
  id: bigint;
  stage_order: bigint;
  stored_at_ms: bigint;
}

/** A stored row as the hooks saw it when the store first wrote it. Pure. */
function rollupRecordOf(row: BackfillRow): RollupRecord {
  return toRollupRecord(recordOfRow(row), Number(row.stage_order), Number(row.stored_at_ms));
}

function sameVersions(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>>) {
  if (!a) return false;
  const keys = Object.keys(b);
  return Object.keys(a).length === keys.length && keys.every((k) => a[k] === b[k]);
}

function readJson<T>(db: DatabaseHandle, key: string): T | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row ? (JSON.parse(row.value) as T) : undefined;
}

/**
 * Whether the hooks' tables are current or being rebuilt (one primary-key read of `meta`), so a
 * reader can say that panels are incomplete until the backfill is done.
 *
 * @example
 * if (readBackfillStatus(db).state === 'building') notes.push('rollups are being built');
 */
export function readBackfillStatus(db: DatabaseHandle): BackfillStatus {
  const plan = readJson<BackfillPlan>(db, META_BACKFILL);
  if (!plan) return { state: 'current' };
  return { state: 'building', hooks: plan.rebuild, done: plan.done, total: plan.total };
}

export class RollupBackfill {
  readonly #options: RollupBackfillOptions;
  readonly #db: DatabaseHandle;
  readonly #select: Statement<[number, number, number], BackfillRow>;
  readonly #put: Statement<[string, string]>;
  readonly #delete: Statement<[string]>;
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(options: RollupBackfillOptions) {
    this.#options = options;
    this.#db = options.db;
    this.#select = this.#db
      .prepare<[number, number, number], BackfillRow>(
        `SELECT id, event_id, time_ms, cell, region, stage, stage_order, invoice_id, vendor_id, currency,
           status, amount_minor, vendor_name, received_at_ms, due_date_ms, payment_terms_days, stored_at_ms
         FROM records WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`,
      )
      .safeIntegers(true);
    this.#put = this.#db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.#delete = this.#db.prepare('DELETE FROM meta WHERE key = ?');
  }

  /** Makes a running backfill return after its current chunk (the cursor is kept for next time). */
  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  /**
   * Brings every hook up to date: nothing to do, a rebuild, or the rest of an interrupted one.
   * Rejects when a chunk fails (its transaction rolled back; the cursor is the last committed).
   */
  async run(): Promise<'current' | 'rebuilt' | 'stopped'> {
    const start = await this.#options.batcher.run(() => this.#start());
    if (!start) return 'current';
    this.#logStart(start);
    let plan: BackfillPlan | undefined = start.plan;
    const hooks = this.#options.hooks.filter((h) => plan?.rebuild.includes(h.name));
    const now = () => performance.now();
    const began = now();
    const firstDone = plan.done;
    let lastLog = began;
    let size = Math.min(1_000, this.#options.maxChunkRows ?? 5_000);
    while (plan) {
      if (this.#stopped) return 'stopped';
      const current: BackfillPlan = plan;
      const t0 = now();
      plan = await this.#options.batcher.run(() => this.#chunk(current, hooks, size));
      const elapsed = now() - t0;
      size = this.#nextSize(size, elapsed);
      const seconds = (now() - began) / 1000;
      if (!plan) {
        const total = current.total;
        this.#options.logger.info('rollup backfill done', {
          hooks: current.rebuild,
          records: total,
          seconds: Math.round(seconds * 10) / 10,
          recordsPerSec: Math.round((total - firstDone) / Math.max(seconds, 0.001)),
        });
        return 'rebuilt';
      }
      if (now() - lastLog >= (this.#options.progressEveryMs ?? 5_000)) {
        lastLog = now();
        this.#logProgress(plan, (plan.done - firstDone) / Math.max(seconds, 0.001));
      }
      await yieldToLoop();
    }
    return 'rebuilt';
  }

  /** {@link run}, again after `retryDelayMs` while it fails (logged), until current or stopped. */
  async runUntilCurrent(): Promise<void> {
    for (;;) {
      try {
        await this.run();
        return;
      } catch (error) {
        if (this.#stopped) return;
        const retryInSec = (this.#options.retryDelayMs ?? 5_000) / 1000;
        this.#options.logger.error('rollup backfill failed; retrying', { error, retryInSec });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, retryInSec * 1000);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
        if (this.#stopped) return;
      }
    }
  }

  #nextSize(size: number, elapsedMs: number): number {
    const max = this.#options.maxChunkRows ?? 5_000;
    const target = this.#options.targetChunkMs ?? 100;
    const scaled = Math.round((size * target) / Math.max(elapsedMs, 1));
    return Math.max(Math.min(100, max), Math.min(max, scaled, size * 2));
  }

  #logProgress(plan: BackfillPlan, rate: number): void {
    const left = Math.max(0, plan.total - plan.done);
    this.#options.logger.info('rollup backfill', {
      done: plan.done,
      total: plan.total,
      percent: Math.round((1000 * plan.done) / Math.max(plan.total, 1)) / 10,
      recordsPerSec: Math.round(rate),
      etaSec: rate > 0 ? Math.round(left / rate) : null,
    });
  }

  /** Decides, in one transaction: nothing to do, resume a plan, or reset and plan a rebuild. */
  #start(): { plan: BackfillPlan; resumed: boolean; recordsFromMs: number | undefined } | undefined {
    const { hooks } = this.#options;
    const target = Object.fromEntries(hooks.map((h) => [h.name, h.version]));
    const current = readJson<Record<string, string>>(this.#db, META_HOOK_VERSIONS);
    const under = readJson<BackfillPlan>(this.#db, META_BACKFILL);
    if (under && sameVersions(under.target, target))
      return { plan: under, resumed: true, recordsFromMs: undefined };
    // Changed or new hooks, and those an interrupted rebuild for other versions left half done.
    const rebuild = hooks
      .filter((h) => current?.[h.name] !== h.version || under?.rebuild.includes(h.name))
      .map((h) => h.name);
    if (rebuild.length === 0) {
      if (!sameVersions(current, target) || under) this.#finish(target);
      return undefined;
    }
    for (const hook of hooks) if (rebuild.includes(hook.name)) hook.reset();
    const span = this.#db
      .prepare<[], { lo: number | null; hi: number | null }>(
        'SELECT min(id) AS lo, max(id) AS hi FROM records',
      )
      .get();
    const recordsFromMs = readJson<number>(this.#db, META_RECORDS_COMPLETE_FROM);
    for (const name of rebuild) {
      if (recordsFromMs === undefined) this.#delete.run(`${META_REBUILT_FROM_PREFIX}${name}`);
      else this.#put.run(`${META_REBUILT_FROM_PREFIX}${name}`, String(recordsFromMs));
    }
    if (!span?.hi) {
      this.#finish(target);
      return undefined;
    }
    // Ids are dense from the oldest record on (retention deletes a prefix), so this is the count.
    const total = span.hi - (span.lo ?? 1) + 1;
    const plan: BackfillPlan = { target, rebuild, upto: span.hi, cursor: 0, done: 0, total };
    this.#put.run(META_BACKFILL, JSON.stringify(plan));
    return { plan, resumed: false, recordsFromMs };
  }

  #logStart(start: { plan: BackfillPlan; resumed: boolean; recordsFromMs: number | undefined }): void {
    const { plan, resumed, recordsFromMs } = start;
    const { logger } = this.#options;
    if (resumed) {
      logger.info('rollup backfill resumed', { hooks: plan.rebuild, done: plan.done, total: plan.total });
      return;
    }
    logger.info('rollup backfill started', { hooks: plan.rebuild, total: plan.total });
    if (recordsFromMs !== undefined) {
      logger.warn(
        'rollup backfill: records pruned by retention are gone; rebuilt bins start at recordsFromMs',
        {
          recordsFromMs,
        },
      );
    }
  }

  /** One chunk: apply, advance the cursor; the last one writes the versions as current. */
  #chunk(plan: BackfillPlan, hooks: readonly FirstWriteHook[], size: number): BackfillPlan | undefined {
    const rows = this.#select.all(plan.cursor, plan.upto, size);
    if (rows.length > 0) {
      const records = rows.map(rollupRecordOf);
      for (const hook of hooks) hook.apply(records);
    }
    const last = rows[rows.length - 1];
    if (rows.length < size || !last || Number(last.id) >= plan.upto) {
      this.#finish(plan.target);
      return undefined;
    }
    const next: BackfillPlan = { ...plan, cursor: Number(last.id), done: plan.done + rows.length };
    this.#put.run(META_BACKFILL, JSON.stringify(next));
    return next;
  }

  #finish(target: Readonly<Record<string, string>>): void {
    this.#put.run(META_HOOK_VERSIONS, JSON.stringify(target));
    this.#delete.run(META_BACKFILL);
  }
}
