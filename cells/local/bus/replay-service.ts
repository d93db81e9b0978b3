import type { Statement } from 'better-sqlite3';
import type { Clock } from '../../../consumers/clock.js';
import type { BusEvent } from '../../../consumers/relay.js';
import type { ReplayStatusAnswer } from '../../../schemas/api/index.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { StageName, StageTopology } from '../../topology.js';
import type { Logger } from '../logger.js';
import type { DatabaseHandle } from '../storage/db.js';
import { type EventBus, toWireEvent } from './event-bus.js';
import type { CommitFn } from './ingest-client.js';

/**
 * Archive replays (EventBridge `StartReplay`, locally): archived events whose receive time is in
 * `[from, to)` (optionally of one stage and/or one invoice) are put back on the bus carrying a
 * `replay-name`; they go through the rules and the relay again, are not archived again, and rely on
 * the queues' dedup window and the store's idempotent writes to be harmless. Each chunk is
 * delivered in the same engine commit that advances the replay's cursor in the `replays` table,
 * so a replay interrupted by a crash resumes on restart where it stopped.
 *
 * @example
 * const status = replays.start({ name: 'audit-2026-11', fromMs, toMs });
 * replays.get('audit-2026-11'); // { state: 'running', total: 1200, replayed: 500, ... }
 */

export const REPLAY_STATES = {
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  dryRun: 'dry-run',
} as const;
export type ReplayState = (typeof REPLAY_STATES)[keyof typeof REPLAY_STATES];

export interface ReplayRequest {
  readonly name: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly stage?: StageTopology;
  readonly invoiceId?: string;
  readonly dryRun?: boolean;
}

/** A replay as `POST /replays` and `GET /replays/{name}` answer it: the contract's type. */
export type ReplayStatus = ReplayStatusAnswer;

export class ReplayExistsError extends Error {
  constructor(name: string) {
    super(`a replay named "${name}" already exists; pick another name`);
    this.name = 'ReplayExistsError';
  }
}

interface ReplayRow {
  name: string;
  state: ReplayState;
  from_ms: number;
  to_ms: number;
  /** Written from a stage of the topology. */
  stage: StageName | null;
  invoice_id: string | null;
  total: number;
  replayed: number;
  cursor_received_ms: number;
  cursor_seq: number;
  started_at_ms: number;
  finished_at_ms: number | null;
  error: string | null;
}

interface ArchiveRow {
  seq: number;
  received_at_ms: number;
  body: string;
}

export interface ReplayServiceOptions {
  /** The API thread's connection: reads the archive, creates and finishes replay rows. */
  readonly db: DatabaseHandle;
  readonly bus: EventBus;
  /** The engine's commit: delivers a chunk and records the replay's progress atomically. */
  readonly commit: CommitFn;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly chunkSize?: number;
}

const FILTER = `received_at_ms >= @from AND received_at_ms < @to
  AND (@detailType IS NULL OR detail_type = @detailType)
  AND (@invoiceId IS NULL OR invoice_id = @invoiceId)`;

function toStatus(row: ReplayRow): ReplayStatus {
  return {
    name: row.name,
    state: row.state,
    from: isoFromMs(row.from_ms),
    to: isoFromMs(row.to_ms),
    ...(row.stage ? { stage: row.stage } : {}),
    ...(row.invoice_id ? { invoiceId: row.invoice_id } : {}),
    total: row.total,
    replayed: row.replayed,
    startedAt: isoFromMs(row.started_at_ms),
    ...(row.finished_at_ms !== null ? { finishedAt: isoFromMs(row.finished_at_ms) } : {}),
    ...(row.error ? { error: row.error } : {}),
  };
}

export class ReplayService {
  readonly #options: ReplayServiceOptions;
  readonly #count: Statement<Record<string, unknown>, { n: number }>;
  readonly #page: Statement<Record<string, unknown>, ArchiveRow>;
  readonly #get: Statement<[string], ReplayRow>;
  readonly #running: Statement<[], ReplayRow>;
  readonly #insert: Statement<Record<string, unknown>>;
  readonly #finish: Statement<[string, number, string | null, string]>;
  readonly #active = new Map<string, Promise<void>>();
  #stopping = false;

