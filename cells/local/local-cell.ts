import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { CELL_TOPOLOGY, type CellTopology, type StageName } from '../topology.js';
import { ApiKeyStore } from './api/api-keys.js';
import { buildHttpApi } from './api/http-api.js';
import { ProducerRateLimiter } from './api/rate-limit.js';
import { EventBus } from './bus/event-bus.js';
import { IngestClient } from './bus/ingest-client.js';
import type { EntryResult, IngestBatch } from './bus/ingest-committer.js';
import { ReplayService } from './bus/replay-service.js';
import { type Clock, SYSTEM_CLOCK } from './clock.js';
import type { EngineSnapshot } from './engine/engine.js';
import { type EngineHandle, type EngineThreadMode, startEngine } from './engine/engine-host.js';
import { createLogger, type Logger, type LogLevel } from './logger.js';
import { FifoQueue } from './messaging/fifo-queue.js';
import { RedriveService } from './messaging/redrive-service.js';
import { openSubscriberQueues, registerSubscriberRoutes } from './messaging/subscriber-queues.js';
import { assembleStats, type CellState, type CellStats, renderPrometheus } from './monitoring/cell-stats.js';
import { acquireDataDirLock, type DataDirLock } from './storage/data-dir-lock.js';
import { type DatabaseHandle, openCellDatabase, type SynchronousMode } from './storage/db.js';
import { SqliteStore } from './storage/sqlite-store.js';

/**
 * Composition root of the local cell: one data directory (lock file + SQLite database), the API
 * thread (HTTP API, validation, bus rules + relay, DLQ redrive, replays, reads) and the engine
 * (archive + topics + queues, poller + `processBatch` + store: every hot write, in a Worker by
 * default). Everything is derived from the topology; no stage is named here. `main.ts` is the CLI
 * around it; tests call it in-process too.
 *
 * @example
 * const cell = await startLocalCell({ dataDir: '/tmp/cell', port: 0 });
 * console.log(cell.url, cell.apiKey);
 * await cell.close();
 */

export interface LocalCellOptions {
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Register (and use) this producer key; without one, a key is generated when none exists. */
  readonly apiKey?: string;
  readonly rateLimitRps?: number;
  readonly burst?: number;
  /** Overrides every stage's visibility timeout (tests use 1 s). */
  readonly visibilityTimeoutSec?: number;
  /** Overrides every stage's max receive count. */
  readonly maxReceiveCount?: number;
  readonly synchronous?: SynchronousMode;
  readonly enableFaultInjection?: boolean;
  readonly cellName?: string;
  readonly processorThread?: EngineThreadMode;
  readonly logLevel?: LogLevel;
  readonly logger?: Logger;
  readonly topology?: CellTopology;
  readonly clock?: Clock;
  /** Called when the engine dies after start (the CLI exits non-zero). */
  readonly onFatal?: (error: Error) => void;
  /** Extra routes (dashboard, monitoring); they get the same readiness, auth and error handling. */
  readonly plugins?: readonly LocalCellPlugin[];
}

/** What a plugin may use: the API thread's connection (reads), the topology, live stats. */
export interface LocalCellContext {
  readonly topology: CellTopology;
  readonly db: DatabaseHandle;
  readonly cellName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  stats(): Promise<CellStats>;
}

/**
 * Adds routes to the cell's HTTP API before it listens, e.g. a web dashboard or `/alarms`.
 *
 * @example
 * const plugin: LocalCellPlugin = (app, ctx) => app.get('/hello', async () => ({ cell: ctx.cellName }));
 */
export type LocalCellPlugin = (app: FastifyInstance, context: LocalCellContext) => unknown;

export interface LocalCell {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly dbFile: string;
  /** The key passed in or generated now; undefined when existing keys were kept. */
  readonly apiKey: string | undefined;
  readonly apiKeyGenerated: boolean;
  readonly topology: CellTopology;
  stats(): Promise<CellStats>;
  close(): Promise<void>;
}

export const DB_FILE_NAME = 'cell.sqlite';

