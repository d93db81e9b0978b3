/**
 * Per-bin histograms for percentiles: values are bucketed with a stated relative precision so a
 * bin stores a few dozen bucket counters instead of every value, and bins merge by adding counts.
 *
 * Buckets (integers; ms of latency, days of payment terms):
 * - `|v| < 100`: exact, one bucket per value (index = v).
 * - `|v| ≥ 100`: two significant digits, bucket = [d·10^k, (d+1)·10^k) with d in 10..99, so a
 *   bucket is at most 10 % of its lower bound wide.
 * - Negative values (a latency when the wall clock stepped back) mirror the positive buckets, so
 *   the index order is the value order over all integers.
 *
 * Because the bucket index is non-decreasing in the value, the bucket holding the exact
 * nearest-rank percentile of a multiset is the bucket {@link percentileFromBuckets} picks from its
 * counts: percentiles merged from histograms pick the same bucket as an exact raw-scan percentile.
 *
 * @example
 * const counts = new Map<number, number>();
 * for (const ms of [3, 120, 125, 4_000]) counts.set(bucketOf(ms), (counts.get(bucketOf(ms)) ?? 0) + 1);
 * percentileFromBuckets(counts, 50); // 120 (the bucket [120, 130) holds the 2nd of 4 values)
 */

/** Values below this are their own bucket. */
export const EXACT_BELOW = 100;
/** Buckets per decade above {@link EXACT_BELOW} (leading two digits 10..99). */
const PER_DECADE = 90;

/** A value a histogram cannot hold (not a safe integer). */
export class HistogramValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistogramValueError';
  }
}

function positiveBucket(value: number): number {
  if (value < EXACT_BELOW) return value;
  // Digits from the decimal string, not log10/division: exact for every safe integer.
  const digits = String(value);
  const k = digits.length - 2;
  const leading = Number(digits.slice(0, 2));
  return EXACT_BELOW + (k - 1) * PER_DECADE + (leading - 10);
}

/**
 * The bucket index of an integer value; non-decreasing in the value. Throws
 * {@link HistogramValueError} for a value that is not a safe integer.
 *
 * @example
 * bucketOf(42); // 42
 * bucketOf(1234); // the bucket [1200, 1300)
 */
export function bucketOf(value: number): number {
  if (!Number.isSafeInteger(value)) {
    throw new HistogramValueError(`histogram value ${String(value)} is not a safe integer`);
  }
  const bucket = value < 0 ? -positiveBucket(-value) : positiveBucket(value);
  // -0 (a latency of "minus zero") is bucket 0, so maps keyed by bucket see one zero.
  return bucket === 0 ? 0 : bucket;
}

/** Lower (inclusive) and upper (exclusive) value bounds of a bucket. */
export interface BucketBounds {
  readonly lower: number;
  readonly upper: number;
}

function positiveBounds(index: number): BucketBounds {
  if (index < EXACT_BELOW) return { lower: index, upper: index + 1 };
  const offset = index - EXACT_BELOW;
  const k = Math.floor(offset / PER_DECADE) + 1;
  const d = (offset % PER_DECADE) + 10;
  const scale = 10 ** k;
  return { lower: d * scale, upper: (d + 1) * scale };
}

/**
 * The integer values a bucket holds: `[lower, upper)`.
 *
 * @example
 * bucketBounds(bucketOf(1234)); // { lower: 1200, upper: 1300 }
 * bucketBounds(bucketOf(7)); // { lower: 7, upper: 8 }
 */
export function bucketBounds(index: number): BucketBounds {
  if (!Number.isSafeInteger(index))
    throw new HistogramValueError(`bucket ${String(index)} is not an integer`);
  if (index >= 0) return positiveBounds(index);
  // Mirror: the positive bucket holds [l, u), so its negative twin holds (-u, -l] = [-u + 1, -l + 1).
  const positive = positiveBounds(-index);
  return { lower: -positive.upper + 1, upper: -positive.lower + 1 };
}

/**
 * The nearest-rank percentile of the values counted in `counts` (bucket → count): the bucket of
 * the value at rank ⌈p·n/100⌉ (in integers `(n·p + 99) / 100`, as the local SQL does), returned as
 * that bucket's lower bound — the value itself below 100, at most 10 % low above (a lower bound
 * never reports a latency the system did not reach). `undefined` when nothing was counted.
 * Counts of zero or below are ignored (a bin where a latest-state change removed its value).
 *
 * @example
 * percentileFromBuckets(new Map([[bucketOf(5), 3], [bucketOf(250), 1]]), 95); // 250
 */
export function percentileFromBuckets(counts: ReadonlyMap<number, number>, p: number): number | undefined {
  const bucket = percentileBucket(counts, p);
  return bucket === undefined ? undefined : bucketBounds(bucket).lower;
}

/**
 * The bucket index {@link percentileFromBuckets} reads its value from.
 *
 * @example
 * percentileBucket(new Map([[bucketOf(5), 3], [bucketOf(250), 1]]), 50); // bucketOf(5)
 */
export function percentileBucket(counts: ReadonlyMap<number, number>, p: number): number | undefined {
  return sortedBuckets(counts).percentile(p);
}

/** A histogram's positive counts in bucket order, for several percentiles of one merge. */
export interface SortedBuckets {
  readonly total: number;
  /** {@link percentileBucket} of the counts this was made from. */
  percentile(p: number): number | undefined;
}

/**
 * Sorts a histogram's counts once, so p50, p95 and p99 of the same merged bins cost one sort.
 *
 * @example
 * const sorted = sortedBuckets(counts);
 * [sorted.percentile(50), sorted.percentile(99)];
 */
export function sortedBuckets(counts: ReadonlyMap<number, number>): SortedBuckets {
  const pairs = [...counts]
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a - b)
    .flat();
  return ascendingBuckets(pairs);
}

/**
 * {@link sortedBuckets} of counts already in its order: flat `[bucket, count, …]` pairs, buckets
 * strictly ascending, every count above zero (a reader that gets them so skips the Map and sort).
 *
 * @example
 * ascendingBuckets([100, 3, 105, 1]).percentile(50); // 100
 */
export function ascendingBuckets(pairs: readonly number[]): SortedBuckets {
  let total = 0;
  for (let i = 1; i < pairs.length; i += 2) total += pairs[i] as number;
  return {
    total,
    percentile(p: number): number | undefined {
      if (!(p > 0 && p <= 100)) throw new HistogramValueError(`percentile ${String(p)} is not in (0, 100]`);
      if (total === 0) return undefined;
      const rank = Math.floor((total * p + 99) / 100);
      let seen = 0;
      for (let i = 0; i < pairs.length; i += 2) {
        seen += pairs[i + 1] as number;
        if (seen >= rank) return pairs[i];
      }
      return pairs[pairs.length - 2];
    },
  };
}
