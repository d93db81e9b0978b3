/**
 * The `q` quantile of ascending-sorted values (nearest rank, lower); NaN when there is none.
 *
 * @example
 * percentile([1, 2, 3, 4], 0.5); // 3
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}
