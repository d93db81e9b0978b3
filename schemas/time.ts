/**
 * Time text as the contract writes it: RFC 3339 date-times with a zone, and epoch ms printed as
 * ISO 8601 UTC. One definition for the local API, the monitoring routes and the ops CLI.
 *
 * @example
 * parseRfc3339Ms('2026-11-20T09:15:00Z'); // 1795166100000
 * parseRfc3339Ms('2026-11-20 09:15');     // undefined
 * isoFromMs(0);                            // '1970-01-01T00:00:00.000Z'
 */

/** `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `T` and `Z` in either case (RFC 3339 §5.6 allows it). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** True when `value` is an RFC 3339 date-time with a zone that denotes a real instant. */
export function isRfc3339(value: string): boolean {
  return parseRfc3339Ms(value) !== undefined;
}

/** Epoch ms of an RFC 3339 date-time with a zone; `undefined` when it is not one. */
export function parseRfc3339Ms(value: string): number | undefined {
  if (!RFC3339.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Epoch ms → `2026-11-20T09:15:00.000Z`. */
export function isoFromMs(ms: number): string {
  return new Date(ms).toISOString();
}
