import { type Static, Type } from 'typebox';
import { List } from './common.js';

/**
 * The one error body of the local cell: every 4xx and 5xx answer the cell's error handler, its
 * not-found handler and its plugins send is `{ message, errors? }`.
 *
 * Exception: while the server closes, fastify itself answers 503 with
 * `{"error":"Service Unavailable","message":"Service Unavailable","statusCode":503}` (written raw,
 * not through these schemas); `message` is there too, so a client reading this type still works.
 *
 * @example
 * const body = (await res.json()) as ErrorAnswer;
 * for (const e of body.errors ?? []) console.error(`${e.path} ${e.message}`);
 */

/** One field that failed validation; `path` is a JSON Pointer into the request body. */
export const FieldErrorSchema = Type.Object({
  path: Type.String(),
  message: Type.String(),
});
/** One field that failed validation (`FieldError` of `schemas/index.ts` is this type, read-only). */
export type FieldErrorAnswer = Static<typeof FieldErrorSchema>;

/** `{ message, errors? }`: `errors` only on 400s about the request body's fields. */
export const ErrorAnswerSchema = Type.Object({
  message: Type.String(),
  errors: Type.Optional(List(FieldErrorSchema)),
  /** The AWS cell's API Gateway request id (quote it to support); a local cell logs its own instead. */
  requestId: Type.Optional(Type.String()),
});
/** The error body of every 4xx and 5xx answer. */
export type ErrorAnswer = Static<typeof ErrorAnswerSchema>;
