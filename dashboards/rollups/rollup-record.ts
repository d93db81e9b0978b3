import type { InvoiceRecord } from '../../consumers/record.js';
import type { RollupRecord } from './contributions.js';

/**
 * A stored record as the rollups read it: amounts as bigint minor units, the stage position and
 * the store's first-write time. Pure.
 *
 * @example
 * toRollupRecord(record, 2, clock.now());
 */
export function toRollupRecord(record: InvoiceRecord, stageOrder: number, storedAtMs: number): RollupRecord {
  const d = record.dimensions;
  const m = record.measures;
  return {
    eventId: d.eventId,
    invoiceId: d.invoiceId,
    stage: d.stage,
    stageOrder,
    status: m.status,
    currency: d.currency,
    vendorId: d.vendorId,
    amountMinor: BigInt(m.amountMinor),
    paymentTermsDays: m.paymentTermsDays,
    dueDateMs: m.dueDateMs,
    timeMs: record.timeMs,
    storedAtMs,
    receivedAtMs: m.receivedAtMs,
  };
}
