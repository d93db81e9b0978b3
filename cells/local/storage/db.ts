import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';
import { type StartupCheck, startupCheckProblems } from './startup-check.js';

/**
 * The local cell's one SQLite file: schema, migrations, pragmas, integrity check, and the write
 * helper that both threads use.
 *
 * Durability choice. WAL mode, `synchronous=FULL` by default: the WAL is fsynced at every commit,
 * and a producer gets its 2xx only after the commit holding its events, so an accepted event
 * survives `kill -9` *and* power loss. `synchronous=NORMAL` (`--synchronous normal`) survives a
 * process crash (the OS still holds the written pages) but may lose the last commits on power
 * loss; the bench measures both. FULL costs little here because commits are grouped
 * ({@link WriteBatcher}): one fsync covers every request of an event-loop turn.
 *
 * Concurrency. One connection, in the engine thread, does all hot writes (ingest, queues, store),
 * so its page cache stays warm: in WAL mode any commit by *another* connection makes SQLite drop a
 * connection's whole page cache, which with two busy writers meant cold b-tree walks on every
 * transaction. The API thread's connection reads and does rare writes (API keys, DLQ redrive).
 * Writes use `BEGIN IMMEDIATE` with `busy_timeout=0`, and a busy database is retried
 * asynchronously ({@link runWrite}) so no event loop sleeps inside SQLite's busy handler.
 *
 * @example
 * const db = openCellDatabase({ file, synchronous: 'FULL', role: 'api' });
 * await runWrite(db.transaction(() => insert.run(row)));
 */

export type DatabaseHandle = Database.Database;

export const SYNCHRONOUS_MODES = ['FULL', 'NORMAL'] as const;
export type SynchronousMode = (typeof SYNCHRONOUS_MODES)[number];

export class CorruptDatabaseError extends Error {
  readonly file: string;
  constructor(file: string, detail: string, options?: { cause?: unknown }) {
    super(
      `database file ${file} is corrupt or not a local-cell database (${detail}); ` +
        'restore it from a backup or move it away to start an empty cell',
      options,
    );
    this.name = 'CorruptDatabaseError';
    this.file = file;
  }
}

/**
 * Whether an error (or any error in its `cause` chain) is SQLite's `SQLITE_FULL`: the disk is full,
 * or the database reached its `max_page_count`. SQLite rolls the whole transaction back on it
 * (https://www.sqlite.org/lang_transaction.html, "Response To Errors Within A Transaction").
 */
export function isDiskFullError(error: unknown): boolean {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if ((e as { code?: unknown }).code === 'SQLITE_FULL') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Caps the database at `pages` pages on this connection (`PRAGMA max_page_count`, which SQLite
 * keeps per connection and never sets below the current size). Tests simulate a full disk with it.
 */
export function setMaxPageCount(db: DatabaseHandle, pages: number): number {
  if (!Number.isSafeInteger(pages) || pages < 1) {
    throw new RangeError(`maxPageCount must be a positive integer, got ${pages}`);
  }
  return db.pragma(`max_page_count = ${pages}`, { simple: true }) as number;
}

export class DatabaseBusyError extends Error {
  constructor(waitedMs: number, options?: { cause?: unknown }) {
    super(`database stayed busy for ${waitedMs} ms`, options);
    this.name = 'DatabaseBusyError';
  }
}

/** Schema version written to `PRAGMA user_version`: one per entry of {@link MIGRATIONS}. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export interface OpenDatabaseOptions {
  readonly file: string;
  readonly synchronous: SynchronousMode;
  /**
   * `api` (the HTTP thread: reads, rare writes) migrates and checks the file and never
   * auto-checkpoints; `engine` (the one hot writer: ingest commits, queues, store) checkpoints;
   * `readonly` is for tools and tests.
   */
  readonly role: 'api' | 'engine' | 'readonly';
  /** What the `api` role checks before it migrates (see `startup-check.ts`); `work` by default. */
  readonly check?: StartupCheck;
  /**
   * Told before and after each migration the `api` role applies: some rebuild an index over a
   * table as big as the history (a minute or more at 10 M records), so a caller can say why the
   * start takes longer, once.
   */
  readonly onMigration?: (step: MigrationStep) => void;
}

/** One migration being applied: `version` is the schema version it leads to. */
export interface MigrationStep {
  readonly phase: 'start' | 'done';
  /** The file's schema version when it was opened: 0 for a new database. */
  readonly from: number;
  readonly version: number;
  readonly of: number;
  /** Set when `phase` is `done`. */
  readonly ms?: number;
}

