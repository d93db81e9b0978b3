import type { ErrorAnswer } from '../../../schemas/api/index.js';

/**
 * Small helpers of the local backend: optional fields of the CLI's own reports, and the message of
 * an error answer. (The answers themselves are read through the HTTP contract: `contract-answer.ts`.)
 *
 * @example
 * const entry = { eventId, ...optional('errorCode', answer.errorCode) };
 */

/** `{ [key]: value }`, or `{}` when the value is absent: spreads into an object with optional fields. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * The `message` of an error answer (`ErrorAnswer`), else the body as JSON: a failing answer may
 * come from something other than the cell (a proxy's page), and the operator should still see it.
 */
export function messageOf(body: unknown): string {
  const message = (body as Partial<ErrorAnswer> | null | undefined)?.message;
  return typeof message === 'string' ? message : JSON.stringify(body);
}
