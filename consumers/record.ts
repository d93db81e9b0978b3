import type { StageName } from '../cells/topology.js';
import { toMinorUnits } from '../schemas/money.js';
import type { StageMessage } from '../schemas/types.js';

/**
 * One multi-measure time-series record per event (DESIGN §5). The record is a pure function of
 * the stage message: no wall clock, no random, so a retry, redrive or archive replay writes the
 * identical record, which the store treats as a no-op.
 *
 * Identity = dimensions + time + measure name. `eventId` is a dimension (not only a measure) so
 * that identity is unique per event even when two events of one invoice share an `occurredAt`.
 *
 * Processing time and ingest-to-store latency are *not* measures: they depend on the wall clock
 * when the processor runs and would make replays write a different record. They are emitted as
 * metrics (EMF on AWS) and, in the local store, kept beside the record as first-write metadata.
 *
 * @example
 * const record = toInvoiceRecord(message, { cell: 'us-east-1', region: 'us-east-1' });
 */
export interface InvoiceRecord {
  /** Multi-measure record name; constant so identity depends only on dimensions and time. */
  readonly measureName: typeof INVOICE_MEASURE_NAME;
  /** `occurredAt` in epoch milliseconds (the record time). */
  readonly timeMs: number;
  /** Constant: identical records are no-ops, a changed record for the same identity is refused. */
  readonly version: 1;
  readonly dimensions: {
    readonly cell: string;
    readonly region: string;
    readonly stage: StageName;
    readonly invoiceId: string;
    readonly eventId: string;
    readonly vendorId: string;
    readonly currency: string;
  };
  readonly measures: {
    readonly status: string;
    /** Integer minor units as a decimal string (BIGINT in the store); never a float. */
    readonly amountMinor: string;
    readonly vendorName: string;
    /** Epoch ms at which the API accepted the event. */
    readonly receivedAtMs: number;
    /** Due date at 00:00 UTC in epoch ms, when the event carries payment terms. */
    readonly dueDateMs: number | null;
    readonly paymentTermsDays: number | null;
  };
}

export const INVOICE_MEASURE_NAME = 'invoice_event' as const;

/** Where the record is written; part of every record's dimensions. */
export interface CellIdentity {
  readonly cell: string;
  readonly region: string;
}

export class RecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordError';
  }
}

function parseTimeMs(value: string, field: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RecordError(`${field} "${value}" is not a valid RFC 3339 time`);
  return ms;
}

/** Maps a stage message to its record. Pure and deterministic; throws {@link RecordError}. */
export function toInvoiceRecord(message: StageMessage, cell: CellIdentity): InvoiceRecord {
  const { event, stage } = message;
  const terms = event.paymentTerms;
  return {
    measureName: INVOICE_MEASURE_NAME,
    timeMs: parseTimeMs(event.occurredAt, 'occurredAt'),
    version: 1,
    dimensions: {
      cell: cell.cell,
      region: cell.region,
      stage,
      invoiceId: event.invoiceId,
      eventId: event.eventId,
      vendorId: event.vendor.id,
      currency: event.amount.currency,
    },
    measures: {
      status: event.status,
      amountMinor: toMinorUnits(event.amount.value, event.amount.currency).toString(),
      vendorName: event.vendor.name,
      receivedAtMs: message.receivedAtMs,
      dueDateMs: terms ? parseTimeMs(`${terms.dueDate}T00:00:00Z`, 'paymentTerms.dueDate') : null,
      paymentTermsDays: terms ? terms.netDays : null,
    },
  };
}
