import fs from 'node:fs';
import path from 'node:path';
import { businessTimeWindow } from '../../../../../cells/business-time.js';
import { EventArchive } from '../../../../../cells/local/bus/event-archive.js';
import { EventBus, toWireEvent } from '../../../../../cells/local/bus/event-bus.js';
import { type EntryResult, IngestCommitter } from '../../../../../cells/local/bus/ingest-committer.js';
import { QueuePoller } from '../../../../../cells/local/engine/poller.js';
import { openStageTopics } from '../../../../../cells/local/engine/stage-topics.js';
import { createLogger } from '../../../../../cells/local/logger.js';
import type { FifoQueue } from '../../../../../cells/local/messaging/fifo-queue.js';
import { openStageQueues } from '../../../../../cells/local/messaging/stage-queues.js';
import { openSubscriberQueues } from '../../../../../cells/local/messaging/subscriber-queues.js';
import { SampleEvents } from '../../../../../cells/local/sample-events.js';
import {
  type DatabaseHandle,
  openCellDatabase,
  WriteBatcher,
} from '../../../../../cells/local/storage/db.js';
import { createRecordStore } from '../../../../../cells/local/storage/record-store.js';
import type { SqliteStore } from '../../../../../cells/local/storage/sqlite-store.js';
import { CELL_TOPOLOGY, type CellTopology, type StageName } from '../../../../../cells/topology.js';
import { ManualClock } from '../../../../../consumers/clock.js';
import type { BusEvent } from '../../../../../consumers/relay.js';
import { processBatch } from '../../../../../consumers/stage-processor.js';
import type { InvoiceEvent } from '../../../../../schemas/types.js';
import { tempDataDir } from '../../helpers/cell-process.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * The local cell's write path in one process, without HTTP: the bus (relay), the ingest committer
 * (archive + stage topics + queues, one group commit), the queue poller driving the real
 * `processBatch` into the cell's record store with its first-write hooks. What the engine wires,
 * minus the worker thread, so a test controls when messages are processed.
 *
 * @example
 * const cell = openReconcilePipeline();
 * await cell.accept([{ stage: 'ingestion', event, receivedAtMs }]);
 * await cell.drain();
 */
export interface ReconcilePipeline {
  readonly db: DatabaseHandle;
  readonly clock: ManualClock;
  readonly topology: CellTopology;
  readonly store: SqliteStore;
  readonly queues: ReadonlyMap<StageName, FifoQueue>;
  /** Routes and commits the events as the API does (archived unless `replay`). */
  accept(events: readonly AcceptedEvent[], options?: { replay?: boolean }): Promise<EntryResult[]>;
  /** Processes every stage queue until it is empty. */
  drain(): Promise<void>;
  close(): void;
}

export interface AcceptedEvent {
  readonly stage: StageName;
  readonly event: InvoiceEvent;
  readonly receivedAtMs: number;
}

export function openReconcilePipeline(
  clockMs: number,
  topology: CellTopology = CELL_TOPOLOGY,
): ReconcilePipeline {
  const dir = tempDataDir('reconcile-');
  const db = openCellDatabase({ file: path.join(dir, 'cell.sqlite'), synchronous: 'NORMAL', role: 'api' });
  const clock = new ManualClock(clockMs);
  const batcher = new WriteBatcher(db);
  const queues = openStageQueues(db, topology, clock);
  const topics = openStageTopics(topology, queues, openSubscriberQueues(db, topology, clock));
  const committer = new IngestCommitter({ db, batcher, archive: new EventArchive(db), topics, topology });
  const store = createRecordStore(db, { topology, clock, batcher });
  const bus = new EventBus(topology);
  const cell = { cell: 'local', region: 'local' };
  const logger = createLogger({ level: 'silent' });
  return {
    db,
    clock,
    topology,
    store,
    queues,
    async accept(events, options = {}) {
      const busEvents = events.map((e): BusEvent => {
        const stage = topology.stages.find((s) => s.name === e.stage);
        if (!stage) throw new Error(`no stage ${e.stage}`);
        return {
          id: `bus-${e.event.eventId}`,
          source: topology.settings.eventSource,
          'detail-type': stage.detailType,
          detail: { receivedAtMs: e.receivedAtMs, event: e.event },
          ...(options.replay ? { 'replay-name': 'test-replay' } : {}),
        };
      });
      const routed = await bus.route(busEvents);
      return committer.commit({ archive: !options.replay, events: routed.map(toWireEvent) });
    },
    async drain() {
      const poller = new QueuePoller({
        batcher,
        stages: topology.stages.map((stage) => ({ stage, queue: queues.get(stage.name) as FifoQueue })),
        clock,
        logger,
        region: cell.region,
        idlePollMs: 20,
        process: (stage, records) =>
          processBatch(records, {
            stage: stage.name,
            cell,
            store,
            businessTime: businessTimeWindow(topology.settings),
          }),
      });
      poller.start();
      try {
        await waitFor(() => [...queues.values()].every((q) => q.depth() === 0), {
          what: 'every stage queue drained',
          timeoutMs: 20_000,
          describe: () => [...queues.values()].map((q) => q.depth()),
        });
      } finally {
        await poller.stop();
        await batcher.idle();
      }
    },
    close() {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A seeded PRNG (mulberry32): the same load for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A UUID drawn from `random` (the eventId format the contract takes). */
export function randomUuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/**
 * Invoices moving through a random number of stages (in order), received at random times over
 * `spanMs` from `fromMs` (several minute bins), with ~10 % late events (occurred days earlier).
 */
export function randomLoad(
  random: () => number,
  options: { invoices: number; fromMs: number; spanMs: number; topology?: CellTopology },
): AcceptedEvent[] {
  const topology = options.topology ?? CELL_TOPOLOGY;
  const samples = new SampleEvents(topology);
  const events: AcceptedEvent[] = [];
  for (let i = 0; i < options.invoices; i++) {
    const invoiceId = `INV-R-${i}`;
    const reached = 1 + Math.floor(random() * topology.stages.length);
    for (const stage of topology.stages.slice(0, reached)) {
      const receivedAtMs = options.fromMs + Math.floor(random() * options.spanMs);
      const lateMs = random() < 0.1 ? Math.floor(random() * 5 * 86_400_000) : Math.floor(random() * 60_000);
      const event = samples.event(stage, {
        invoiceId,
        eventId: randomUuid(random),
        occurredAtMs: receivedAtMs - lateMs,
      });
      events.push({ stage: stage.name, event, receivedAtMs });
    }
  }
  return events;
}
