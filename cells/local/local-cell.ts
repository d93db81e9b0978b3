import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Clock, SYSTEM_CLOCK } from '../../consumers/clock.js';
import { CELL_TOPOLOGY, type CellTopology, type StageName } from '../topology.js';
import { ApiKeyStore } from './api/api-keys.js';
import { buildHttpApi } from './api/http-api.js';
import { provisionApiKeys } from './api/key-provisioning.js';
import { listen } from './api/listen.js';
import { ProducerRateLimiter } from './api/rate-limit.js';
import { sessionSecret } from './api/session.js';
import { exposureWarnings, type TlsMaterial } from './api/tls.js';
import { EventBus } from './bus/event-bus.js';
import { IngestClient } from './bus/ingest-client.js';
import type { EntryResult, IngestBatch } from './bus/ingest-committer.js';
import { ReplayService } from './bus/replay-service.js';
import { applyStageOverrides, isLoopbackHost } from './cell-config.js';
import { logMigration, warmCache } from './db-startup.js';
import type { EngineSnapshot } from './engine/engine.js';
import { type EngineHandle, type EngineThreadMode, startEngine } from './engine/engine-host.js';
import { createLogger, type LogFormat, type Logger, type LogLevel } from './logger.js';
import type { FifoQueue } from './messaging/fifo-queue.js';
import { RedriveService } from './messaging/redrive-service.js';
import { openStageQueues } from './messaging/stage-queues.js';
import type { DeliveryPolicy } from './messaging/subscriber-delivery.js';
import {
  type OpenedSubscriberDelivery,
  openSubscriberDelivery,
  registerSigningKeyRoute,
} from './messaging/subscriber-delivery-setup.js';
import { openSubscriberQueues, registerSubscriberRoutes } from './messaging/subscriber-queues.js';
import { createCellMetrics } from './monitoring/cell-metrics.js';
import { assembleStats, type CellState, type CellStats } from './monitoring/cell-stats.js';
import { CellBackups, type LocalCellBackupOptions, restoreOnStart } from './storage/backup-service.js';
import type { CacheWarmup } from './storage/cache-warmup.js';
import { acquireDataDirLock, type DataDirLock } from './storage/data-dir-lock.js';
import { type DatabaseHandle, openCellDatabase, type SynchronousMode } from './storage/db.js';
import { setCellMaxPageCount } from './storage/disk-full-monitor.js';
import { createRecordStore } from './storage/record-store.js';
import type { RetentionOptions } from './storage/retention-options.js';
import type { SqliteStore } from './storage/sqlite-store.js';
import type { StartupCheck } from './storage/startup-check.js';

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
  /** Register this operator key (≥ 20 characters): redrive, replay, key management, every read. */
  readonly operatorKey?: string;
  /** Serve HTTPS with this PEM certificate and key (`api/tls.ts`); session cookies get Secure. */
  readonly tls?: TlsMaterial;
  readonly rateLimitRps?: number;
  readonly burst?: number;
  /** Overrides every stage's visibility timeout (tests use 1 s). */
  readonly visibilityTimeoutSec?: number;
  /** Overrides every stage's max receive count. */
  readonly maxReceiveCount?: number;
  /** Overrides parts of the HTTP push policy of endpoint subscribers (tests use fast retries). */
  readonly subscriberDelivery?: Partial<DeliveryPolicy>;
  readonly synchronous?: SynchronousMode;
  /** `quick_check` the whole file before starting, history tables included (see `startup-check.ts`). */
  readonly fullCheck?: boolean;
  readonly enableFaultInjection?: boolean;
  readonly cellName?: string;
  readonly processorThread?: EngineThreadMode;
  readonly logLevel?: LogLevel;
  /** Format of the lines the engine's worker thread logs (the `logger`'s own format). @default 'json' */
  readonly logFormat?: LogFormat;
  readonly logger?: Logger;
  readonly topology?: CellTopology;
  readonly clock?: Clock;
  /** Called when the engine dies after start (the CLI exits non-zero). */
  readonly onFatal?: (error: Error) => void;
  /** Extra routes (dashboard, monitoring); they get the same readiness, auth and error handling. */
  readonly plugins?: readonly LocalCellPlugin[];
  /** Scheduled backups, and a backup to restore before the database opens (`storage/backup-*.ts`). */
  readonly backup?: LocalCellBackupOptions;
  /** Retention overrides (`storage/retention-options.ts`); defaults for the rest. */
  readonly retention?: Partial<RetentionOptions>;
}

/** What a plugin may use: the API thread's connection (reads), the topology, live stats. */
export interface LocalCellContext {
  readonly topology: CellTopology;
  readonly db: DatabaseHandle;
  readonly cellName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The cell's data directory (absolute): plugins keep their files under it. */
  readonly dataDir: string;
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
  /** Whether a working operator key exists (else the banner says how to make the first one). */
  readonly hasOperatorKey: boolean;
  readonly topology: CellTopology;
  stats(): Promise<CellStats>;
  /** Test hook: caps the database at `pages` on every connection (a disk filling up, or freed). */
  setMaxPageCount(pages: number): Promise<void>;
  close(): Promise<void>;
}

