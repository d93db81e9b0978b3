import type { BusinessTimeWindow } from '../cells/business-time.js';
import { isoFromMs, parseRfc3339Ms } from './time.js';

/**
 * The business-time rule the JSON Schema cannot state: `occurredAt` must lie in the cell's window
 * around the time the cell received the event (`cells/business-time.ts`). The local API checks it
 * against the cell's clock, the processors against the message's `receivedAtMs`.
 *
 * @example
 * businessTimeProblem('9999-01-01T00:00:00Z', Date.parse('2026-11-29T20:40:00Z'), window);
 * // 'must be between 2021-11-30T20:40:00.000Z and 2026-11-29T20:45:00.000Z (at most 300 s ahead of …)'
 */

/** What the check compares with: the window and the time the cell received the event. */
export interface BusinessTimeCheck {
  readonly window: BusinessTimeWindow;
  /** Epoch ms the cell received the event: the API's clock at the request, or `receivedAtMs`. */
  readonly referenceMs: number;
}

/**
 * Why `occurredAt` is outside the window, naming the window in RFC 3339 UTC; `undefined` when it is
 * inside (both bounds included). Pure.
 */
export function businessTimeProblem(
  occurredAt: string,
  referenceMs: number,
  window: BusinessTimeWindow,
): string | undefined {
  const ms = parseRfc3339Ms(occurredAt);
  if (ms === undefined) return 'must be an RFC 3339 date-time with a time zone';
  const earliest = referenceMs - window.maxAgeMs;
  const latest = referenceMs + window.maxFutureSkewMs;
  if (ms >= earliest && ms <= latest) return undefined;
  const skewSec = window.maxFutureSkewMs / 1000;
  const ageDays = window.maxAgeMs / 86_400_000;
  return (
    `must be between ${isoFromMs(earliest)} and ${isoFromMs(latest)} ` +
    `(at most ${skewSec} s ahead of the time the cell received it, at most ${ageDays} days old)`
  );
}
