import { type Clock, SYSTEM_CLOCK } from '../../../consumers/clock.js';
import type { CellIdentity } from '../../../consumers/record.js';
import {
  type FailureKind,
  type ProcessorObserver,
  processBatch,
} from '../../../consumers/stage-processor.js';
import type { TimeseriesStore } from '../../../consumers/store.js';
import { validateEvent } from '../../../schemas/index.js';
import { businessTimeWindow } from '../../business-time.js';
import type { CellTopology, StageName } from '../../topology.js';
import { EventArchive } from '../bus/event-archive.js';
import {
  type EntryResult,
  type IngestBatch,
  IngestCommitter,
  type IngestStats,
} from '../bus/ingest-committer.js';
import { createLogger, type LogFormat, type Logger, type LogLevel } from '../logger.js';
import type { FifoQueue } from '../messaging/fifo-queue.js';
import { openStageQueues } from '../messaging/stage-queues.js';
import { openSubscriberQueues } from '../messaging/subscriber-queues.js';
import {
  type DatabaseHandle,
  openCellDatabase,
  type SynchronousMode,
  setMaxPageCount,
  WriteBatcher,
} from '../storage/db.js';
import { DiskFullMonitor, type DiskFullState } from '../storage/disk-full-monitor.js';
import { FaultInjectingStore } from '../storage/fault-injecting-store.js';
import { storedCounts } from '../storage/reconcile-counters.js';
import { cellWriteHooks, createRecordStore } from '../storage/record-store.js';
import type { PruneSummary } from '../storage/retention.js';
import { type RetentionOptions, resolveRetention } from '../storage/retention-options.js';
import type { SqliteStore } from '../storage/sqlite-store.js';
import { EngineHousekeeping } from './engine-housekeeping.js';
import { QueuePoller } from './poller.js';
import { openStageTopics } from './stage-topics.js';

/**
 * The cell engine: the one hot writer of the cell database and everything that writes through it
 * — ingest commits (archive + topic + queue), the stage queues' receivers, the poller driving the
 * real `processBatch`, the SQLite store (wrapped by the fault injector when enabled) and
 * housekeeping (rollup backfill before polling starts, retention, dedup pruning, WAL checkpoints:
 * engine-housekeeping.ts). All its writes share one group commit
 * ({@link WriteBatcher}). It runs in a `worker_threads` Worker (engine-worker.ts), so HTTP handling
 * and durable work use both cores, or inline in the API thread (`--processor-thread inline`).
 * When writes fail for lack of space, receiving pauses until there is room ({@link DiskFullMonitor}).
 *
 * @example
 * const engine = CellEngine.open(config);
 * engine.start();
 * const entries = await engine.ingest({ archive: true, events });
 * await engine.stop();
 */

export interface EngineConfig {
  readonly dbFile: string;
  readonly topology: CellTopology;
  readonly cell: CellIdentity;
  readonly synchronous: SynchronousMode;
  readonly faultInjection: boolean;
  readonly logLevel: LogLevel;
  /** The worker thread's log format (the API thread's); json when absent. */
  readonly logFormat?: LogFormat;
  readonly idlePollMs?: number;
  /** Retention overrides (`retention-options.ts`); validated when the engine opens. */
  readonly retention?: Partial<RetentionOptions>;
}

/** Upper bounds (seconds) of the ingest-to-store latency histogram. */
export const LATENCY_BUCKETS_SEC = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
] as const;

export interface LatencyHistogram {
  /** Count of observations ≤ each bound of {@link LATENCY_BUCKETS_SEC} (cumulative). */
  readonly buckets: readonly number[];
  readonly count: number;
  readonly sumSec: number;
}

export interface StageEngineSnapshot {
  /** Records in the store for this stage (first writes only). */
  readonly stored: number;
  /** Messages processed successfully, including idempotent rewrites. */
  readonly processed: number;
  readonly failures: Readonly<Record<FailureKind, number>>;
  readonly storeRetries: number;
  readonly visible: number;
  readonly inFlight: number;
  readonly oldestMessageAgeSec: number | null;
  /** Messages this process moved to the DLQ. */
  readonly deadLettered: number;
  readonly batchesInFlight: number;
  readonly batches: number;
  readonly batchTimeouts: number;
  readonly batchErrors: number;
  readonly latency: LatencyHistogram;
}

export interface EngineSnapshot {
  readonly stages: Readonly<Record<string, StageEngineSnapshot>>;
  readonly ingest: IngestStats;
  readonly commits: number;
  readonly largestCommit: number;
  readonly faultEventIds: readonly string[];
  /** Whether writes are failing for lack of space (processing paused), since when. */
  readonly disk: DiskFullState;
}