/**
 * SQLite page cache per connection, KiB (`PRAGMA cache_size` takes −KiB). The engine, the one hot
 * writer, keeps the interior pages of every index (tens of MiB at 10 M records) and the hot right
 * edges; the API thread reads rollups, bounded lookups and short ranges; tools read less.
 */
export const CACHE_KIB: Readonly<Record<OpenDatabaseOptions['role'], number>> = {
  engine: 64 * 1024,
  api: 32 * 1024,
  readonly: 16 * 1024,
};

function isNotADatabase(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT';
}

/** Opens the cell database, applying pragmas; the `api` role also migrates and checks it. */
export function openCellDatabase(options: OpenDatabaseOptions): DatabaseHandle {
  const { file, role } = options;
  let db: DatabaseHandle;
  try {
    db = new Database(file, { readonly: role === 'readonly', fileMustExist: role !== 'api', timeout: 0 });
  } catch (error) {
    if (isNotADatabase(error)) throw new CorruptDatabaseError(file, String(error), { cause: error });
    throw error;
  }
  try {
    if (role === 'api') {
      const problems = startupCheckProblems(db, options.check ?? 'work');
      if (problems.length > 0) throw new CorruptDatabaseError(file, problems.join('; '));
      db.pragma('journal_mode = WAL');
    }
    db.pragma(`synchronous = ${options.synchronous}`);
    // Memory is bounded on purpose (target: the whole cell process ≤ 512 MiB RSS at steady state,
    // two V8 heaps included): page caches of CACHE_KIB (the OS page cache keeps the rest of the
    // file warm without counting in RSS), no mmap (mapped pages count in RSS and the file grows
    // past any map), temporary tables in files (a large GROUP BY or DISTINCT spills to disk
    // instead of growing the heap).
    db.pragma(`cache_size = -${CACHE_KIB[role]}`);
    db.pragma('temp_store = FILE');
    db.pragma('mmap_size = 0');
    db.pragma('journal_size_limit = 67108864');
    db.pragma(`wal_autocheckpoint = ${role === 'engine' ? 4000 : 0}`);
    if (role === 'api') migrate(db, file, options.onMigration);
    else assertSchemaVersion(db, file);
  } catch (error) {
    db.close();
    if (error instanceof CorruptDatabaseError) throw error;
    if (isNotADatabase(error)) throw new CorruptDatabaseError(file, String(error), { cause: error });
    throw error;
  }
  return db;
}

function migrate(db: DatabaseHandle, file: string, onMigration?: (step: MigrationStep) => void): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new CorruptDatabaseError(
      file,
      `schema version ${version} is newer than this code's ${SCHEMA_VERSION}; upgrade the code`,
    );
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    const sql = MIGRATIONS[v] as string;
    const step = { from: version, version: v + 1, of: SCHEMA_VERSION };
    onMigration?.({ phase: 'start', ...step });
    const t0 = performance.now();
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
    onMigration?.({ phase: 'done', ...step, ms: Math.round(performance.now() - t0) });
  }
}

function assertSchemaVersion(db: DatabaseHandle, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== SCHEMA_VERSION) {
    throw new CorruptDatabaseError(file, `schema version ${version}, expected ${SCHEMA_VERSION}`);
  }
}

/** Whether a file exists and is non-empty (a fresh cell has no database yet). */
export function databaseExists(file: string): boolean {
  try {
    return fs.statSync(file).size > 0;
  } catch {
    return false;
  }
}

export function isBusyError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** A better-sqlite3 transaction function (what `db.transaction(fn)` returns). */
export interface TransactionFn<T> {
  immediate(): T;
}

/**
 * Runs a write transaction with `BEGIN IMMEDIATE`, retrying asynchronously while the other
 * connection holds the write lock (1 ms, 2 ms, ... up to 10 ms apart) for at most `maxWaitMs`.
 */
export async function runWrite<T>(txn: TransactionFn<T>, maxWaitMs = 10_000): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return txn.immediate();
    } catch (error) {
      if (!isBusyError(error)) throw error;
      const waited = Date.now() - started;
      if (waited >= maxWaitMs) throw new DatabaseBusyError(waited, { cause: error });
      await delay(Math.min(attempt, 10));
    }
  }
}

/** Ids of named queues, created on first use. */
export function queueIds(db: DatabaseHandle, names: readonly string[]): Map<string, number> {
  const insert = db.prepare('INSERT OR IGNORE INTO queues (name) VALUES (?)');
  const select = db.prepare<[string], { id: number }>('SELECT id FROM queues WHERE name = ?');
  const ids = new Map<string, number>();
  for (const name of names) {
    let row = select.get(name);
    if (!row) {
      insert.run(name);
      row = select.get(name);
    }
    if (!row) throw new Error(`queue ${name} could not be created`);
    ids.set(name, row.id);
  }
  return ids;
}

