import { describe, expect, it } from 'vitest';
import {
  binForRange,
  binPoints,
  MAX_BIN_POINTS,
  MIN_BIN_POINTS,
} from '../../../dashboards/panels/bin-for-range.js';
import { TIME_BINS, type TimeBin } from '../../../dashboards/panels/panels.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

describe('binForRange', () => {
  it('keeps the declared bin when it gives a readable point count', () => {
    // Act
    const chosen = [binForRange('1h', DAY), binForRange('1m', HOUR), binForRange('1d', 7 * DAY)];

    // Assess
    expect(chosen).toEqual(['1h', '1m', '1d']);
  });

  it('picks a finer bin when the declared one gives too few points', () => {
    // Act
    const hourOverHour = binForRange('1h', HOUR);
    const dayOverQuarterHour = binForRange('1d', 15 * MIN);
    const dayOverDay = binForRange('1d', DAY);

    // Assess
    expect(hourOverHour).toBe('5m');
    expect(dayOverQuarterHour).toBe('1m');
    expect(dayOverDay).toBe('1h');
  });

  it('picks a coarser bin when the declared one gives too many points', () => {
    // Act
    const minuteOverWeek = binForRange('1m', 7 * DAY);
    const minuteOverDay = binForRange('1m', DAY);
    const fiveMinutesOverMonth = binForRange('5m', 30 * DAY);

    // Assess
    expect(minuteOverWeek).toBe('1h');
    expect(minuteOverDay).toBe('5m');
    expect(fiveMinutesOverMonth).toBe('1d');
  });

  it('falls back to the nearest extreme when no bin suits the window', () => {
    // Act
    const tiny = binForRange('1h', 2 * MIN);
    const huge = binForRange('1m', 20 * 365 * DAY);

    // Assess
    expect(tiny).toBe('1m');
    expect(huge).toBe('1w');
  });

  it('keeps the declared bin for an empty or invalid window', () => {
    // Act / Assess
    expect(binForRange('1h', 0)).toBe('1h');
    expect(binForRange('1h', Number.NaN)).toBe('1h');
  });

  it('gives a point count within bounds for every bin and preset range that has one', () => {
    // Prepare
    const ranges = [15 * MIN, HOUR, DAY, 7 * DAY, 90 * DAY];

    // Act
    const counts = (Object.keys(TIME_BINS) as TimeBin[]).flatMap((declared) =>
      ranges.map((windowMs) => binPoints(binForRange(declared, windowMs), windowMs)),
    );

    // Assess
    for (const n of counts) {
      expect(n).toBeGreaterThanOrEqual(MIN_BIN_POINTS);
      expect(n).toBeLessThanOrEqual(MAX_BIN_POINTS);
    }
  });
});

describe('binPoints', () => {
  it('counts started bins, at least one', () => {
    // Act / Assess
    expect(binPoints('5m', HOUR)).toBe(12);
    expect(binPoints('5m', HOUR + 1)).toBe(13);
    expect(binPoints('1d', MIN)).toBe(1);
  });
});
