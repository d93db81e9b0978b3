import { describe, expect, it } from 'vitest';
import { binStartOf, splitByCurrency, toSeries } from '../../../dashboards/web/series.js';

const MIN = 60_000;
const HOUR = 3_600_000;
/** Monday 2026-11-16 00:00 UTC. */
const MONDAY = Date.parse('2026-11-16T00:00:00Z');

describe('splitByCurrency', () => {
  it('puts each currency in its own group, codes in alphabetical order', () => {
    // Prepare
    const rows = [
      { currency: 'USD', value: '1.00' },
      { currency: 'JPY', value: '2000000' },
      { currency: 'USD', value: '2.00' },
      { currency: 'KWD', value: '1.234' },
    ];

    // Act
    const groups = splitByCurrency(rows);

    // Assess
    expect(groups.map(([code, own]) => [code, own.length])).toEqual([
      ['JPY', 1],
      ['KWD', 1],
      ['USD', 2],
    ]);
  });
});

describe('toSeries', () => {
  it('covers every bin of the window when the answer names its bin width', () => {
    // Prepare: events only in the last 5 minutes of an hour of 5-minute bins.
    const rows = [{ binStartMs: MONDAY + 55 * MIN, stage: 'ingestion', value: 2 }];

    // Act
    const series = toSeries(rows, {
      spanMs: HOUR,
      fillBins: true,
      zeroFill: true,
      binMs: 5 * MIN,
      window: { fromMs: MONDAY, toMs: MONDAY + HOUR },
    });

    // Assess
    expect(series.labels).toHaveLength(12);
    expect(series.datasets[0]?.data).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
  });

  it('keeps the exact decimal strings and the currency of a money series', () => {
    // Prepare
    const rows = [
      { binStartMs: MONDAY, currency: 'KWD', value: '1234.567' },
      { binStartMs: MONDAY + HOUR, currency: 'KWD', value: '0.001' },
    ];

    // Act
    const series = toSeries(rows, {
      spanMs: 2 * HOUR,
      fillBins: true,
      zeroFill: false,
      omitFromLabels: ['currency'],
    });

    // Assess
    expect(series.datasets).toEqual([
      { label: 'KWD', currency: 'KWD', data: [1234.567, 0.001], exact: ['1234.567', '0.001'] },
    ]);
  });

  it('labels payment terms with their unit', () => {
    // Act
    const series = toSeries([{ paymentTermsDays: 30, value: 4 }], {
      spanMs: 0,
      fillBins: false,
      zeroFill: true,
    });

    // Assess
    expect(series.labels).toEqual(['30 days']);
  });
});

describe('binStartOf', () => {
  it('starts week bins on Monday 00:00 UTC and other bins on their width', () => {
    // Act / Assess
    expect(binStartOf(MONDAY + 3 * 86_400_000, 604_800_000)).toBe(MONDAY);
    expect(binStartOf(MONDAY + 7 * MIN + 5, 5 * MIN)).toBe(MONDAY + 5 * MIN);
  });
});
