import { describe, expect, it } from 'vitest';
import { categoryAxisTitle, timeAxisTitle, valueAxisTitle } from '../../../dashboards/web/axis-titles.js';

const HOUR = 3_600_000;

describe('valueAxisTitle', () => {
  it('names totals per time bin, money by its one currency', () => {
    // Act / Assess
    expect(valueAxisTitle('events', { binMs: HOUR })).toBe('events per hour');
    expect(valueAxisTitle('events/min', { binMs: 300_000 })).toBe('events per 5 minutes');
    expect(valueAxisTitle('money', { currency: 'JPY', binMs: 86_400_000 })).toBe('JPY per day');
    expect(valueAxisTitle('money', { currency: 'KWD' })).toBe('KWD');
    expect(valueAxisTitle('count')).toBe('count');
  });

  it('keeps the unit of values that are not totals per bin', () => {
    // Act / Assess
    expect(valueAxisTitle('ms', { binMs: 300_000 })).toBe('milliseconds');
    expect(valueAxisTitle('%')).toBe('percent');
    expect(valueAxisTitle('s')).toBe('seconds');
    expect(valueAxisTitle('events/min')).toBe('events per minute');
  });
});

describe('timeAxisTitle', () => {
  it('names the bin width, or that the axis is live', () => {
    // Act / Assess
    expect(timeAxisTitle({ binMs: 300_000 })).toBe('time (5 min bins)');
    expect(timeAxisTitle({ binMs: 604_800_000 })).toBe('time (1 week bins)');
    expect(timeAxisTitle({ liveEverySec: 5 })).toBe('time (live, every 5 s)');
    expect(timeAxisTitle({})).toBe('time');
  });
});

describe('categoryAxisTitle', () => {
  it('names the group field in words', () => {
    // Act / Assess
    expect(categoryAxisTitle('paymentTermsDays')).toBe('payment terms (days)');
    expect(categoryAxisTitle('vendorId')).toBe('vendor');
    expect(categoryAxisTitle('stage')).toBe('stage');
  });
});