  constructor(options: ReplayServiceOptions) {
    this.#options = options;
    const { db } = options;
    this.#count = db.prepare(`SELECT count(*) AS n FROM archive WHERE ${FILTER}`);
    this.#page = db.prepare(
      `SELECT seq, received_at_ms, body FROM archive WHERE ${FILTER}
         AND (received_at_ms, seq) > (@cursorMs, @cursorSeq)
       ORDER BY received_at_ms, seq LIMIT @limit`,
    );
    this.#get = db.prepare('SELECT * FROM replays WHERE name = ?');
    this.#running = db.prepare("SELECT * FROM replays WHERE state = 'running'");
    this.#insert = db.prepare(
      `INSERT INTO replays (name, state, from_ms, to_ms, stage, invoice_id, total, replayed,
         cursor_received_ms, cursor_seq, started_at_ms)
       VALUES (@name, 'running', @from, @to, @stage, @invoiceId, @total, 0, -9007199254740991, 0, @now)`,
    );
    this.#finish = db.prepare('UPDATE replays SET state = ?, finished_at_ms = ?, error = ? WHERE name = ?');
  }

  /** Starts a replay (or, with `dryRun`, only counts what it would replay). */
  start(request: ReplayRequest): ReplayStatus {
    if (this.#get.get(request.name)) throw new ReplayExistsError(request.name);
    const filter = this.#filter(request.fromMs, request.toMs, request.stage?.detailType, request.invoiceId);
    const total = this.#count.get(filter)?.n ?? 0;
    const now = this.#options.clock.now();
    if (request.dryRun) {
      return {
        name: request.name,
        state: 'dry-run',
        from: isoFromMs(request.fromMs),
        to: isoFromMs(request.toMs),
        ...(request.stage ? { stage: request.stage.name } : {}),
        ...(request.invoiceId ? { invoiceId: request.invoiceId } : {}),
        total,
        replayed: 0,
        startedAt: isoFromMs(now),
      };
    }
    this.#insert.run({
      name: request.name,
      from: request.fromMs,
      to: request.toMs,
      stage: request.stage?.name ?? null,
      invoiceId: request.invoiceId ?? null,
      total,
      now,
    });
    this.#launch(request.name);
    return this.get(request.name) as ReplayStatus;
  }

  get(name: string): ReplayStatus | undefined {
    const row = this.#get.get(name);
    return row ? toStatus(row) : undefined;
  }

  /** Resumes replays a previous process left running. */
  resumeInterrupted(): number {
    const rows = this.#running.all();
    for (const row of rows) {
      this.#options.logger.info('resuming replay', {
        replay: row.name,
        replayed: row.replayed,
        total: row.total,
      });
      this.#launch(row.name);
    }
    return rows.length;
  }

  /** Stops after the current chunk; running replays stay `running` and resume on next start. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.allSettled([...this.#active.values()]);
  }

  #filter(fromMs: number, toMs: number, detailType: string | undefined, invoiceId: string | undefined) {
    return { from: fromMs, to: toMs, detailType: detailType ?? null, invoiceId: invoiceId ?? null };
  }

  #launch(name: string): void {
    const run = this.#run(name)
      .catch((error: unknown) => {
        this.#options.logger.error('replay failed', { replay: name, error });
        try {
          this.#finish.run('failed', this.#options.clock.now(), String(error), name);
        } catch {
          // The database itself is failing; the replay stays `running` and resumes on restart.
        }
      })
      .finally(() => this.#active.delete(name));
    this.#active.set(name, run);
  }

  async #run(name: string): Promise<void> {
    const { bus, clock } = this.#options;
    const limit = this.#options.chunkSize ?? 500;
    const stageOf = new Map<string, string>(bus.topology.stages.map((s) => [s.name, s.detailType]));
    for (;;) {
      if (this.#stopping) return;
      const row = this.#get.get(name);
      if (row?.state !== 'running') return;
      const page = this.#page.all({
        ...this.#filter(
          row.from_ms,
          row.to_ms,
          row.stage ? stageOf.get(row.stage) : undefined,
          row.invoice_id ?? undefined,
        ),
        cursorMs: row.cursor_received_ms,
        cursorSeq: row.cursor_seq,
        limit,
      });
      if (page.length === 0) {
        this.#finish.run('completed', clock.now(), null, name);
        this.#options.logger.info('replay completed', { replay: name, replayed: row.replayed });
        return;
      }
      const events = page.map((p) => ({ ...(JSON.parse(p.body) as BusEvent), 'replay-name': name }));
      const routed = await bus.route(events);
      const last = page[page.length - 1] as ArchiveRow;
      await this.#options.commit({
        archive: false,
        events: routed.map(toWireEvent),
        replay: { name, cursorReceivedMs: last.received_at_ms, cursorSeq: last.seq },
      });
      // Yield to request handling between chunks.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
