/**
 * Exponential backoff with full jitter, the scheme AWS recommends (AWS Architecture Blog,
 * "Exponential Backoff And Jitter": sleep = random_between(0, min(cap, base · 2^attempt))): the
 * one formula behind the cell's retry loops (subscriber pushes, the report webhook, Data API
 * statements). `p-retry` (the processor's store retries) owns its loop; these loops are custom
 * because they stop on a signal or keep a delivery's receive count, so they share only this.
 */

/** The delay bounds: the first retry waits under `baseMs`, no retry waits `capMs` or more. */
export interface BackoffBounds {
  readonly baseMs: number;
  readonly capMs: number;
}

/**
 * Milliseconds to wait before retry `retry` (1-based): uniform in `[0, min(capMs, baseMs · 2^(retry − 1)))`.
 * Pure given `random`.
 *
 * @example
 * fullJitterMs({ baseMs: 100, capMs: 500 }, 3, () => 0.5); // 200 (half of min(500, 400))
 */
export function fullJitterMs(
  bounds: BackoffBounds,
  retry: number,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * Math.min(bounds.capMs, bounds.baseMs * 2 ** (retry - 1)));
}
