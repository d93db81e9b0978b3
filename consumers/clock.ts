/**
 * The only source of time of the local cell and the stores: queues, dedup windows, visibility
 * timeouts and stored-at stamps (the local cell's and `PostgresStore`'s) read it, so unit tests can
 * move time by hand instead of sleeping.
 *
 * @example
 * const clock = new ManualClock(Date.parse('2026-11-20T09:00:00Z'));
 * clock.advance(301_000); // past the 5-minute dedup window
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** The wall clock. */
export const SYSTEM_CLOCK: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; for tests. */
export class ManualClock implements Clock {
  #nowMs: number;

  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  advance(ms: number): void {
    this.#nowMs += ms;
  }

  set(ms: number): void {
    this.#nowMs = ms;
  }
}
