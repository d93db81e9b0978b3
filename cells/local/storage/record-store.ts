import type { CellTopology } from '../../topology.js';
import type { DatabaseHandle } from './db.js';
import type { FirstWriteHook } from './first-write-hook.js';
import { InvoiceStateWriter } from './invoice-state-writer.js';
import { ReconcileCounters } from './reconcile-counters.js';
import { RollupWriter } from './rollup-writer.js';
import { SlaRollupWriter } from './sla-rollup-writer.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';

/**
 * The cell's record store: `SqliteStore` with every first-write hook the cell maintains (records
 * panel rollups, invoice state, SLA rollups, reconciliation counters). The engine, the API, the
 * backfill and the bulk loader of `bench:scale` all build it here, so no writer of `records` can
 * leave them out.
 *
 * @example
 * const store = createRecordStore(db, { topology, clock, batcher });
 */

/** The hooks a cell database keeps in step with `records`, in the order they run. */
export function cellWriteHooks(db: DatabaseHandle, topology: CellTopology): FirstWriteHook[] {
  return [
    new RollupWriter(db, topology),
    new InvoiceStateWriter(db, topology),
    new SlaRollupWriter(db, topology),
    new ReconcileCounters(db, topology),
  ];
}

/** A `SqliteStore` with the cell's hooks ({@link cellWriteHooks}). */
export function createRecordStore(
  db: DatabaseHandle,
  options: Omit<SqliteStoreOptions, 'hooks'>,
): SqliteStore {
  return new SqliteStore(db, { ...options, hooks: cellWriteHooks(db, options.topology) });
}
