import { describe, expect, it } from 'vitest';
import {
  bucketBounds,
  bucketOf,
  HistogramValueError,
  percentileBucket,
  percentileFromBuckets,
} from '../../../dashboards/rollups/histogram.js';
import { int, mixSeed, mulberry32, type Random } from '../../../scripts/ops/seeded-random.js';

function nearestRank(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length * p + 99) / 100) - 1] as number;
}

function countsOf(values: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(bucketOf(v), (counts.get(bucketOf(v)) ?? 0) + 1);
  return counts;
}

function randomValue(random: Random): number {
  const decade = int(random, 0, 9);
  const value = int(random, 0, 10 ** decade);
  return random() < 0.05 ? -value : value;
}

describe('bucketOf / bucketBounds', () => {
  it('keeps values below 100 exact', () => {
    for (let v = 0; v < 100; v++) expect(bucketBounds(bucketOf(v))).toEqual({ lower: v, upper: v + 1 });
  });

  it('keeps two significant digits above 100', () => {
    expect(bucketBounds(bucketOf(100))).toEqual({ lower: 100, upper: 110 });
    expect(bucketBounds(bucketOf(1234))).toEqual({ lower: 1200, upper: 1300 });
    expect(bucketBounds(bucketOf(999_999))).toEqual({ lower: 990_000, upper: 1_000_000 });
    expect(bucketOf(1_000_000)).toBe(bucketOf(999_999) + 1);
  });

  it('holds every value in its bucket, at most 10 % above the lower bound, in value order', () => {
    const random = mulberry32(mixSeed(9, 1));
    let previous = Number.NEGATIVE_INFINITY;
    const values = Array.from({ length: 5_000 }, () => randomValue(random)).sort((a, b) => a - b);
    values.push(Number.MAX_SAFE_INTEGER);
    for (const v of values) {
      const { lower, upper } = bucketBounds(bucketOf(v));
      expect(v).toBeGreaterThanOrEqual(lower);
      expect(v).toBeLessThan(upper);
      if (v >= 100) expect((v - lower) / v).toBeLessThanOrEqual(0.1);
      expect(bucketOf(v)).toBeGreaterThanOrEqual(previous);
      previous = bucketOf(v);
    }
  });

  it('mirrors negative values so bucket order stays value order', () => {
    expect(bucketBounds(bucketOf(-5))).toEqual({ lower: -5, upper: -4 });
    expect(bucketBounds(bucketOf(-1234))).toEqual({ lower: -1299, upper: -1199 });
    expect(bucketOf(-1300)).toBeLessThan(bucketOf(-1299));
    expect(bucketOf(-1)).toBeLessThan(bucketOf(0));
  });

  it('refuses a value that is not a safe integer, naming it', () => {
    expect(() => bucketOf(1.5)).toThrow(HistogramValueError);
    expect(() => bucketOf(Number.NaN)).toThrow(/NaN is not a safe integer/);
    expect(() => bucketOf(2 ** 60)).toThrow(HistogramValueError);
  });
});

describe('percentileFromBuckets', () => {
  it('picks the nearest rank ⌈p·n/100⌉ and returns the bucket lower bound', () => {
    const counts = countsOf([3, 120, 125, 4_000]);
    expect(percentileFromBuckets(counts, 50)).toBe(120);
    expect(percentileFromBuckets(counts, 25)).toBe(3);
    expect(percentileFromBuckets(counts, 99)).toBe(4_000);
    expect(percentileFromBuckets(countsOf([7]), 50)).toBe(7);
  });

  it('is undefined for nothing counted and ignores emptied buckets', () => {
    expect(percentileFromBuckets(new Map(), 50)).toBeUndefined();
    expect(percentileFromBuckets(new Map([[bucketOf(5), 0]]), 50)).toBeUndefined();
    expect(
      percentileFromBuckets(
        new Map([
          [bucketOf(5), 0],
          [bucketOf(9), 2],
        ]),
        50,
      ),
    ).toBe(9);
  });

  it('refuses a percentile outside (0, 100]', () => {
    expect(() => percentileFromBuckets(countsOf([1]), 0)).toThrow(/percentile 0 is not in/);
    expect(() => percentileFromBuckets(countsOf([1]), 101)).toThrow(HistogramValueError);
  });

  it('picks the bucket of the exact nearest-rank percentile for random multisets', () => {
    for (let i = 0; i < 400; i++) {
      const random = mulberry32(mixSeed(2026, i));
      const values = Array.from({ length: int(random, 1, 300) }, () => randomValue(random));
      const counts = countsOf(values);
      for (const p of [1, 50, 95, 99, 100]) {
        const exact = nearestRank(values, p);
        expect(percentileBucket(counts, p)).toBe(bucketOf(exact));
        expect(percentileFromBuckets(counts, p)).toBe(bucketBounds(bucketOf(exact)).lower);
      }
    }
  });

  it('merges: adding the counts of two bins gives the percentile of the union', () => {
    const a = [1, 2, 300, 301];
    const b = [5_000, 6_000, 2];
    const merged = countsOf(a);
    for (const [k, n] of countsOf(b)) merged.set(k, (merged.get(k) ?? 0) + n);
    expect(percentileBucket(merged, 95)).toBe(bucketOf(nearestRank([...a, ...b], 95)));
  });
});
