import { type Static, Type } from 'typebox';
import { List } from './common.js';

/**
 * `POST /invoices/{stage}`: the PutEvents-style answer, one entry per event in request order.
 * 200 when every entry is `accepted` or `duplicate`, 409 (same body) when any entry `failed`.
 *
 * @example
 * const answer = (await res.json()) as IngestAnswer;
 * const refused = answer.entries.filter((e) => e.status === 'failed');
 */

/** What happened to one event: stored now, already stored identically, or refused. */
export const IngestEntryStatusSchema = Type.Union([
  Type.Literal('accepted'),
  Type.Literal('duplicate'),
  Type.Literal('failed'),
]);
/** `accepted` | `duplicate` | `failed`. */
export type IngestEntryStatus = Static<typeof IngestEntryStatusSchema>;

/** One event's result (`EntryResult` of `cells/local/bus/ingest-committer.ts`). */
export const IngestEntrySchema = Type.Object({
  /** The producer's `eventId` (its idempotency key). */
  eventId: Type.String(),
  status: IngestEntryStatusSchema,
  /** The bus event id of the archived event; absent on `failed`. */
  busEventId: Type.Optional(Type.String()),
  /** Only on `failed`, e.g. `EventIdConflict`. */
  errorCode: Type.Optional(Type.String()),
  /** Only on `failed`. */
  errorMessage: Type.Optional(Type.String()),
});
/** One event's result. */
export type IngestEntry = Static<typeof IngestEntrySchema>;

/** The body of a 200 or 409 answer of `POST /invoices/{stage}`. */
export const IngestAnswerSchema = Type.Object({
  failedEntryCount: Type.Number(),
  entries: List(IngestEntrySchema),
});
/** The body of a 200 or 409 answer of `POST /invoices/{stage}`. */
export type IngestAnswer = Static<typeof IngestAnswerSchema>;
