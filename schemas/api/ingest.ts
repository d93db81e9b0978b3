import { type Static, Type } from 'typebox';
import { List } from './common.js';

/**
 * `POST /invoices/{stage}`: the one answer of the ingest API, given alike by the local cell
 * (`cells/local/api/ingest-routes.ts`) and by the AWS cell's API Gateway mapping template
 * (`PUT_EVENTS_RESPONSE_TEMPLATE` of `stacks/ingest-api-templates.ts`), so a producer moves
 * between them without changing code.
 *
 * Shape: `{ failedEntryCount, entries: [{ index, status, busEventId?, errorCode?, errorMessage? }] }`,
 * one entry per posted event in request order. Why this shape:
 * - It is PutEvents' own answer (`FailedEntryCount`, `Entries` index-aligned with the request, each
 *   with `EventId` or `ErrorCode`/`ErrorMessage`), which API Gateway renders without a Lambda.
 * - Entries are keyed by `index` (position in the request), not by the producer's `eventId`: an
 *   integration response template only sees PutEvents' answer (`$input` is the integration
 *   response there), never the posted body, so the AWS cell cannot echo `eventId`. The producer
 *   knows what it posted at each position.
 * - The local cell's extras live inside the shape: `status: 'duplicate'` (same `eventId`, same
 *   content: stored once already, nothing stored again) and `errorCode: 'EventIdConflict'` on a
 *   `failed` entry (same `eventId`, different content). AWS never answers either (idempotency is
 *   enforced downstream there; the API cannot see the archive).
 *
 * Statuses, the same on both cells:
 * - 200 (this body): every entry `accepted` or `duplicate`.
 * - 502 (this body): `failedEntryCount > 0`; the failed entries are listed, the others were stored.
 *   Retry a failed entry unless its `errorCode` is `EventIdConflict`, which no retry can fix (the
 *   event needs a new `eventId` or the original content). A conflict used to be a local-only 409;
 *   it is a 502 entry now because AWS cannot detect it at the API and a producer should have one
 *   rule: "read `failed` entries, decide per `errorCode`".
 * - 503 (an error body `{ message }`): the whole request was not taken, nothing was stored; retry
 *   all of it (local: the engine could not commit, with `Retry-After`; AWS: PutEvents refused the
 *   call, e.g. throttling).
 * - 400/401/403/404/413/415/429 are error bodies as before.
 *
 * @example
 * const answer = (await res.json()) as IngestAnswer;
 * const retry = answer.entries
 *   .filter((e) => e.status === 'failed' && e.errorCode !== INGEST_ERROR_CODES.eventIdConflict)
 *   .map((e) => events[e.index]);
 */

/** Status of an answer with at least one failed entry (the body lists them). */
export const INGEST_PARTIAL_FAILURE_STATUS = 502;
/** Status when the whole request was not taken (nothing stored; retry all of it). */
export const INGEST_UNAVAILABLE_STATUS = 503;

/** `errorCode`s of failed entries that the local cell produces itself. */
export const INGEST_ERROR_CODES = {
  /** The `eventId` was already accepted with different content; a retry cannot fix it. */
  eventIdConflict: 'EventIdConflict',
} as const;

/** What happened to one event: stored now, already stored identically (local only), or refused. */
export const IngestEntryStatusSchema = Type.Union([
  Type.Literal('accepted'),
  Type.Literal('duplicate'),
  Type.Literal('failed'),
]);
/** `accepted` | `duplicate` | `failed`. */
export type IngestEntryStatus = Static<typeof IngestEntryStatusSchema>;

/** One event's result. */
export const IngestEntrySchema = Type.Object({
  /** The event's position in the request (0 for a single event). */
  index: Type.Number(),
  status: IngestEntryStatusSchema,
  /** The bus event id (PutEvents `EventId`; local: of the archived event); absent on `failed`. */
  busEventId: Type.Optional(Type.String()),
  /** Only on `failed`: PutEvents' `ErrorCode`, or `EventIdConflict` (local). */
  errorCode: Type.Optional(Type.String()),
  /** Only on `failed`. */
  errorMessage: Type.Optional(Type.String()),
});
/** One event's result. */
export type IngestEntry = Static<typeof IngestEntrySchema>;

/** The body of a 200 or 502 answer of `POST /invoices/{stage}`. */
export const IngestAnswerSchema = Type.Object({
  failedEntryCount: Type.Number(),
  entries: List(IngestEntrySchema),
});
/** The body of a 200 or 502 answer of `POST /invoices/{stage}`. */
export type IngestAnswer = Static<typeof IngestAnswerSchema>;

/** The status of an answer with this body: 200, or 502 when any entry failed. */
export function ingestAnswerStatus(answer: IngestAnswer): 200 | typeof INGEST_PARTIAL_FAILURE_STATUS {
  return answer.failedEntryCount > 0 ? INGEST_PARTIAL_FAILURE_STATUS : 200;
}
