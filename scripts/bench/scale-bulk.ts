import { businessTimeWindow } from '../../cells/business-time.js';
import { EventArchive } from '../../cells/local/bus/event-archive.js';
import { toWireEvent } from '../../cells/local/bus/event-bus.js';
import { busEventOf } from '../../cells/local/bus/ingest-client.js';
import { acquireDataDirLock } from '../../cells/local/storage/data-dir-lock.js';
import {
  databaseExists,
  openCellDatabase,
  type SynchronousMode,
  WriteBatcher,
} from '../../cells/local/storage/db.js';
import { createRecordStore } from '../../cells/local/storage/record-store.js';
import type { CellTopology } from '../../cells/topology.js';
import { ManualClock } from '../../consumers/clock.js';
import type { CellIdentity } from '../../consumers/record.js';
import { MAX_RECORDS_PER_WRITE } from '../../consumers/store.js';
import type { InvoiceDraw } from './scale-batches.js';
import { type BulkWrite, TimeOrderedRelease } from './scale-bulk-order.js';
import { bulkRecords } from './scale-records.js';

/**
 * The bulk loader: past `--http-records`, records go into the stopped cell's database in-process,
 * through the same store and first-write hooks (rollups, invoice state, counters) the engine
 * writes with (`createRecordStore`), never through SQL of its own. Records come from the
 * processor's own mapping ({@link bulkRecords}). Like the engine's poller, it makes many
 * `writeRecords` calls of ≤ 100 records in one event-loop turn, which the connection's group
 * commit (`WriteBatcher`) writes in one transaction.
 *
 * It loads the history as a cell that lived through it would hold it:
 * - accepted: each event is archived first, through the API's own bus event (`busEventOf`) and
 *   `EventArchive`, in the same commit as its record, so reconciliation balances as it does for
 *   events that came through HTTP (without it every minute of the history would be unbalanced);
 * - in time order, stored just after receipt: the traffic is drawn oldest first
 *   (`historyOrder`) and {@link TimeOrderedRelease} orders it by receive time into writes of
 *   events received within {@link WRITE_SPREAD_MS}; each write's stored time (the store's clock,
 *   set by a job just before the write in the same commit) is its last receive time plus
 *   {@link STORE_DELAY_MS}: latencies of 0.25 to 5.25 s, as a pipeline's.
 *
 * What it does not do: pass the events through the queues (nothing is in flight afterwards).
 *
 * @example
 * const loaded = await bulkLoad({ dbFile, dataDir, topology, cell, source, records: 4_000_000, log });
 */

/** `writeRecords` calls per event-loop turn: one commit of up to 50,000 records (5,000 in dense history). */
const CALLS_PER_TURN = 500;
const PROGRESS_MS = 5_000;
/** Records drawn between two releases of the time-ordered buffer. */
const RELEASE_EVERY = 2_000;
/** A pipeline's time from receipt to store, for the stored time of bulk records. */
const STORE_DELAY_MS = 250;
/** The most the receive times of one bulk write spread (its records are stored within that). */
const WRITE_SPREAD_MS = 5_000;
/** A lifecycle spreads over up to a day (`LIFECYCLE_ROOM_MS`); wait two before an event is due. */
const ORDER_MARGIN_MS = 2 * 86_400_000;

export interface BulkLoadOptions {
  readonly dataDir: string;
  readonly dbFile: string;
  readonly synchronous: SynchronousMode;
  readonly topology: CellTopology;
  /** The cell the records belong to (the engine's `{ cell: cellName, region: 'local' }`). */
  readonly cell: CellIdentity;
  /** Invoices oldest first (`createScaleTraffic({ historyOrder })`). */
  readonly source: InvoiceDraw;
  /** Records to write (whole lifecycles: up to a lifecycle more). */
  readonly records: number;
  readonly log: (line: string) => void;
  /** After each commit: records inserted so far (the bench records its fill, so a kill can resume). */
  readonly onProgress?: (inserted: number) => void;
}

export interface BulkLoadResult {
  /** Records inserted (first writes). */
  readonly inserted: number;
  /** Records the store refused (0 unless the bench is wrong; the first reason is logged). */
  readonly rejected: number;
  readonly sec: number;
  readonly recordsPerSec: number;
}

