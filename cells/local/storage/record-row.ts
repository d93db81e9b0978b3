import { INVOICE_MEASURE_NAME, type InvoiceRecord } from '../../../consumers/record.js';
import type { StageName } from '../../topology.js';

/**
 * A `records` row as read with `safeIntegers` (the columns the record itself is made of), and the
 * record it holds: the one mapping from the table back to `InvoiceRecord`, shared by the store's
 * reads and the backfill.
 *
 * @example
 * const record = recordOfRow(db.prepare('SELECT * FROM records WHERE id = ?').safeIntegers(true).get(id));
 */
export interface RecordRow {
  event_id: string;
  time_ms: bigint;
  cell: string;
  region: string;
  stage: string;
  invoice_id: string;
  vendor_id: string;
  currency: string;
  status: string;
  amount_minor: bigint;
  vendor_name: string;
  received_at_ms: bigint;
  due_date_ms: bigint | null;
  payment_terms_days: bigint | null;
}

/** A nullable integer column as a number. Pure. */
export function numberOrNull(value: bigint | null): number | null {
  return value === null ? null : Number(value);
}

/** The record a row holds (amounts stay exact: decimal strings of the integer minor units). Pure. */
export function recordOfRow(row: RecordRow): InvoiceRecord {
  return {
    measureName: INVOICE_MEASURE_NAME,
    timeMs: Number(row.time_ms),
    version: 1,
    dimensions: {
      cell: row.cell,
      region: row.region,
      stage: row.stage as StageName,
      invoiceId: row.invoice_id,
      eventId: row.event_id,
      vendorId: row.vendor_id,
      currency: row.currency,
    },
    measures: {
      status: row.status,
      amountMinor: row.amount_minor.toString(),
      vendorName: row.vendor_name,
      receivedAtMs: Number(row.received_at_ms),
      dueDateMs: numberOrNull(row.due_date_ms),
      paymentTermsDays: numberOrNull(row.payment_terms_days),
    },
  };
}
