import { createHash } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { stuckDeadlineMs } from '../../../consumers/monitoring/stuck.js';
import { isNewer, type RollupRecord } from '../../../dashboards/rollups/contributions.js';
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

/** An `invoice_state` row. */
export interface InvoiceStateRow {
  readonly invoice_id: string;
  readonly stage_order: number;
  readonly status: string;
  readonly status_time_ms: number;
  readonly status_event_id: string;
  readonly vendor_id: string;
  readonly entered_ms: number;
  readonly deadline_ms: number | null;
}

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

/**
 * The invoice's row after `record`, or undefined when the record changes nothing (an earlier
 * stage, or an older event at the same stage that does not lower its entered time). Pure.
 *
 * @example
 * nextInvoiceState(undefined, record, topology); // the record's stage, status, entered = its time
 */
export function nextInvoiceState(
  current: InvoiceStateRow | undefined,
  record: RollupRecord,
  topology: CellTopology,
): InvoiceStateRow | undefined {
  if (!current || record.stageOrder > current.stage_order)
    return rowOf(record, record, record.timeMs, topology);
  if (record.stageOrder < current.stage_order) return undefined;
  const newer = isNewer(record, { timeMs: current.status_time_ms, eventId: current.status_event_id });
  const enteredMs = Math.min(current.entered_ms, record.timeMs);
  if (!newer && enteredMs === current.entered_ms) return undefined;
  const latest = newer
    ? record
    : {
        status: current.status,
        timeMs: current.status_time_ms,
        eventId: current.status_event_id,
        vendorId: current.vendor_id,
      };
  return rowOf(record, latest, enteredMs, topology);
}

type LatestRecord = Pick<RollupRecord, 'status' | 'timeMs' | 'eventId' | 'vendorId'>;

function rowOf(
  record: RollupRecord,
  latest: LatestRecord,
  enteredMs: number,
  topology: CellTopology,
): InvoiceStateRow {
  return {
    invoice_id: record.invoiceId,
    stage_order: record.stageOrder,
    status: latest.status,
    status_time_ms: latest.timeMs,
    status_event_id: latest.eventId,
    vendor_id: latest.vendorId,
    entered_ms: enteredMs,
    deadline_ms: stuckDeadlineMs(topology, record.stageOrder, latest.status, enteredMs),
  };
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
