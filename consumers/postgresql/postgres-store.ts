import type { CellTopology } from '../../cells/topology.js';
import { type Clock, SYSTEM_CLOCK } from '../clock.js';
import type { InvoiceRecord } from '../record.js';
import {
  type AggregateQuery,
  type AggregateRow,
  MAX_RECORDS_PER_WRITE,
  type RejectedRecord,
  type TimeseriesStore,
  type WriteResult,
} from '../store.js';
import { applyFirstWrites } from './first-write-effects.js';
import { type InsertCandidate, insertCandidates, planInsert } from './record-insert.js';
import { aggregateRowOf, aggregateStatement, recordOfRow, TIMELINE_SQL } from './record-queries.js';
import { inTransaction, jsonParam, type SqlExecutor, type SqlTransaction, sqlParam } from './sql-executor.js';

export interface PostgresStoreOptions {
  /** Stage positions (timeline order, rollups) and SLAs (invoice state). */
  readonly topology: CellTopology;
  /** Stamps the first write's `stored_at_ms`. Default: the wall clock. */
  readonly clock?: Clock;
}

/**
 * Advisory lock namespace of the per-invoice write locks (the first key of
 * `pg_advisory_xact_lock(int, int)`), so they never meet another user's advisory locks.
 */
export const INVOICE_LOCK_SPACE = 0x1f0a1;

// Locks in hash order so two writers of overlapping invoices queue instead of deadlocking (a
// deadlock would still only fail one write as transient). count(*) because the Data API cannot
// return a `void` column.
const LOCK_INVOICES_SQL = `SELECT count(*) AS locked FROM (
  SELECT pg_advisory_xact_lock(${INVOICE_LOCK_SPACE}, h) FROM (
    SELECT DISTINCT hashtext(value) AS h FROM jsonb_array_elements_text(CAST(:invoices AS jsonb))
  ) AS i ORDER BY h
) AS l`;

/**
 * The Aurora PostgreSQL implementation of {@link TimeseriesStore}, over a {@link SqlExecutor}
 * (the RDS Data API in a cell, PGlite in tests), on the tables of `migrations/`.
 *
 * `writeRecords`: one transaction per call, in it
 * 1. a transaction advisory lock per invoice of the batch: the rollups' latest-state rows and
 *    `invoice_state` are read-modify-write per invoice, and an invoice's stages arrive through
 *    different queues, so two Lambdas may write one invoice at once;
 * 2. one `INSERT ... ON CONFLICT (event_id) DO NOTHING` for the batch (`record-insert.ts`): an
 *    identical stored record is a no-op, a different one under the same eventId is rejected
 *    (not retryable, the reason names the eventId), as Timestream rejects a version conflict;
 * 3. rollups and invoice state for the records actually inserted (`first-write-effects.ts`), so
 *    a retry, redrive, replay or duplicate never counts twice.
 * Results map back to the indexes of `records`. A failure of the call (throttling, a resuming or
 * unavailable database, a deadlock) arrives from the executor as `TransientStoreError` and the
 * transaction is rolled back: the whole call is safe to repeat.
 *
 * `timeline` and `aggregate` read `records` (see `record-queries.ts`).
 *
 * @example
 * const store = new PostgresStore(new DataApiExecutor({ resourceArn, secretArn, database }), { topology });
 * const { rejected } = await store.writeRecords(records);
 */
export class PostgresStore implements TimeseriesStore {
  readonly #executor: SqlExecutor;
  readonly #topology: CellTopology;
  readonly #clock: Clock;
  readonly #stageOrder: ReadonlyMap<string, number>;

  constructor(executor: SqlExecutor, options: PostgresStoreOptions) {
    this.#executor = executor;
    this.#topology = options.topology;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#stageOrder = new Map(options.topology.stages.map((s) => [s.name, s.order]));
  }

  async writeRecords(records: readonly InvoiceRecord[]): Promise<WriteResult> {
    if (records.length > MAX_RECORDS_PER_WRITE) {
      throw new RangeError(
        `writeRecords takes at most ${MAX_RECORDS_PER_WRITE} records, got ${records.length}`,
      );
    }
    const plan = planInsert(records, this.#stageOrder);
    const rejected: RejectedRecord[] = [...plan.rejected];
    if (plan.candidates.length > 0) {
      const storedAtMs = this.#clock.now();
      const outcome = await inTransaction(this.#executor, (tx) =>
        this.#insert(tx, plan.candidates, storedAtMs),
      );
      rejected.push(...outcome);
    }
    // A repeat of an eventId earlier in the call shares the first record's fate.
    const byIndex = new Map(rejected.map((r) => [r.index, r]));
    for (const repeat of plan.repeats) {
      const first = byIndex.get(repeat.of);
      if (first) rejected.push({ ...first, index: repeat.index });
    }
    return { rejected: rejected.sort((a, b) => a.index - b.index) };
  }

  async #insert(
    tx: SqlTransaction,
    candidates: readonly InsertCandidate[],
    storedAtMs: number,
  ): Promise<RejectedRecord[]> {
    const invoices = [...new Set(candidates.map((c) => c.record.dimensions.invoiceId))];
    await tx.execute(LOCK_INVOICES_SQL, [jsonParam('invoices', invoices)]);
    const outcome = await insertCandidates(tx, candidates, storedAtMs);
    await applyFirstWrites(tx, this.#topology, outcome.inserted, storedAtMs);
    return [...outcome.rejected];
  }

  async timeline(invoiceId: string): Promise<InvoiceRecord[]> {
    const { rows } = await this.#executor.execute(TIMELINE_SQL, [sqlParam('invoiceId', invoiceId)]);
    return rows.map(recordOfRow);
  }

  async aggregate(query: AggregateQuery): Promise<AggregateRow[]> {
    const { sql, params } = aggregateStatement(query);
    const { rows } = await this.#executor.execute(sql, params);
    return rows.map((row) => aggregateRowOf(row, query.byCurrency === true));
  }
}
