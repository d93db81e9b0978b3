import { describe, expect, it } from 'vitest';
import { binStartOf } from '../../../dashboards/rollups/bin-start.js';

describe('binStartOf', () => {
  it('floors to the bin width from the epoch', () => {
    expect(binStartOf(Date.UTC(2026, 0, 7, 13, 5, 9), '1h')).toBe(Date.UTC(2026, 0, 7, 13));
    expect(binStartOf(Date.UTC(2026, 0, 7, 13, 7), '5m')).toBe(Date.UTC(2026, 0, 7, 13, 5));
    expect(binStartOf(Date.UTC(2026, 0, 7, 13, 7), '1d')).toBe(Date.UTC(2026, 0, 7));
  });

  it('starts weeks on Monday 00:00 UTC', () => {
    // 2026-01-05 is a Monday; the Sunday before belongs to the previous week.
    expect(binStartOf(Date.UTC(2026, 0, 7, 12), '1w')).toBe(Date.UTC(2026, 0, 5));
    expect(binStartOf(Date.UTC(2026, 0, 5), '1w')).toBe(Date.UTC(2026, 0, 5));
    expect(binStartOf(Date.UTC(2026, 0, 4, 23, 59), '1w')).toBe(Date.UTC(2025, 11, 29));
    expect(new Date(binStartOf(Date.UTC(2026, 5, 18), '1w')).getUTCDay()).toBe(1);
  });
});
