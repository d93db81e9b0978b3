import { createHash } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { type InvoiceStateRow, nextInvoiceState } from '../../../consumers/monitoring/invoice-state.js';
import type { RollupRecord } from '../../../dashboards/rollups/contributions.js';
import type { CellTopology } from '../../topology.js';
import type { DatabaseHandle } from './db.js';
import type { FirstWriteHook } from './first-write-hook.js';

/**
 * The latest state of every invoice (`invoice_state`, migration 6) as a first-write hook, so
 * `/stuck` and the stuck-invoice alarm are a range read on the SLA deadline instead of a scan of
 * `records`. One row per invoice:
 * - its furthest stage (an event at an earlier stage never moves it back);
 * - the latest status there, by (record time, eventId) — whatever order events arrive in;
 * - `entered_ms`, the first record time there (a late event can lower it);
 * - `deadline_ms` = entered + the stage's SLA when the invoice can be stuck there, else NULL
 *   (`stuckDeadlineMs`: last stage, terminal status).
 * The row is a function of the set of the invoice's records, so it equals
 * `localLatestByInvoiceSql` over all history, and `findStuckInvoices` on it lists exactly the rows
 * with `deadline_ms < now`.
 *
 * @example
 * const store = new SqliteStore(db, { topology, clock, hooks: [new InvoiceStateWriter(db, topology)] });
 */

/**
 * What the SLA tables depend on in the topology: a short hash of every stage's order, SLA and
 * terminal statuses. The hooks' versions carry it, so a release that changes an SLA rebuilds the
 * deadlines and outcomes from the stored records (the backfill compares versions). Pure.
 *
 * @example
 * slaTopologyHash(CELL_TOPOLOGY); // e.g. '3f9a0c1b2d'
 */
export function slaTopologyHash(topology: CellTopology): string {
  const stages = topology.stages.map((s) => [s.name, s.order, s.slaSec, [...s.terminalStatuses]]);
  return createHash('sha256').update(JSON.stringify(stages)).digest('hex').slice(0, 10);
}

/** Keeps `invoice_state` in step with `records`, in the record's write transaction. */
export class InvoiceStateWriter implements FirstWriteHook {
  readonly name = 'invoice-state';
  readonly version: string;
  readonly #topology: CellTopology;
  readonly #select: Statement<[string], InvoiceStateRow>;
  readonly #upsert: Statement<InvoiceStateRow>;
  readonly #reset: Statement;

  constructor(db: DatabaseHandle, topology: CellTopology) {
    this.#topology = topology;
    this.version = `invoice-state-v1:${slaTopologyHash(topology)}`;
    this.#select = db.prepare('SELECT * FROM invoice_state WHERE invoice_id = ?');
    this.#upsert = db.prepare(
      `INSERT INTO invoice_state (invoice_id, stage_order, status, status_time_ms, status_event_id,
         vendor_id, entered_ms, deadline_ms)
       VALUES (:invoice_id, :stage_order, :status, :status_time_ms, :status_event_id, :vendor_id,
         :entered_ms, :deadline_ms)
       ON CONFLICT (invoice_id) DO UPDATE SET stage_order = excluded.stage_order,
         status = excluded.status, status_time_ms = excluded.status_time_ms,
         status_event_id = excluded.status_event_id, vendor_id = excluded.vendor_id,
         entered_ms = excluded.entered_ms, deadline_ms = excluded.deadline_ms`,
    );
    this.#reset = db.prepare('DELETE FROM invoice_state');
  }

  /** One primary-key read and at most one write per record; later records see earlier ones. */
  apply(records: readonly RollupRecord[]): void {
    for (const record of records) {
      const next = nextInvoiceState(this.#select.get(record.invoiceId), record, this.#topology);
      if (next) this.#upsert.run(next);
    }
  }

  reset(): void {
    this.#reset.run();
  }
}

/**
 * Deletes up to `limit` rows of invoices that can no longer be stuck (at the last stage, or with a
 * terminal status: `deadline_ms` NULL) and entered their stage before `beforeMs`, oldest first, in
 * one short statement (an index range read): for the retention job, which calls it in a loop of
 * small transactions. Returns the rows deleted. A record stored later for such an invoice starts a
 * new row, so prune only what raw retention no longer keeps either.
 *
 * @example
 * while (pruneInvoiceState(db, Date.now() - 90 * 86_400_000, 1_000) > 0) await setImmediate();
 */
export function pruneInvoiceState(db: DatabaseHandle, beforeMs: number, limit: number): number {
  return db
    .prepare(
      `DELETE FROM invoice_state WHERE invoice_id IN (
         SELECT invoice_id FROM invoice_state
         WHERE deadline_ms IS NULL AND entered_ms < ? ORDER BY entered_ms LIMIT ?)`,
    )
    .run(beforeMs, limit).changes;
}