export const DB_FILE_NAME = 'cell.sqlite';

/** The options resolved once: everything below reads these, never `options` defaults. */
interface CellConfig {
  readonly topology: CellTopology;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly host: string;
  readonly dataDir: string;
  readonly dbFile: string;
  readonly cellName: string;
  readonly synchronous: SynchronousMode;
  readonly startupCheck: StartupCheck;
  readonly faultInjection: boolean;
  readonly backup: LocalCellBackupOptions;
  readonly subscriberDelivery?: Partial<DeliveryPolicy>;
}

/** What changes while the cell runs, read by the API thread's closures. */
interface CellRuntime {
  state: CellState;
  engine: EngineHandle | undefined;
  /** The start-up cache warm-up while it runs (`storage/cache-warmup.ts`). */
  warmup?: CacheWarmup | undefined;
}

/** The API thread's services over its own connection. */
interface ApiServices {
  readonly queues: Map<StageName, FifoQueue>;
  /** The subscriber queues (one receiver per queue: the pull routes and the HTTP push share them). */
  readonly subscriberQueues: Map<string, FifoQueue>;
  readonly delivery: OpenedSubscriberDelivery;
  readonly ingest: IngestClient;
  readonly replays: ReplayService;
  readonly redrive: RedriveService;
  readonly store: SqliteStore;
  readonly keys: ApiKeyStore;
  readonly backups: CellBackups;
  readonly stats: () => Promise<CellStats>;
}

function resolveConfig(options: LocalCellOptions): CellConfig {
  const dataDir = path.resolve(options.dataDir);
  return {
    topology: applyStageOverrides(options.topology ?? CELL_TOPOLOGY, {
      ...(options.visibilityTimeoutSec !== undefined
        ? { visibilityTimeoutSec: options.visibilityTimeoutSec }
        : {}),
      ...(options.maxReceiveCount !== undefined ? { maxReceiveCount: options.maxReceiveCount } : {}),
    }),
    clock: options.clock ?? SYSTEM_CLOCK,
    logger:
      options.logger ??
      createLogger({
        level: options.logLevel ?? 'info',
        ...(options.logFormat !== undefined ? { format: options.logFormat } : {}),
        base: { component: 'cell' },
      }),
    host: options.host ?? '127.0.0.1',
    dataDir,
    dbFile: path.join(dataDir, DB_FILE_NAME),
    cellName: options.cellName ?? 'local',
    synchronous: options.synchronous ?? 'FULL',
    startupCheck: options.fullCheck === true ? 'full' : 'work',
    faultInjection: options.enableFaultInjection === true,
    backup: options.backup ?? {},
    ...(options.subscriberDelivery ? { subscriberDelivery: options.subscriberDelivery } : {}),
  };
}

/** Bus, ingest, replays, redrive, reads and stats on the API thread's connection. */
function createApiServices(db: DatabaseHandle, config: CellConfig, runtime: CellRuntime): ApiServices {
  const { topology, clock, logger, cellName } = config;
  // The API thread's view of the stage queues: DLQ listing, depth and redrive.
  const queues = openStageQueues(db, topology, clock);
  const subscriberQueues = openSubscriberQueues(db, topology, clock);
  const wakeEngine = () => runtime.engine?.wake();
  const bus = new EventBus(topology);
  const commit = (batch: IngestBatch): Promise<EntryResult[]> => {
    if (!runtime.engine) return Promise.reject(new Error('the engine is not running'));
    return runtime.engine.ingest(batch);
  };
  const snapshot = async (): Promise<EngineSnapshot | undefined> => {
    if (!runtime.engine) return undefined;
    try {
      return await runtime.engine.snapshot();
    } catch (error) {
      logger.warn('engine snapshot unavailable', { error });
      return undefined;
    }
  };
  return {
    queues,
    subscriberQueues,
    delivery: openSubscriberDelivery({ ...config, db, queues: subscriberQueues }),
    ingest: new IngestClient(topology, bus, commit),
    replays: new ReplayService({ db, bus, commit, clock, logger }),
    redrive: new RedriveService({ db, queues, subscriberQueues, clock, logger, onMoved: wakeEngine }),
    store: createRecordStore(db, { topology, clock }),
    keys: new ApiKeyStore(db, clock),
    backups: new CellBackups({ ...config, schedule: config.backup.schedule }),
    stats: async () =>
      assembleStats({ topology, queues, snapshot: await snapshot(), state: runtime.state, cellName }),
  };
}

