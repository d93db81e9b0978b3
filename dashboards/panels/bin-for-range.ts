import { TIME_BINS, type TimeBin } from './panel-types.js';

/**
 * The time bin a chart uses for a window: the panel's declared bin when it gives a readable number
 * of points, otherwise the nearest bin of {@link TIME_BINS} that does. A 1-minute bin over 7 days
 * would draw 10,080 points (a smear); an hourly bin over one hour draws one or two (no trend).
 *
 * The point range is a judgement, not a standard: at least {@link MIN_BIN_POINTS} points show a
 * trend (seven daily bars over a week still read well), at most {@link MAX_BIN_POINTS} fit the
 * width of a dashboard chart (a chart panel is about 400 px wide, so more points than pixels
 * only hide each other).
 *
 * @example
 * binForRange('1h', 3_600_000); // '5m' (12 points instead of 1)
 * binForRange('1m', 7 * 86_400_000); // '1h' (168 points instead of 10,080)
 * binForRange('1h', 86_400_000); // '1h' (24 points: the declared bin suits)
 */

/** Fewest points a binned chart should draw. */
export const MIN_BIN_POINTS = 6;
/** Most points a binned chart should draw. */
export const MAX_BIN_POINTS = 400;

/** The bins from finest to coarsest. */
const ORDERED_BINS = (Object.keys(TIME_BINS) as TimeBin[]).sort((a, b) => TIME_BINS[a] - TIME_BINS[b]);

/**
 * How many bins of `bin` a window of `windowMs` spans (at least one).
 *
 * @example
 * binPoints('5m', 3_600_000); // 12
 */
export function binPoints(bin: TimeBin, windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / TIME_BINS[bin]));
}

function suits(bin: TimeBin, windowMs: number): boolean {
  const points = binPoints(bin, windowMs);
  return points >= MIN_BIN_POINTS && points <= MAX_BIN_POINTS;
}

/**
 * The bin to use for a window of `windowMs`: `declared` when its point count lies within
 * [{@link MIN_BIN_POINTS}, {@link MAX_BIN_POINTS}]; for too many points the finest coarser bin that
 * suits, for too few the coarsest finer bin that suits; when none suits, the coarsest (too many
 * points) or finest (too few) bin there is. Pure.
 *
 * @example
 * binForRange('1d', 15 * 60_000); // '1m'
 */
export function binForRange(declared: TimeBin, windowMs: number): TimeBin {
  if (!(windowMs > 0) || suits(declared, windowMs)) return declared;
  const at = ORDERED_BINS.indexOf(declared);
  const tooMany = binPoints(declared, windowMs) > MAX_BIN_POINTS;
  // Walk away from the declared bin in the direction that fixes the count, nearest bin first.
  const candidates = tooMany ? ORDERED_BINS.slice(at + 1) : ORDERED_BINS.slice(0, at).reverse();
  return candidates.find((bin) => suits(bin, windowMs)) ?? candidates[candidates.length - 1] ?? declared;
}