interface QueuedJob {
  readonly fn: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Work a {@link WriteBatcher} runs once per commit (see `onCommit`). */
export interface CommitHook {
  /** Inside the commit's transaction, after its jobs. */
  beforeCommit(): void;
  /** The commit was rolled back before `beforeCommit` ran: forget what its jobs left. */
  discard(): void;
}

type JobOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/**
 * Group commit for one connection: every job submitted in the same event-loop turn runs inside
 * ONE write transaction (each in its own savepoint, so a failing job rolls back alone), and each
 * job's promise settles after that transaction commits. Ingest commits, poller ticks and store
 * writes of the engine thread all go through one batcher, so under load the cell commits (and
 * fsyncs) a few hundred times a second instead of once per request, and hot pages (the right edge
 * of every index) are written to the WAL once per commit rather than once per request.
 *
 * Jobs are synchronous and must not await. A job that changes in-memory state must tolerate the
 * commit failing afterwards (its promise then rejects). An error that makes SQLite roll back the
 * whole transaction (`SQLITE_FULL`, an I/O error) fails every job of that commit: the jobs before
 * it were rolled back too, and the jobs after it must not run outside a transaction.
 *
 * @example
 * const batcher = new WriteBatcher(db);
 * const id = await batcher.run(() => insert.run(row).lastInsertRowid);
 */
export class WriteBatcher {
  readonly #outer: Database.Transaction<(jobs: readonly QueuedJob[]) => JobOutcome[]>;
  readonly #maxWaitMs: number;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #commitHooks: CommitHook[] = [];
  #queue: QueuedJob[] = [];
  #scheduled = false;
  #flushing = false;
  #commits = 0;
  #largestCommit = 0;

  /** `onError` sees every failed job and failed commit (e.g. to notice a full disk). */
  constructor(db: DatabaseHandle, options: { maxWaitMs?: number; onError?: (error: unknown) => void } = {}) {
    this.#maxWaitMs = options.maxWaitMs ?? 10_000;
    this.#onError = options.onError;
    // Calling a transaction function inside a transaction opens a SAVEPOINT (better-sqlite3).
    const savepoint = db.transaction((fn: () => unknown) => fn());
    this.#outer = db.transaction((jobs: readonly QueuedJob[]): JobOutcome[] => {
      const outcomes = jobs.map((job): JobOutcome => {
        try {
          return { ok: true, value: savepoint(job.fn) };
        } catch (error) {
          // SQLite rolled the whole transaction back: fail the commit (see the class comment).
          if (!db.inTransaction) {
            for (const hook of this.#commitHooks) hook.discard();
            throw error;
          }
          this.#onError?.(error);
          return { ok: false, error };
        }
      });
      // In the same transaction, after every job: a throw rolls the whole commit back.
      for (const hook of this.#commitHooks) hook.beforeCommit();
      return outcomes;
    });
  }

  /**
   * Runs `hook.beforeCommit` inside every commit after its jobs (whether or not any failed), or
   * `hook.discard` when SQLite rolled the commit back before that. For work that is cheaper once per
   * commit than once per job (the store's first-write hooks add up a whole commit's rollup
   * deltas); `beforeCommit` throwing fails every job of the commit.
   */
  onCommit(hook: CommitHook): void {
    this.#commitHooks.push(hook);
  }

  /** Commits so far and the most jobs one commit carried. */
  get stats(): { commits: number; largestCommit: number } {
    return { commits: this.#commits, largestCommit: this.#largestCommit };
  }

  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  /** Resolves once every job submitted so far has settled. */
  async idle(): Promise<void> {
    while (this.#queue.length > 0 || this.#flushing || this.#scheduled) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    const jobs = this.#queue;
    this.#queue = [];
    if (jobs.length === 0) return;
    this.#flushing = true;
    try {
      const outcomes = await runWrite({ immediate: () => this.#outer.immediate(jobs) }, this.#maxWaitMs);
      this.#commits++;
      this.#largestCommit = Math.max(this.#largestCommit, jobs.length);
      jobs.forEach((job, i) => {
        const outcome = outcomes[i];
        if (outcome?.ok) job.resolve(outcome.value);
        else job.reject(outcome ? outcome.error : new Error('job outcome missing'));
      });
    } catch (error) {
      this.#onError?.(error);
      for (const job of jobs) job.reject(error);
    } finally {
      this.#flushing = false;
      if (this.#queue.length > 0) this.#schedule();
    }
  }
}
