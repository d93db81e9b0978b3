import fs from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { ROLLUP_TIERS } from '../../../dashboards/rollups/window-plan.js';
import { spawnModuleWorker } from '../worker-thread.js';
import type { DatabaseHandle } from './db.js';
import { distinctKeyValues } from './retention-chunks.js';
import { SLA_TIERS } from './sla-rollup-writer.js';

/**
 * Brings back into the OS page cache, after a start, the pages ingest writes at an event's time,
 * so a cell restarted with a cold cache (a reboot, a restore, other work that evicted the file)
 * ingests at its usual rate within seconds instead of reading those pages from disk one at a time
 * inside its write transactions. Measured on this machine (5.2 M records, after `drop_caches`):
 * the warm-up took 7.5 s, and ingest then read ~0 bytes from disk per event (README, "Threads,
 * database, durability").
 *
 * What it reads (range reads that touch every leaf page of the range, nothing else):
 * - the recent end, `horizonMs` back from now, of every index keyed by a time that ingest writes:
 *   the rollup bins of every spec and tier, the SLA entries by entered time and the SLA bins, the
 *   finished invoices by entered time. Late events and lifecycles spanning hours write bins and
 *   entries back there, at random leaves (the reconciliation counters are keyed by the receive
 *   time, always at the right edge: not read here);
 * - all of the indexes that hold only what is in flight: the open SLA entries and the invoices
 *   with an SLA deadline.
 * So the read is bounded by the records of the horizon, not by the history. Indexes keyed by ids
 * (records, invoices) are not time-ordered: their interior pages come back with use.
 *
 * It runs once per start in a worker thread on its own read-only connection (neither the HTTP
 * thread nor the engine waits on its disk reads), newest hour first, one short read transaction
 * per hour and table (a checkpoint is never held back for long). A file smaller than the engine's
 * own page cache is skipped: the first minutes of traffic cache it anyway.
 *
 * @example
 * const warmup = startCacheWarmup({ file: dbFile, nowMs: Date.now() }, (r) => log.info('cache warm-up done', r));
 * await warmup.stop(); // on shutdown, if still running
 */

const HOUR_MS = 3_600_000;
/** Late events reach back to 72 h in the bench's traffic; lifecycles span a day within that. */
export const WARMUP_HORIZON_MS = 72 * HOUR_MS;
/** Below this the file fits the engine's page cache (`CACHE_KIB.engine`): not worth a thread. */
export const WARMUP_MIN_FILE_BYTES = 64 * 1024 * 1024;

export interface CacheWarmupJob {
  readonly file: string;
  readonly nowMs: number;
  readonly horizonMs?: number;
  /** Skip files smaller than this; {@link WARMUP_MIN_FILE_BYTES} by default. */
  readonly minFileBytes?: number;
}

/** What one warm-up read. */
export interface CacheWarmupResult {
  /** Index entries and rows read, per table or index. */
  readonly rows: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly horizonHours: number;
}

/** One range read: `sql` counts the entries of `[fromMs, toMs)` (or all, without a range). */
interface WarmupRead {
  readonly name: string;
  readonly sql: string;
  /** Bound before the range: a leading key value (spec, tier). */
  readonly prefix: readonly unknown[];
  readonly ranged: boolean;
}

function tableNames(db: DatabaseHandle): Set<string> {
  return new Set(
    db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type IN ('table', 'index')").pluck().all(),
  );
}

/** The reads of {@link warmRecentPages} for this database's schema. */
export function warmupReads(db: DatabaseHandle): WarmupRead[] {
  const has = tableNames(db);
  const reads: WarmupRead[] = [];
  /** Entries of `[from, to)` of `time`, after the `where` terms (bound to `prefix`). */
  const ranged = (name: string, from: string, where: string, time: string, prefix: readonly unknown[] = []) =>
    reads.push({
      name,
      sql: `SELECT count(*) FROM ${from} WHERE ${where} AND ? <= ${time} AND ${time} < ?`,
      prefix,
      ranged: true,
    });
  const whole = (name: string, from: string, where: string) =>
    reads.push({ name, sql: `SELECT count(*) FROM ${from} WHERE ${where}`, prefix: [], ranged: false });
  if (has.has('rollup_rows')) {
    for (const spec of distinctKeyValues(db, 'rollup_rows', 'spec_id')) {
      for (const tier of ROLLUP_TIERS) {
        ranged('rollup_rows', 'rollup_rows', 'spec_id = ? AND tier = ?', 'bin_start_ms', [spec, tier]);
      }
    }
  }
  if (has.has('sla_entries_entered')) {
    ranged('sla_entries_entered', 'sla_entries INDEXED BY sla_entries_entered', 'true', 'entered_ms');
  }
  if (has.has('sla_entries_open')) {
    whole('sla_entries_open', 'sla_entries INDEXED BY sla_entries_open', "outcome = 'open'");
  }
  if (has.has('sla_bins')) {
    for (const tier of SLA_TIERS) ranged('sla_bins', 'sla_bins', 'tier = ?', 'bin_start_ms', [tier]);
  }
  if (has.has('invoice_state_deadline')) {
    whole(
      'invoice_state_deadline',
      'invoice_state INDEXED BY invoice_state_deadline',
      'deadline_ms IS NOT NULL',
    );
  }
  if (has.has('invoice_state_done')) {
    ranged(
      'invoice_state_done',
      'invoice_state INDEXED BY invoice_state_done',
      'deadline_ms IS NULL',
      'entered_ms',
    );
  }
  return reads;
}