/** The HTTP API with the subscriber routes and the plugins' routes, not yet listening. */
async function buildServer(
  db: DatabaseHandle,
  config: CellConfig,
  runtime: CellRuntime,
  services: ApiServices,
  options: LocalCellOptions,
): Promise<FastifyInstance> {
  const { topology, clock, logger, cellName } = config;
  const httpCounters = new Map<string, number>();
  const app = buildHttpApi({
    ...services,
    topology,
    limiter: new ProducerRateLimiter({
      ratePerSec: options.rateLimitRps ?? topology.settings.apiRateLimitRps,
      burst: options.burst ?? topology.settings.apiBurstLimit,
    }),
    engine: () => runtime.engine,
    state: () => runtime.state,
    metrics: createCellMetrics({ stats: services.stats, httpRequests: httpCounters }),
    requireKeyForReads: !isLoopbackHost(config.host),
    sessionSecret: sessionSecret(db),
    ...(options.tls ? { tls: options.tls } : {}),
    faultInjection: config.faultInjection,
    clock,
    logger,
    httpCounters,
  });
  registerSubscriberRoutes(app, topology, services.subscriberQueues, db);
  registerSigningKeyRoute(app, services.delivery.signingKey);
  const context = { topology, db, cellName, clock, logger, dataDir: config.dataDir, stats: services.stats };
  for (const plugin of options.plugins ?? []) await plugin(app, context);
  return app;
}

function startCellEngine(config: CellConfig, options: LocalCellOptions): Promise<EngineHandle> {
  const { logger } = config;
  return startEngine(
    {
      dbFile: config.dbFile,
      topology: config.topology,
      cell: { cell: config.cellName, region: 'local' },
      synchronous: config.synchronous,
      faultInjection: config.faultInjection,
      logLevel: options.logLevel ?? 'info',
      ...(options.logFormat !== undefined ? { logFormat: options.logFormat } : {}),
      ...(options.retention !== undefined ? { retention: options.retention } : {}),
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
}

/** Drains in order: no new requests, background services, the engine, then the API connection. */
async function drain(
  server: FastifyInstance,
  db: DatabaseHandle,
  lock: DataDirLock,
  services: ApiServices,
  runtime: CellRuntime,
  logger: Logger,
  url: string,
): Promise<void> {
  runtime.state = 'draining';
  logger.info('draining', { url });
  await server.close(); // stops accepting; in-flight requests finish (their commits included)
  await services.replays.stop();
  await services.redrive.stop();
  await services.delivery.service.stop();
  await services.backups.stop();
  await runtime.warmup?.stop();
  await runtime.engine?.stop();
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (error) {
    logger.warn('final checkpoint failed', { error });
  }
  db.close();
  lock.release();
  logger.info('stopped', { url });
}

/**
 * Starts a cell on `options.dataDir`: lock, API connection and services, HTTP API (with subscriber
 * and plugin routes) listening, then the engine; resolves once it is ready. On failure everything
 * already started is closed again and the lock released.
 */
export async function startLocalCell(options: LocalCellOptions): Promise<LocalCell> {
  const config = resolveConfig(options);
  const { topology, host, logger } = config;
  const lock: DataDirLock = acquireDataDirLock(config.dataDir);
  const runtime: CellRuntime = { state: 'starting', engine: undefined };
  let db: DatabaseHandle | undefined;
  let app: FastifyInstance | undefined;
  try {
    if (config.backup.restoreFrom !== undefined) restoreOnStart(config.backup.restoreFrom, config);
    db = openCellDatabase({
      file: config.dbFile,
      synchronous: config.synchronous,
      role: 'api',
      check: config.startupCheck,
      onMigration: (step) => logMigration(logger, step),
    });
    const apiDb = db;
    const services = createApiServices(apiDb, config, runtime);
    const { apiKey, apiKeyGenerated, hasOperatorKey } = provisionApiKeys(services.keys, options);
    app = await buildServer(apiDb, config, runtime, services, options);
    const server = app;
    const { port, url } = await listen(server, host, options.port ?? 0, options.tls ? 'https' : 'http');
    runtime.engine = await startCellEngine(config, options);
    services.replays.resumeInterrupted();
    runtime.state = 'ready';
    runtime.warmup = warmCache(config.dbFile, config.clock.now(), logger);
    services.delivery.service.start();
    services.backups.start();
    for (const warning of exposureWarnings(host, isLoopbackHost(host), options.tls !== undefined)) {
      logger.warn(warning, { host });
    }
    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= drain(server, apiDb, lock, services, runtime, logger, url);
      return closing;
    };
    const { dataDir, dbFile } = config;
    return {
      url,
      host,
      port,
      dataDir,
      dbFile,
      apiKey,
      apiKeyGenerated,
      hasOperatorKey,
      topology,
      stats: services.stats,
      setMaxPageCount: (pages) => setCellMaxPageCount(pages, apiDb, runtime.engine),
      close,
    };
  } catch (error) {
    runtime.state = 'draining';
    await app?.close().catch(() => undefined);
    await runtime.engine?.stop().catch(() => undefined);
    db?.close();
    lock.release();
    throw error;
  }
}
