import type { InvoiceRecord } from '../../consumers/record.js';
import type { ScaleEvent, ScaleInvoice } from './scale-records.js';

/**
 * Puts the bulk loader's records in the order a cell running through the history would have
 * stored them: by receive time across invoices, each invoice's events in lifecycle order, in
 * writes of up to `writeSize` records that carry a stored time just after their last receive time.
 * Without it every bulk record would be stored "now" with a receive time weeks back: a latency
 * of weeks no cell shows, and one that spreads the latency histograms over hundreds of buckets.
 *
 * Invoices arrive oldest first (`historyOrder` traffic) but an invoice's events spread over up to
 * a day, so events wait in a buffer until no later invoice can bring an earlier one: those older
 * than the newest invoice's first receive time less `marginMs`. An event that still comes after
 * its turn (outside the margin) is written with the next write: stored later, never lost.
 *
 * @example
 * const order = new TimeOrderedRelease({ marginMs: 2 * DAY_MS, storeDelayMs: 250, writeSize: 100, writeSpreadMs: 5_000 });
 * order.add(invoice, bulkRecords(invoice, context));
 * for (const write of order.release()) await writeWithStoredTime(write);
 * for (const write of order.release({ all: true })) await writeWithStoredTime(write);
 */

/** One event waiting to be written: its record and what the API accepted. */
export interface PendingWrite {
  readonly event: ScaleEvent;
  readonly record: InvoiceRecord;
  /** The receive time, raised to the invoice's previous event's key: keeps lifecycle order. */
  readonly key: number;
  /** Arrival order: ties keep it. */
  readonly seq: number;
}

/** A store write of the bulk loader: records in order, stored at `storedAtMs`. */
export interface BulkWrite {
  readonly items: readonly PendingWrite[];
  readonly storedAtMs: number;
}

export interface TimeOrderOptions {
  /** How far back a later invoice may still bring an event (its lifecycle room plus slack). */
  readonly marginMs: number;
  /** The time from receipt to store the writes get (the pipeline's latency). */
  readonly storeDelayMs: number;
  readonly writeSize: number;
  /** The most a write's receive times spread: a pipeline stores an event within seconds. */
  readonly writeSpreadMs: number;
}

export class TimeOrderedRelease {
  readonly #options: TimeOrderOptions;
  #buffer: PendingWrite[] = [];
  #seq = 0;
  #watermarkMs = Number.NEGATIVE_INFINITY;

  constructor(options: TimeOrderOptions) {
    if (!(options.writeSize >= 1)) throw new RangeError(`writeSize must be ≥ 1, got ${options.writeSize}`);
    this.#options = options;
  }

  /** Events waiting in the buffer. */
  get pending(): number {
    return this.#buffer.length;
  }

  /** Adds an invoice's events (`records[i]` is the record of `invoice.events[i]`). */
  add(invoice: ScaleInvoice, records: readonly InvoiceRecord[]): void {
    if (records.length !== invoice.events.length) {
      throw new RangeError(
        `invoice ${invoice.invoiceId}: ${records.length} records for ${invoice.events.length} events`,
      );
    }
    let key = Number.NEGATIVE_INFINITY;
    let first = Number.POSITIVE_INFINITY;
    invoice.events.forEach((event, i) => {
      key = Math.max(key, event.receivedAtMs);
      first = Math.min(first, event.receivedAtMs);
      this.#buffer.push({ event, record: records[i] as InvoiceRecord, key, seq: this.#seq++ });
    });
    this.#watermarkMs = Math.max(this.#watermarkMs, first - this.#options.marginMs);
  }

  /**
   * The writes that are due: every event older than the watermark (all of them with `all`), in
   * key order, cut into writes of at most `writeSize` events received within `writeSpreadMs` of
   * the write's first (so each is stored at most that much plus the delay after its receipt); the
   * last write waits for more unless `all`.
   */
  release(options: { all?: boolean } = {}): BulkWrite[] {
    this.#buffer.sort((a, b) => a.key - b.key || a.seq - b.seq);
    let due = options.all ? this.#buffer.length : this.#buffer.findIndex((p) => p.key >= this.#watermarkMs);
    if (due < 0) due = this.#buffer.length;
    const { writeSize, writeSpreadMs, storeDelayMs } = this.#options;
    const writes: BulkWrite[] = [];
    let start = 0;
    for (let i = 1; i <= due; i++) {
      const first = this.#buffer[start] as PendingWrite;
      const closes =
        i === due ||
        i - start >= writeSize ||
        (this.#buffer[i] as PendingWrite).key - first.key > writeSpreadMs;
      if (!closes || (i === due && !options.all)) continue;
      const items = this.#buffer.slice(start, i);
      writes.push({ items, storedAtMs: (items[items.length - 1] as PendingWrite).key + storeDelayMs });
      start = i;
    }
    this.#buffer = this.#buffer.slice(start);
    return writes;
  }
}
