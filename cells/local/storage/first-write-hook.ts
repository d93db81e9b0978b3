import type { RollupRecord } from '../../../dashboards/rollups/contributions.js';

/**
 * What the store does beside a record's first write, in the same transaction (savepoint) as the
 * insert: rollups, the invoice state table, the reconciliation counters. A hook sees only records
 * actually inserted — never a duplicate, retry, redrive or replay of a stored record — so nothing
 * it maintains can count twice, and a crash or rollback leaves it in step with `records`. A hook
 * that throws fails the write (the queue redelivers the batch).
 *
 * @example
 * const store = new SqliteStore(db, { topology, clock, hooks: [rollupWriter, invoiceStates] });
 */
export interface FirstWriteHook {
  /** Names the hook in logs and in the backfill's bookkeeping (`rollup-backfill.ts`). */
  readonly name: string;
  /**
   * Changes whenever what the hook maintains changes (e.g. a hash of the rollup definitions): the
   * backfill rebuilds every hook's tables from the stored records when any version differs.
   */
  readonly version: string;
  /** Called inside the write transaction with the records this write inserted, in write order. */
  apply(records: readonly RollupRecord[]): void;
  /** Empties what the hook maintains (inside the backfill's transaction, before a rebuild). */
  reset(): void;
}