/** Loads `options.records` records into the (stopped) cell's database. */
export async function bulkLoad(options: BulkLoadOptions): Promise<BulkLoadResult> {
  // Whatever holds the data dir (a cell that did not stop) must not share the file with us.
  const lock = acquireDataDirLock(options.dataDir);
  try {
    if (!databaseExists(options.dbFile)) {
      // The api role creates and migrates the schema, as a starting cell does.
      openCellDatabase({ file: options.dbFile, synchronous: options.synchronous, role: 'api' }).close();
    }
    const db = openCellDatabase({ file: options.dbFile, synchronous: options.synchronous, role: 'engine' });
    try {
      const batcher = new WriteBatcher(db);
      const clock = new ManualClock(0);
      const store = createRecordStore(db, { topology: options.topology, clock, batcher });
      return await load(options, { batcher, clock, store, archive: new EventArchive(db) });
    } finally {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    }
  } finally {
    lock.release();
  }
}

interface Writer {
  readonly batcher: WriteBatcher;
  readonly clock: ManualClock;
  readonly store: ReturnType<typeof createRecordStore>;
  readonly archive: EventArchive;
}

/** Archives the write's events, sets the store's clock, writes the records: jobs of one commit. */
async function submit(options: BulkLoadOptions, writer: Writer, write: BulkWrite) {
  const accepted = writer.batcher.run(() => {
    for (const { event } of write.items) {
      const busEvent = busEventOf(options.topology, event.stage, event.event, event.receivedAtMs);
      writer.archive.insert(toWireEvent({ event: busEvent, deliveries: [] }));
    }
    writer.clock.set(write.storedAtMs);
  });
  const [, result] = await Promise.all([
    accepted,
    writer.store.writeRecords(write.items.map((p) => p.record)),
  ]);
  return result;
}

async function load(options: BulkLoadOptions, writer: Writer): Promise<BulkLoadResult> {
  const window = businessTimeWindow(options.topology.settings);
  const order = new TimeOrderedRelease({
    marginMs: ORDER_MARGIN_MS,
    storeDelayMs: STORE_DELAY_MS,
    writeSize: MAX_RECORDS_PER_WRITE,
    writeSpreadMs: WRITE_SPREAD_MS,
  });
  const started = performance.now();
  let lastReport = started;
  let drawn = 0;
  let written = 0;
  let rejected = 0;
  while (written < drawn || drawn < options.records) {
    const turn: BulkWrite[] = [];
    while (turn.length < CALLS_PER_TURN && drawn < options.records) {
      // Released per draw of RELEASE_EVERY records: each release sorts the waiting buffer (a
      // couple of days of history: 100k+ events at 10 M), too costly once per invoice.
      for (let added = 0; added < RELEASE_EVERY && drawn < options.records; ) {
        const invoice = options.source.next();
        const records = bulkRecords(invoice, { cell: options.cell, window });
        order.add(invoice, records);
        drawn += records.length;
        added += records.length;
      }
      turn.push(...order.release());
    }
    if (drawn >= options.records) turn.push(...order.release({ all: true }));
    const results = await Promise.all(turn.map((write) => submit(options, writer, write)));
    for (const result of results) {
      if (result.rejected.length > 0 && rejected === 0) {
        options.log(`bulk: the store refused a record: ${result.rejected[0]?.reason}`);
      }
      rejected += result.rejected.length;
    }
    written += turn.reduce((n, w) => n + w.items.length, 0);
    options.onProgress?.(written - rejected);
    const now = performance.now();
    if (now - lastReport >= PROGRESS_MS) {
      lastReport = now;
      options.log(
        `bulk: ${written.toLocaleString('en-US')} / ${options.records.toLocaleString('en-US')} records ` +
          `(${Math.round(written / ((now - started) / 1000)).toLocaleString('en-US')}/s, ` +
          `${order.pending.toLocaleString('en-US')} waiting for their time)`,
      );
    }
  }
  const sec = (performance.now() - started) / 1000;
  return { inserted: written - rejected, rejected, sec, recordsPerSec: written / sec };
}
