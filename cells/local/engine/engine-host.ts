import type { Worker } from 'node:worker_threads';
import type { EntryResult, IngestBatch } from '../bus/ingest-committer.js';
import type { Logger } from '../logger.js';
import { spawnModuleWorker } from '../worker-thread.js';
import { CellEngine, type EngineConfig, type EngineSnapshot } from './engine.js';

/**
 * The API thread's handle on the cell engine, whether it runs in a Worker (default: HTTP and
 * durable work on separate cores) or inline (same code, one thread). Requests to the worker are
 * messages answered by id.
 *
 * @example
 * const engine = await startEngine(config, { mode: 'worker', logger, onFatal });
 * const entries = await engine.ingest({ archive: true, events });
 */

export const ENGINE_THREAD_MODES = ['worker', 'inline'] as const;
export type EngineThreadMode = (typeof ENGINE_THREAD_MODES)[number];

export type EngineRequest =
  | { readonly type: 'wake' }
  | { readonly type: 'ingest'; readonly id: number; readonly batches: readonly IngestBatch[] }
  | { readonly type: 'snapshot'; readonly id: number }
  | { readonly type: 'faults'; readonly id: number; readonly failEventIds: readonly string[] }
  | { readonly type: 'maxPageCount'; readonly id: number; readonly pages: number }
  | { readonly type: 'stop'; readonly id: number };

export type EngineMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'fatal'; readonly error: Record<string, unknown> }
  | {
      readonly type: 'reply';
      readonly id: number;
      readonly payload?: unknown;
      readonly error?: Record<string, unknown>;
    };

export interface EngineHandle {
  ingest(batch: IngestBatch): Promise<EntryResult[]>;
  wake(): void;
  snapshot(): Promise<EngineSnapshot>;
  setFaults(failEventIds: readonly string[]): Promise<void>;
  /** Test hook: caps the database in pages on the engine's connection (a simulated full disk). */
  setMaxPageCount(pages: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StartEngineOptions {
  readonly mode: EngineThreadMode;
  readonly logger: Logger;
  /** The engine died after start; the cell cannot make progress and should exit. */
  readonly onFatal: (error: Error) => void;
}

export class EngineFailedError extends Error {
  /** The engine-side error's code (e.g. `SQLITE_FULL`), so callers can tell a full disk. */
  readonly code: string | undefined;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    this.name = 'EngineFailedError';
    this.code = options?.code;
  }
}

/** Starts the engine and resolves once it accepts work. */
export async function startEngine(config: EngineConfig, options: StartEngineOptions): Promise<EngineHandle> {
  if (options.mode === 'inline') {
    const engine = CellEngine.open(config, undefined, options.logger.child({ component: 'engine' }));
    engine.start();
    return {
      ingest: (batch) => engine.ingest(batch),
      wake: () => engine.wake(),
      snapshot: async () => engine.snapshot(),
      setFaults: async (ids) => engine.setFaults(ids),
      setMaxPageCount: async (pages) => engine.setMaxPageCount(pages),
      stop: () => engine.stop(),
    };
  }
  return startWorker(config, options);
}

function spawnWorker(config: EngineConfig): Worker {
  return spawnModuleWorker(import.meta.url, 'engine-worker', config);
}

function errorFrom(serialized: Record<string, unknown> | undefined, fallback: string): Error {
  const code = serialized?.code;
  const error = new EngineFailedError(
    String(serialized?.message ?? fallback),
    typeof code === 'string' ? { code } : {},
  );
  if (typeof serialized?.stack === 'string') error.stack = serialized.stack;
  return error;
}

async function startWorker(config: EngineConfig, options: StartEngineOptions): Promise<EngineHandle> {
  const worker = spawnWorker(config);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let started = false;
  let stopping = false;
  let exited = false;

  await new Promise<void>((resolve, reject) => {
    const failEarly = (error: Error) => {
      if (!started) reject(error);
    };
    worker.on('message', (message: EngineMessage) => {
      if (message.type === 'ready') {
        started = true;
        resolve();
      } else if (message.type === 'fatal') {
        const error = errorFrom(message.error, 'engine failed to start');
        if (!started) reject(error);
        else options.onFatal(error);
      } else if (message.type === 'reply') {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) waiter?.reject(errorFrom(message.error, 'engine request failed'));
        else waiter?.resolve(message.payload);
      }
    });
    worker.on('error', (error) => {
      options.logger.error('engine worker crashed', { error });
      failEarly(error);
      if (started && !stopping) options.onFatal(error);
    });
    worker.on('exit', (code) => {
      exited = true;
      for (const waiter of pending.values()) waiter.reject(new EngineFailedError(`engine exited (${code})`));
      pending.clear();
      const error = new EngineFailedError(`engine worker exited with code ${code}`);
      failEarly(error);
      if (started && !stopping) options.onFatal(error);
    });
  });

  // Ingest requests of one turn travel in one message (and come back in one): at thousands of
  // requests per second the per-message cost of postMessage shows on both threads.
  let outgoing: { batch: IngestBatch; resolve: (r: EntryResult[]) => void; reject: (e: Error) => void }[] =
    [];
  const flushIngest = () => {
    const sending = outgoing;
    outgoing = [];
    request<(EntryResult[] | { error: Record<string, unknown> })[]>((id) => ({
      type: 'ingest',
      id,
      batches: sending.map((o) => o.batch),
    })).then(
      (results) =>
        sending.forEach((o, i) => {
          const r = results[i];
          if (Array.isArray(r)) o.resolve(r);
          else o.reject(errorFrom(r?.error, 'ingest failed'));
        }),
      (error: Error) => {
        for (const o of sending) o.reject(error);
      },
    );
  };

  const request = <T>(make: (id: number) => EngineRequest): Promise<T> => {
    if (exited) return Promise.reject(new EngineFailedError('the engine is not running'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage(make(id));
    });
  };

  return {
    ingest: (batch) =>
      new Promise<EntryResult[]>((resolve, reject) => {
        if (exited) return reject(new EngineFailedError('the engine is not running'));
        outgoing.push({ batch, resolve, reject });
        if (outgoing.length === 1) setImmediate(flushIngest);
      }),
    wake: () => {
      if (!exited) worker.postMessage({ type: 'wake' } satisfies EngineRequest);
    },
    snapshot: () => request<EngineSnapshot>((id) => ({ type: 'snapshot', id })),
    setFaults: async (failEventIds) => {
      await request((id) => ({ type: 'faults', id, failEventIds }));
    },
    setMaxPageCount: (pages) => request<void>((id) => ({ type: 'maxPageCount', id, pages })),
    stop: async () => {
      if (exited) return;
      stopping = true;
      const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      await request((id) => ({ type: 'stop', id }));
      const timer = setTimeout(() => void worker.terminate(), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