interface StageCounters {
  stored: number;
  processed: number;
  failures: Record<FailureKind, number>;
  storeRetries: number;
  buckets: number[];
  count: number;
  sumSec: number;
}

const DISK_PROBE_MS = 1_000;

function newStageCounters(): StageCounters {
  return {
    stored: 0,
    processed: 0,
    failures: { invalid: 0, rejected: 0, transient: 0, 'group-blocked': 0 },
    storeRetries: 0,
    buckets: LATENCY_BUCKETS_SEC.map(() => 0),
    count: 0,
    sumSec: 0,
  };
}

export class CellEngine {
  readonly #config: EngineConfig;
  readonly #db: DatabaseHandle;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #batcher: WriteBatcher;
  readonly #disk: DiskFullMonitor;
  readonly #queues: Map<StageName, FifoQueue>;
  readonly #ingest: IngestCommitter;
  readonly #faults: FaultInjectingStore | undefined;
  readonly #poller: QueuePoller;
  readonly #counters = new Map<string, StageCounters>();
  readonly #housekeeping: EngineHousekeeping;
  /** False until the backfill made the hooks current: nothing is processed before. */
  #polling = false;

  static open(config: EngineConfig, clock: Clock = SYSTEM_CLOCK, logger?: Logger): CellEngine {
    const log =
      logger ??
      createLogger({
        level: config.logLevel,
        ...(config.logFormat !== undefined ? { format: config.logFormat } : {}),
        base: { component: 'engine' },
      });
    const db = openCellDatabase({ file: config.dbFile, synchronous: config.synchronous, role: 'engine' });
    try {
      return new CellEngine(config, db, clock, log);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private constructor(config: EngineConfig, db: DatabaseHandle, clock: Clock, logger: Logger) {
    this.#config = config;
    this.#db = db;
    this.#clock = clock;
    this.#logger = logger;
    const { topology } = config;
    this.#disk = new DiskFullMonitor({ db, dbFile: config.dbFile, clock, logger });
    this.#batcher = new WriteBatcher(db, { onError: (error) => this.#disk.noteError(error) });
    for (const stage of topology.stages) {
      this.#counters.set(stage.name, newStageCounters());
      // Compile the stage validator now rather than inside the first batch.
      validateEvent(stage.name, {});
    }
    // Stage queues before subscriber queues: queue ids are handed out in this order.
    this.#queues = openStageQueues(db, topology, clock);
    const topics = openStageTopics(topology, this.#queues, openSubscriberQueues(db, topology, clock));
    this.#ingest = new IngestCommitter({
      db,
      batcher: this.#batcher,
      archive: new EventArchive(db),
      topics,
      topology,
      onCommitted: () => this.wake(),
    });
    const sqliteStore = this.#openStore();
    this.#faults = config.faultInjection ? new FaultInjectingStore(sqliteStore) : undefined;
    this.#poller = this.#createPoller(this.#faults ?? sqliteStore);
    this.#housekeeping = new EngineHousekeeping({
      db,
      batcher: this.#batcher,
      clock,
      logger,
      disk: this.#disk,
      hooks: cellWriteHooks(db, topology),
      retention: resolveRetention(config.retention ?? {}, topology.settings),
      queueIds: [...this.#queues.values()].flatMap((q) => [q.queueId, q.dlqId]),
      maxFutureSkewMs: businessTimeWindow(topology.settings).maxFutureSkewMs,
      topology,
    });
  }