/**
 * Reads the pages of {@link warmupReads} on `db` (read-only is enough), newest hour first; each
 * hour of each read is its own statement (its own short read transaction). Returns what it read.
 */
export function warmRecentPages(
  db: DatabaseHandle,
  options: { readonly nowMs: number; readonly horizonMs?: number },
): CacheWarmupResult {
  const t0 = performance.now();
  const horizonMs = options.horizonMs ?? WARMUP_HORIZON_MS;
  const reads = warmupReads(db).map((r) => ({ ...r, statement: db.prepare(r.sql).pluck() }));
  const rows: Record<string, number> = {};
  const add = (name: string, n: unknown) => {
    rows[name] = (rows[name] ?? 0) + Number(n ?? 0);
  };
  for (const r of reads) if (!r.ranged) add(r.name, r.statement.get(...r.prefix));
  const window = warmupWindow(options.nowMs, horizonMs);
  for (let to = window.toMs; to > window.fromMs; to -= HOUR_MS) {
    for (const r of reads) if (r.ranged) add(r.name, r.statement.get(...r.prefix, to - HOUR_MS, to));
  }
  return { rows, seconds: (performance.now() - t0) / 1000, horizonHours: horizonMs / HOUR_MS };
}

/**
 * The whole hours the ranged reads cover: from the hour holding `nowMs − horizonMs` to the end
 * of the hour after `nowMs` (bins and entries a little ahead of the clock included). Pure.
 *
 * @example
 * warmupWindow(Date.parse('2026-11-30T10:20:00Z'), 2 * 3_600_000); // 08:00 to 12:00
 */
export function warmupWindow(nowMs: number, horizonMs: number): { fromMs: number; toMs: number } {
  return {
    fromMs: Math.floor((nowMs - horizonMs) / HOUR_MS) * HOUR_MS,
    toMs: Math.ceil(nowMs / HOUR_MS) * HOUR_MS + HOUR_MS,
  };
}

/** Messages from the warm-up worker. */
export type CacheWarmupMessage =
  | { readonly type: 'done'; readonly result: CacheWarmupResult }
  | { readonly type: 'failed'; readonly message: string };

/** A running warm-up: `stop` ends it early (on shutdown) and resolves once the thread is gone. */
export interface CacheWarmup {
  stop(): Promise<void>;
}

/**
 * Starts the warm-up of `job.file` in a worker thread, unless the file is smaller than
 * `minFileBytes`; `onDone` gets its figures, `onError` a failure (a warm-up that fails changes
 * nothing but speed). Returns undefined when skipped.
 */
export function startCacheWarmup(
  job: CacheWarmupJob,
  onDone: (result: CacheWarmupResult) => void,
  onError: (message: string) => void,
): CacheWarmup | undefined {
  const size = fs.statSync(job.file, { throwIfNoEntry: false })?.size ?? 0;
  if (size < (job.minFileBytes ?? WARMUP_MIN_FILE_BYTES)) return undefined;
  const worker: Worker = spawnModuleWorker(import.meta.url, 'cache-warmup-worker', job);
  let finished = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('message', (message: CacheWarmupMessage) => {
    finished = true;
    if (message.type === 'done') onDone(message.result);
    else onError(message.message);
  });
  worker.on('error', (error) => {
    finished = true;
    onError(error.message);
  });
  return {
    async stop() {
      if (!finished) await worker.terminate();
      await exited;
    },
  };
}
