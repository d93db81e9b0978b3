import { type Static, Type } from 'typebox';
import { EpochMsSchema, IsoTimeSchema, List, Nullable, StageNameSchema } from './common.js';

/**
 * `GET /invoices/{invoiceId}`: the invoice's stored timeline in lifecycle order, each entry with
 * its presentation fields and the full stored record (`InvoiceRecord` of `consumers/record.ts`).
 *
 * @example
 * const answer = (await res.json()) as TimelineAnswer;
 * for (const t of answer.timeline) console.log(t.stage, t.status, `${t.amount.value} ${t.amount.currency}`);
 */

/**
 * The stored time-series record, exactly (`InvoiceRecord`): its shape is fixed, so nothing in it
 * is open.
 */
export const InvoiceRecordSchema = Type.Object({
  measureName: Type.Literal('invoice_event'),
  /** `occurredAt` in epoch ms (the record time). */
  timeMs: EpochMsSchema,
  version: Type.Literal(1),
  dimensions: Type.Object({
    cell: Type.String(),
    region: Type.String(),
    stage: StageNameSchema,
    invoiceId: Type.String(),
    eventId: Type.String(),
    vendorId: Type.String(),
    currency: Type.String(),
  }),
  measures: Type.Object({
    status: Type.String(),
    /** Integer minor units as a decimal string; never a float. */
    amountMinor: Type.String(),
    vendorName: Type.String(),
    receivedAtMs: EpochMsSchema,
    /** Due date at 00:00 UTC, when the event carries payment terms. */
    dueDateMs: Nullable(EpochMsSchema),
    paymentTermsDays: Nullable(Type.Number()),
  }),
});
/** The stored time-series record of one event. */
export type InvoiceRecordAnswer = Static<typeof InvoiceRecordSchema>;

/** Money as presented: a decimal string in the currency's minor-unit exponent, e.g. `'1234.50'`. */
export const MoneySchema = Type.Object({
  value: Type.String(),
  currency: Type.String(),
});
/** Money as presented. */
export type MoneyAnswer = Static<typeof MoneySchema>;

/** One stored event of the invoice. */
export const TimelineEntrySchema = Type.Object({
  stage: StageNameSchema,
  eventId: Type.String(),
  status: Type.String(),
  occurredAt: IsoTimeSchema,
  amount: MoneySchema,
  /** When the API accepted the event. */
  receivedAtMs: EpochMsSchema,
  /** When the record was first written (store metadata, not part of the record). */
  storedAtMs: EpochMsSchema,
  /** Insertion sequence of the store. */
  storeSeq: Type.Number(),
  record: InvoiceRecordSchema,
});
/** One stored event of the invoice. */
export type TimelineEntry = Static<typeof TimelineEntrySchema>;

/** The body of a 200 answer of `GET /invoices/{invoiceId}` (404 when nothing is stored). */
export const TimelineAnswerSchema = Type.Object({
  invoiceId: Type.String(),
  count: Type.Number(),
  timeline: List(TimelineEntrySchema),
});
/** The body of a 200 answer of `GET /invoices/{invoiceId}`. */
export type TimelineAnswer = Static<typeof TimelineAnswerSchema>;
