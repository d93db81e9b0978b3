import type { InvoiceRecord } from '../../../consumers/record.js';
import type {
  AggregateQuery,
  AggregateRow,
  RejectedRecord,
  TimeseriesStore,
  WriteResult,
} from '../../../consumers/store.js';

/**
 * A store decorator for fault-injection tests: records whose eventId is in the fault set come back
 * `rejected` (as a store would refuse them) and are not written, and so do the later records of
 * the same invoice in that call (the per-invoice rule of `SqliteStore`); the rest go to the real
 * store. The real `processBatch` then does what it does in production: fails the record, fails
 * the later records of its invoice in that batch, and the queue redelivers them until the DLQ.
 *
 * Only wired in when the cell starts with `--enable-fault-injection`.
 *
 * @example
 * const store = new FaultInjectingStore(new SqliteStore(db, options));
 * store.setFailingEventIds(['0f8e7c4a-2b1d-4c3e-9a5f-6d7e8f9a0b1c']);
 */
export class FaultInjectingStore implements TimeseriesStore {
  readonly #inner: TimeseriesStore;
  #failing = new Set<string>();

  constructor(inner: TimeseriesStore) {
    this.#inner = inner;
  }

  setFailingEventIds(eventIds: Iterable<string>): void {
    this.#failing = new Set(eventIds);
  }

  get failingEventIds(): readonly string[] {
    return [...this.#failing];
  }

  async writeRecords(records: readonly InvoiceRecord[]): Promise<WriteResult> {
    if (this.#failing.size === 0) return this.#inner.writeRecords(records);
    const rejected: RejectedRecord[] = [];
    const passed: { index: number; record: InvoiceRecord }[] = [];
    const refusedInvoices = new Set<string>();
    records.forEach((record, index) => {
      const { eventId, invoiceId } = record.dimensions;
      if (this.#failing.has(eventId)) {
        rejected.push({ index, reason: 'injected fault: store refused this event', retryable: false });
        refusedInvoices.add(invoiceId);
      } else if (refusedInvoices.has(invoiceId)) {
        rejected.push({
          index,
          reason: `an earlier record of invoice ${invoiceId} in this write was refused`,
          retryable: false,
        });
      } else passed.push({ index, record });
    });
    if (passed.length > 0) {
      const result = await this.#inner.writeRecords(passed.map((p) => p.record));
      for (const r of result.rejected) {
        const original = passed[r.index];
        if (original) rejected.push({ ...r, index: original.index });
      }
    }
    return { rejected: rejected.sort((a, b) => a.index - b.index) };
  }

  timeline(invoiceId: string): Promise<InvoiceRecord[]> {
    return this.#inner.timeline(invoiceId);
  }

  aggregate(query: AggregateQuery): Promise<AggregateRow[]> {
    return this.#inner.aggregate(query);
  }
}
