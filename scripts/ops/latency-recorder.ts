/**
 * Request latencies in log-spaced buckets (5 % wide, 0.1 ms to ~10 min): constant memory however
 * long a load runs, quantiles within 5 %. Enough for a progress line and a summary; the bench
 * measures precisely on its own.
 *
 * @example
 * const latencies = new LatencyRecorder();
 * latencies.record(12.5);
 * latencies.quantile(0.99); // ≈ 12.5
 */
const MIN_MS = 0.1;
const GROWTH = 1.05;
const BUCKETS = Math.ceil(Math.log(600_000 / MIN_MS) / Math.log(GROWTH)) + 1;

export class LatencyRecorder {
  readonly #counts = new Uint32Array(BUCKETS);
  #count = 0;
  #max = 0;

  get count(): number {
    return this.#count;
  }

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const index =
      ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / Math.log(GROWTH)));
    this.#counts[index] = (this.#counts[index] ?? 0) + 1;
    this.#count++;
    this.#max = Math.max(this.#max, ms);
  }

  /** The upper bound of the bucket holding quantile `q` (0..1), capped at the largest value seen; `undefined` when empty. */
  quantile(q: number): number | undefined {
    if (this.#count === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i] ?? 0;
      if (seen >= rank) return Math.min(this.#max, MIN_MS * GROWTH ** i);
    }
    return this.#max;
  }
}
