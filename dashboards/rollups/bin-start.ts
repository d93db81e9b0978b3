import { TIME_BINS, type TimeBin } from '../panels/panel-types.js';

/**
 * Where a time bin starts, as the local SQL renderer bins (`dashboards/renderers/local-sql.ts`):
 * `floor(ms / width) * width` from the epoch, except `1w`, which starts on Monday 00:00 UTC (the
 * epoch was a Thursday, so weeks are counted from Monday 1970-01-05).
 *
 * @example
 * binStartOf(Date.UTC(2026, 0, 7, 13, 5), '1h'); // Date.UTC(2026, 0, 7, 13)
 * binStartOf(Date.UTC(2026, 0, 7), '1w'); // Date.UTC(2026, 0, 5) (a Monday)
 */

/** Monday 1970-01-05 00:00 UTC, where week bins start. */
export const WEEK_OFFSET_MS = 4 * 86_400_000;

/**
 * Start of the bin of width `bin` holding `ms` (integer ms; times before 1970 floor too).
 *
 * @example
 * binStartOf(90_000, '1m'); // 60_000
 */
export function binStartOf(ms: number, bin: TimeBin): number {
  const width = TIME_BINS[bin];
  const offset = bin === '1w' ? WEEK_OFFSET_MS : 0;
  return Math.floor((ms - offset) / width) * width + offset;
}