  /**
   * The SQLite store on the engine's group commit. The stored counters start from the `stored:<stage>`
   * counters the store's reconcile hook keeps (`reconcile-counters.ts`), not from a count of records.
   */
  #openStore(): SqliteStore {
    const store = createRecordStore(this.#db, {
      topology: this.#config.topology,
      clock: this.#clock,
      batcher: this.#batcher,
      onInserted: (record, storedAtMs) => this.#observeStored(record.dimensions.stage, record, storedAtMs),
    });
    for (const [stage, n] of storedCounts(this.#db)) {
      const c = this.#counters.get(stage);
      if (c) c.stored = n;
    }
    return store;
  }

  /** The poller that drives the real `processBatch` over every stage queue into `store`. */
  #createPoller(store: TimeseriesStore): QueuePoller {
    const { topology, cell, idlePollMs } = this.#config;
    const businessTime = businessTimeWindow(topology.settings);
    return new QueuePoller({
      batcher: this.#batcher,
      stages: topology.stages.map((stage) => ({ stage, queue: this.#queues.get(stage.name) as FifoQueue })),
      clock: this.#clock,
      logger: this.#logger,
      region: cell.region,
      ...(idlePollMs !== undefined ? { idlePollMs } : {}),
      paused: () => this.#disk.full,
      process: (stage, records) =>
        processBatch(records, {
          stage: stage.name,
          cell,
          store,
          businessTime,
          retryBudgetMs: topology.settings.storeRetryBudgetMs,
          observer: this.#batchObserver(stage.name),
        }),
    });
  }

  /** Counts a stage's processing outcomes and logs failures and retries (a full disk is logged once). */
  #batchObserver(stage: StageName): ProcessorObserver {
    const counters = () => this.#counters.get(stage);
    return {
      stored: () => {
        const c = counters();
        if (c) c.processed++;
      },
      failed: (messageId, kind, reason) => {
        const c = counters();
        if (c) c.failures[kind]++;
        if (kind !== 'group-blocked' && !(kind === 'transient' && this.#disk.full)) {
          this.#logger.warn('message failed', { stage, messageId, kind, reason });
        }
      },
      retrying: (attempt, error) => {
        const c = counters();
        if (c) c.storeRetries++;
        if (!this.#disk.full) this.#logger.warn('store write retrying', { stage, attempt, error });
      },
    };
  }

  /** Starts housekeeping; polling starts once the backfill made the hooks current. */
  start(): void {
    this.#housekeeping.start(() => {
      this.#polling = true;
      this.#poller.start();
    });
    this.#housekeeping.every(DISK_PROBE_MS, async () => {
      if (this.#disk.full && !this.#disk.probe()) this.wake();
    });
  }

  /** Archives (unless a replay) and enqueues events; resolves after the group commit. */
  ingest(batch: IngestBatch): Promise<EntryResult[]> {
    return this.#ingest.commit(batch);
  }

  /** Polls now (after another connection enqueued messages, e.g. a redrive). */
  wake(): void {
    if (this.#polling) this.#poller.wake();
  }

  /** Test hook: caps the database in pages on the engine's connection (a simulated full disk). */
  setMaxPageCount(pages: number): void {
    setMaxPageCount(this.#db, pages);
  }

  setFaults(eventIds: readonly string[]): void {
    if (!this.#faults) throw new Error('fault injection is not enabled');
    this.#faults.setFailingEventIds(eventIds);
    this.#logger.warn('fault injection set', { failEventIds: eventIds.length });
  }

  snapshot(): EngineSnapshot {
    const now = this.#clock.now();
    const poller = this.#poller.stats();
    const stages: Record<string, StageEngineSnapshot> = {};
    for (const stage of this.#config.topology.stages) {
      const queue = this.#queues.get(stage.name) as FifoQueue;
      queue.refresh();
      const counts = queue.counts();
      const c = this.#counters.get(stage.name) as StageCounters;
      const p = poller[stage.name];
      stages[stage.name] = {
        stored: c.stored,
        processed: c.processed,
        failures: { ...c.failures },
        storeRetries: c.storeRetries,
        visible: counts.visible,
        inFlight: counts.inFlight,
        oldestMessageAgeSec:
          counts.oldestSentAtMs === undefined ? null : Math.max(0, (now - counts.oldestSentAtMs) / 1000),
        deadLettered: queue.deadLetteredCount,
        batchesInFlight: p?.batchesInFlight ?? 0,
        batches: p?.batches ?? 0,
        batchTimeouts: p?.timeouts ?? 0,
        batchErrors: p?.batchErrors ?? 0,
        latency: { buckets: [...c.buckets], count: c.count, sumSec: c.sumSec },
      };
    }
    const { commits, largestCommit } = this.#batcher.stats;
    return {
      stages,
      ingest: this.#ingest.stats(),
      commits,
      largestCommit,
      faultEventIds: this.#faults?.failingEventIds ?? [],
      disk: this.#disk.state(),
    };
  }

  /** Deletes expired dedup entries, a chunk per commit. */
  pruneDedup(): Promise<number> {
    return this.#housekeeping.pruneDedup();
  }

  /** Runs the retention job now (`retention.ts`); resolves with the rows deleted per target. */
  pruneRetention(): Promise<PruneSummary> {
    return this.#housekeeping.pruneRetention();
  }

  /** Finishes running batches and pending commits, checkpoints and closes the connection. */
  async stop(): Promise<void> {
    await this.#housekeeping.stop();
    await this.#poller.stop();
    await this.#batcher.idle();
    try {
      this.#db.pragma('wal_checkpoint(PASSIVE)');
    } finally {
      this.#db.close();
    }
  }

  #observeStored(stage: string, record: { measures: { receivedAtMs: number } }, storedAtMs: number): void {
    const c = this.#counters.get(stage);
    if (!c) return;
    c.stored++;
    const sec = Math.max(0, (storedAtMs - record.measures.receivedAtMs) / 1000);
    c.count++;
    c.sumSec += sec;
    LATENCY_BUCKETS_SEC.forEach((bound, i) => {
      if (sec <= bound) c.buckets[i] = (c.buckets[i] ?? 0) + 1;
    });
  }
}
