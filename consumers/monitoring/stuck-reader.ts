import type { StageName } from '../../cells/topology.js';
import type { StuckInvoice } from './stuck.js';

/**
 * The stuck monitor's read of the store (DESIGN §4, business stuck events), one port for both AWS
 * stores: Timestream answers from the stuck-state rows its scheduled queries keep
 * (`TimestreamStuckReader`), Aurora from the `invoice_state` deadline index
 * (`PostgresStuckReader`). The monitor publishes `counts` (the alarms' metric) and alerts with
 * `stuck`, so a store that lists only the most overdue invoices must still count all of them.
 *
 * @example
 * const { counts, stuck, total } = await reader.read(Date.now());
 * for (const [stage, n] of counts) publishMetric(stage, n);
 */
export interface StuckInvoiceReader {
  /** The invoices stuck at `nowMs` (`findStuckInvoices`' rule), counted per stage and listed. */
  read(nowMs: number): Promise<StuckReading>;
}

/** What one read found. */
export interface StuckReading {
  /** Rows the store returned (candidates; for logs). */
  readonly rows: number;
  /** Stuck invoices, most overdue first: all of them, or the most overdue of {@link total}. */
  readonly stuck: readonly StuckInvoice[];
  /** Every stuck invoice, listed or not. */
  readonly total: number;
  /** Stuck invoices per stage over all {@link total}, 0 for every stage with an SLA. */
  readonly counts: ReadonlyMap<StageName, number>;
}