/** `data/local-cell` inside the project (git-ignored). */
export function defaultDataDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'local-cell');
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The topology with the CLI's per-cell overrides applied to every stage. A shorter visibility
 * timeout also caps the processor timeout (the poller's per-batch deadline), so a batch never
 * outlives its messages' invisibility and two batches of one invoice never run at once.
 */
export function applyStageOverrides(
  topology: CellTopology,
  overrides: { visibilityTimeoutSec?: number; maxReceiveCount?: number },
): CellTopology {
  const vt = overrides.visibilityTimeoutSec;
  if (vt !== undefined && !(Number.isInteger(vt) && vt >= 1)) {
    throw new RangeError(`visibilityTimeoutSec must be a positive integer, got ${vt}`);
  }
  return {
    settings: topology.settings,
    stages: topology.stages.map((stage) => ({
      ...stage,
      ...(vt !== undefined
        ? { visibilityTimeoutSec: vt, processorTimeoutSec: Math.min(stage.processorTimeoutSec, vt) }
        : {}),
      ...(overrides.maxReceiveCount !== undefined ? { maxReceiveCount: overrides.maxReceiveCount } : {}),
    })),
  };
}

export async function startLocalCell(options: LocalCellOptions): Promise<LocalCell> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const logger =
    options.logger ?? createLogger({ level: options.logLevel ?? 'info', base: { component: 'cell' } });
  const topology = applyStageOverrides(options.topology ?? CELL_TOPOLOGY, {
    ...(options.visibilityTimeoutSec !== undefined
      ? { visibilityTimeoutSec: options.visibilityTimeoutSec }
      : {}),
    ...(options.maxReceiveCount !== undefined ? { maxReceiveCount: options.maxReceiveCount } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  const dataDir = path.resolve(options.dataDir);
  const dbFile = path.join(dataDir, DB_FILE_NAME);
  const cellName = options.cellName ?? 'local';
  const synchronous = options.synchronous ?? 'FULL';

  const lock: DataDirLock = acquireDataDirLock(dataDir);
  let db: DatabaseHandle | undefined;
  let engine: EngineHandle | undefined;
  let app: FastifyInstance | undefined;
  let state: CellState = 'starting';
  try {
    db = openCellDatabase({ file: dbFile, synchronous, role: 'api' });
    const apiDb = db;

    // The API thread's view of the stage queues: DLQ listing, depth and redrive.
    const queues = new Map<StageName, FifoQueue>();
    for (const stage of topology.stages) {
      queues.set(
        stage.name,
        new FifoQueue(
          apiDb,
          {
            name: stage.ids.queue,
            dlqName: stage.ids.dlq,
            visibilityTimeoutSec: stage.visibilityTimeoutSec,
            maxReceiveCount: stage.maxReceiveCount,
            dedupWindowSec: topology.settings.dedupWindowSec,
          },
          clock,
        ),
      );
    }
    const bus = new EventBus(topology);
    const commit = (batch: IngestBatch): Promise<EntryResult[]> => {
      if (!engine) return Promise.reject(new Error('the engine is not running'));
      return engine.ingest(batch);
    };
    const ingest = new IngestClient(topology, bus, commit);
    const replays = new ReplayService({ db: apiDb, bus, commit, clock, logger });
    const redrive = new RedriveService({ db: apiDb, queues, clock, logger, onMoved: () => engine?.wake() });
    const store = new SqliteStore(apiDb, { topology, clock });

    const keys = new ApiKeyStore(apiDb, clock);
    let apiKey: string | undefined;
    let apiKeyGenerated = false;
    if (options.apiKey !== undefined) {
      keys.add(options.apiKey, 'cli');
      apiKey = options.apiKey;
    } else if (keys.count() === 0) {
      apiKey = keys.generate('generated on first start').key;
      apiKeyGenerated = true;
    }
    const limiter = new ProducerRateLimiter({
      ratePerSec: options.rateLimitRps ?? topology.settings.apiRateLimitRps,
      burst: options.burst ?? topology.settings.apiBurstLimit,
    });

    const snapshot = async (): Promise<EngineSnapshot | undefined> => {
      if (!engine) return undefined;
      try {
        return await engine.snapshot();
      } catch (error) {
        logger.warn('engine snapshot unavailable', { error });
        return undefined;
      }
    };
    const stats = async () =>
      assembleStats({ topology, queues, snapshot: await snapshot(), state, cellName });
    const httpCounters = new Map<string, number>();
    app = buildHttpApi({
      topology,
      ingest,
      keys,
      limiter,
      store,
      queues,
      redrive,
      replays,
      engine: () => engine,
      state: () => state,
      stats,
      metrics: async () => renderPrometheus(await stats(), httpCounters),
      requireKeyForReads: !isLoopbackHost(host),
      faultInjection: options.enableFaultInjection === true,
      clock,
      logger,
      httpCounters,
    });
    const server = app;
    registerSubscriberRoutes(server, topology, openSubscriberQueues(apiDb, topology, clock));
    for (const plugin of options.plugins ?? []) {
      await plugin(server, { topology, db: apiDb, cellName, clock, logger, stats });
    }
    await server.listen({ host, port: options.port ?? 0 });
    const address = server.server.address();
    const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

    engine = await startEngine(
      {
        dbFile,
        topology,
        cell: { cell: cellName, region: 'local' },
        synchronous,
        faultInjection: options.enableFaultInjection === true,
        logLevel: options.logLevel ?? 'info',
      },
      {
        mode: options.processorThread ?? 'worker',
        logger,
        onFatal: (error: Error) => {
          logger.error('the engine stopped; the cell cannot make progress', { error });
          options.onFatal?.(error);
        },
      },
    );
    replays.resumeInterrupted();
    state = 'ready';
    if (!isLoopbackHost(host)) {
      logger.warn(
        'listening on a non-loopback address: every route except /health and /metrics needs x-api-key',
        {
          host,
        },
      );
    }

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        state = 'draining';
        logger.info('draining', { url });
        await server.close(); // stops accepting; in-flight requests finish (their commits included)
        await replays.stop();
        await redrive.stop();
        await engine?.stop();
        try {
          apiDb.pragma('wal_checkpoint(TRUNCATE)');
        } catch (error) {
          logger.warn('final checkpoint failed', { error });
        }
        apiDb.close();
        lock.release();
        logger.info('stopped', { url });
      })();
      return closing;
    };
    return {
      url,
      host,
      port,
      dataDir,
      dbFile,
      apiKey,
      apiKeyGenerated,
      topology,
      stats,
      close,
    };
  } catch (error) {
    state = 'draining';
    await app?.close().catch(() => undefined);
    await engine?.stop().catch(() => undefined);
    db?.close();
    lock.release();
    throw error;
  }
}
