import { INVOICE_MEASURE_NAME } from '../../../../../consumers/record.js';
import type { RollupRecord } from '../../../../../dashboards/rollups/contributions.js';
import { BASE_MS, DAY, randomStream } from '../../../rollups/support/random-records.js';
import type { StoredInvoiceRecord } from './twin-stores.js';

/**
 * The data set of the PostgreSQL equivalence tests: the rollup tests' seeded stream
 * (`randomStream`: many invoices in USD, EUR, JPY, KWD and GBP, amounts whose sums pass 2^63,
 * missing payment terms and due dates, several events per stage, equal times, late events, negative
 * latencies from clock steps), as the store keeps it (first write per eventId), made into
 * InvoiceRecords with two more things the panels read: a second cell (every fifth invoice), and
 * vendors renamed at {@link RENAMED_FROM_MS}, so the latest name by time is not the first one.
 *
 * @example
 * const { records, rollupRecords } = panelRecords(7, 400);
 */

/** Vendors carry their new name on records from this time on. */
export const RENAMED_FROM_MS = BASE_MS + 20 * DAY;
export const MAIN_CELL = 'us-west-1';
export const OTHER_CELL = 'us-west-1b';

export interface PanelRecords {
  readonly records: readonly StoredInvoiceRecord[];
  /** The same records in the rollups' shape (for the brute-force reference `rawPanel`). */
  readonly rollupRecords: readonly RollupRecord[];
}

function cellOf(invoiceId: string): string {
  const index = Number(invoiceId.replace(/\D/g, ''));
  return index % 5 === 0 ? OTHER_CELL : MAIN_CELL;
}

/** The vendor's name as of a record time. */
export function vendorNameAt(vendorId: string, timeMs: number, renamedFromMs = RENAMED_FROM_MS): string {
  return timeMs >= renamedFromMs ? `${vendorId} Holdings GmbH` : `${vendorId} Ltd`;
}

/**
 * `invoices` invoices of seed `seed`; with `shiftMs`, every time moved by it (a negative shift puts
 * the data set around or before 1970).
 */
export function panelRecords(seed: number, invoices: number, shiftMs = 0): PanelRecords {
  const shift = (ms: number) => ms + shiftMs;
  const rollupRecords = randomStream(seed, invoices).stored.map(
    (r): RollupRecord => ({
      ...r,
      timeMs: shift(r.timeMs),
      receivedAtMs: shift(r.receivedAtMs),
      storedAtMs: shift(r.storedAtMs),
      dueDateMs: r.dueDateMs === null ? null : shift(r.dueDateMs),
    }),
  );
  const records = rollupRecords.map((r): StoredInvoiceRecord => {
    const cell = cellOf(r.invoiceId);
    return {
      storedAtMs: r.storedAtMs,
      record: {
        measureName: INVOICE_MEASURE_NAME,
        timeMs: r.timeMs,
        version: 1,
        dimensions: {
          cell,
          region: 'us-west-1',
          stage: r.stage,
          invoiceId: r.invoiceId,
          eventId: r.eventId,
          vendorId: r.vendorId,
          currency: r.currency,
        },
        measures: {
          status: r.status,
          amountMinor: r.amountMinor.toString(),
          vendorName: vendorNameAt(r.vendorId, r.timeMs, shift(RENAMED_FROM_MS)),
          receivedAtMs: r.receivedAtMs,
          dueDateMs: r.dueDateMs,
          paymentTermsDays: r.paymentTermsDays,
        },
      },
    };
  });
  return { records, rollupRecords };
}
