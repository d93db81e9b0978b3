import { businessTimeWindow } from '../../cells/business-time.js';
import { SYSTEM_CLOCK } from '../../cells/local/clock.js';
import { acquireDataDirLock } from '../../cells/local/storage/data-dir-lock.js';
import {
  databaseExists,
  openCellDatabase,
  type SynchronousMode,
  WriteBatcher,
} from '../../cells/local/storage/db.js';
import { createRecordStore } from '../../cells/local/storage/record-store.js';
import type { CellTopology } from '../../cells/topology.js';
import type { CellIdentity, InvoiceRecord } from '../../consumers/record.js';
import { MAX_RECORDS_PER_WRITE } from '../../consumers/store.js';
import type { InvoiceSource } from './scale-batches.js';
import { bulkRecords } from './scale-records.js';

/**
 * The bulk loader: past `--http-records`, records go into the stopped cell's database in-process,
 * through the same store and first-write hooks (rollups, invoice state, counters) the engine
 * writes with (`createRecordStore`), never through SQL of its own. Records come from the
 * processor's own mapping ({@link bulkRecords}). Like the engine's poller, it makes many
 * `writeRecords` calls of ≤ 100 records in one event-loop turn, which the connection's group
 * commit (`WriteBatcher`) writes in one transaction.
 *
 * What it does not do: archive the events or pass them through the queues. Its records carry
 * simulated receive times no later than the bench's start, so they are older than the first
 * archived event and reconciliation takes them for history whose archive rows were pruned (the
 * cell's rule for records received before its oldest archived event), not for unexpected rows.
 *
 * @example
 * const loaded = await bulkLoad({ dbFile, dataDir, topology, cell, source, records: 4_000_000, log });
 */

/** `writeRecords` calls per event-loop turn: one commit of up to 5,000 records. */
const CALLS_PER_TURN = 50;
const PROGRESS_MS = 5_000;

export interface BulkLoadOptions {
  readonly dataDir: string;
  readonly dbFile: string;
  readonly synchronous: SynchronousMode;
  readonly topology: CellTopology;
  /** The cell the records belong to (the engine's `{ cell: cellName, region: 'local' }`). */
  readonly cell: CellIdentity;
  readonly source: InvoiceSource;
  /** Records to write (whole lifecycles: up to a lifecycle more). */
  readonly records: number;
  readonly log: (line: string) => void;
}

export interface BulkLoadResult {
  /** Records inserted (first writes). */
  readonly inserted: number;
  /** Records the store refused (0 unless the bench is wrong; the first reason is logged). */
  readonly rejected: number;
  readonly sec: number;
  readonly recordsPerSec: number;
}

/** The next up-to-`count` records, whole invoices in lifecycle order. */
function nextRecords(
  options: BulkLoadOptions,
  window: ReturnType<typeof businessTimeWindow>,
  count: number,
): InvoiceRecord[] {
  const records: InvoiceRecord[] = [];
  while (records.length < count) {
    records.push(...bulkRecords(options.source.next(), { cell: options.cell, window }));
  }
  return records;
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
      const store = createRecordStore(db, { topology: options.topology, clock: SYSTEM_CLOCK, batcher });
      return await load(options, store);
    } finally {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    }
  } finally {
    lock.release();
  }
}

async function load(
  options: BulkLoadOptions,
  store: ReturnType<typeof createRecordStore>,
): Promise<BulkLoadResult> {
  const window = businessTimeWindow(options.topology.settings);
  const started = performance.now();
  let lastReport = started;
  let written = 0;
  let inserted = 0;
  let rejected = 0;
  while (written < options.records) {
    const turn = nextRecords(options, window, Math.min(options.records - written, CALLS_PER_TURN * 100));
    const writes: Promise<{ rejected: readonly { reason: string }[] }>[] = [];
    for (let i = 0; i < turn.length; i += MAX_RECORDS_PER_WRITE) {
      writes.push(store.writeRecords(turn.slice(i, i + MAX_RECORDS_PER_WRITE)));
    }
    for (const result of await Promise.all(writes)) {
      if (result.rejected.length > 0 && rejected === 0) {
        options.log(`bulk: the store refused a record: ${result.rejected[0]?.reason}`);
      }
      rejected += result.rejected.length;
    }
    written += turn.length;
    inserted = written - rejected;
    const now = performance.now();
    if (now - lastReport >= PROGRESS_MS) {
      lastReport = now;
      options.log(
        `bulk: ${written.toLocaleString('en-US')} / ${options.records.toLocaleString('en-US')} records ` +
          `(${Math.round(written / ((now - started) / 1000)).toLocaleString('en-US')}/s)`,
      );
    }
  }
  const sec = (performance.now() - started) / 1000;
  return { inserted, rejected, sec, recordsPerSec: written / sec };
}
