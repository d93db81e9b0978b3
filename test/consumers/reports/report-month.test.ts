import { describe, expect, it } from 'vitest';
import {
  monthOf,
  monthRange,
  nextMonthStartMs,
  parseReportMonth,
  previousMonth,
  ReportMonthError,
} from '../../../consumers/reports/report-month.js';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('parseReportMonth', () => {
  it('returns a YYYY-MM month as it is', () => {
    // Act + Assess
    expect(parseReportMonth('2026-10')).toBe('2026-10');
    expect(parseReportMonth('1970-01')).toBe('1970-01');
    expect(parseReportMonth('2027-12')).toBe('2027-12');
  });

  it.each([['2026-13'], ['2026-00'], ['2026-1'], ['26-10'], [' 2026-10'], ['2026-10-01'], ['2026/10'], ['']])(
    'refuses %j naming the value and the expected form',
    (text) => {
      // Act + Assess
      expect(() => parseReportMonth(text)).toThrow(ReportMonthError);
      expect(() => parseReportMonth(text)).toThrow(
        `month must be YYYY-MM like 2026-10, got ${JSON.stringify(text)}`,
      );
    },
  );

  it('refuses a year before epoch time with the allowed range', () => {
    // Act + Assess
    expect(() => parseReportMonth('1969-12')).toThrow(
      'month must be YYYY-MM like 2026-10 with a year from 1970 to 9999, got "1969-12"',
    );
  });

  it('sets the error name', () => {
    // Act
    const error = (() => {
      try {
        parseReportMonth('x');
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();

    // Assess
    expect(error?.name).toBe('ReportMonthError');
  });
});

describe('monthRange', () => {
  it('gives the UTC month as [first day 00:00, next first day 00:00)', () => {
    // Act
    const range = monthRange('2026-10', 'UTC');

    // Assess
    expect(range).toEqual({ fromMs: at('2026-10-01T00:00:00Z'), toMs: at('2026-11-01T00:00:00Z') });
  });

  it('runs from December into January of the next year', () => {
    // Act + Assess
    expect(monthRange('2026-12', 'UTC')).toEqual({
      fromMs: at('2026-12-01T00:00:00Z'),
      toMs: at('2027-01-01T00:00:00Z'),
    });
    expect(monthRange('2026-12', 'Europe/Paris')).toEqual({
      fromMs: at('2026-11-30T23:00:00Z'),
      toMs: at('2026-12-31T23:00:00Z'),
    });
  });

  it('takes Paris months in local time across the October DST change (31 days and one hour)', () => {
    // Act
    const october = monthRange('2026-10', 'Europe/Paris');

    // Assess: starts at 00:00 CEST (+02:00), ends at 00:00 CET (+01:00)
    expect(october).toEqual({ fromMs: at('2026-09-30T22:00:00Z'), toMs: at('2026-10-31T23:00:00Z') });
    expect(october.toMs - october.fromMs).toBe(31 * DAY + HOUR);
  });

  it('takes the Paris March with its spring-forward hour missing', () => {
    // Act
    const march = monthRange('2026-03', 'Europe/Paris');

    // Assess
    expect(march).toEqual({ fromMs: at('2026-02-28T23:00:00Z'), toMs: at('2026-03-31T22:00:00Z') });
    expect(march.toMs - march.fromMs).toBe(31 * DAY - HOUR);
  });

  it('keeps the half-hour offset of Asia/Kolkata (+05:30)', () => {
    // Act + Assess
    expect(monthRange('2026-10', 'Asia/Kolkata')).toEqual({
      fromMs: at('2026-09-30T18:30:00Z'),
      toMs: at('2026-10-31T18:30:00Z'),
    });
  });

  it('starts a month whose midnight is skipped by DST at the end of the gap', () => {
    // Prepare: Paraguay moved clocks from 00:00 to 01:00 on Sunday 2017-10-01.
    // Act
    const range = monthRange('2017-10', 'America/Asuncion');

    // Assess: 01:00 -03:00 is the first instant of the day
    expect(range.fromMs).toBe(at('2017-10-01T01:00:00-03:00'));
    expect(monthRange('2017-09', 'America/Asuncion').toMs).toBe(range.fromMs);
  });

  it('refuses a bad month or an unknown time zone naming the value', () => {
    // Act + Assess
    expect(() => monthRange('2026-13', 'UTC')).toThrow('month must be YYYY-MM like 2026-10, got "2026-13"');
    expect(() => monthRange('2026-10', 'Mars/Olympus')).toThrow(ReportMonthError);
    expect(() => monthRange('2026-10', 'Mars/Olympus')).toThrow(
      'timeZone must be an IANA time zone like UTC or Europe/Paris, got "Mars/Olympus"',
    );
  });
});

describe('monthOf and previousMonth', () => {
  it('read the month in the zone, not in UTC', () => {
    // Prepare: 23:30 UTC on 31 December is already January in Paris and Kolkata
    const nowMs = at('2026-12-31T23:30:00Z');

    // Act + Assess
    expect(monthOf(nowMs, 'UTC')).toBe('2026-12');
    expect(monthOf(nowMs, 'Europe/Paris')).toBe('2027-01');
    expect(monthOf(nowMs, 'Asia/Kolkata')).toBe('2027-01');
    expect(previousMonth(nowMs, 'UTC')).toBe('2026-11');
    expect(previousMonth(nowMs, 'Europe/Paris')).toBe('2026-12');
  });

  it('goes back from January to the December of the year before', () => {
    // Act + Assess
    expect(previousMonth(at('2027-01-01T05:00:00Z'), 'UTC')).toBe('2026-12');
    expect(previousMonth(at('2026-10-01T00:00:00+05:30'), 'Asia/Kolkata')).toBe('2026-09');
  });

  it('refuses an unknown time zone', () => {
    // Act + Assess
    expect(() => monthOf(0, 'Nowhere/City')).toThrow(ReportMonthError);
    expect(() => previousMonth(0, '')).toThrow('timeZone must be an IANA time zone');
  });
});

describe('nextMonthStartMs', () => {
  it('gives the next first of the month 00:00 in the zone', () => {
    // Act + Assess
    expect(nextMonthStartMs(at('2026-10-15T12:00:00Z'), 'Asia/Kolkata')).toBe(at('2026-10-31T18:30:00Z'));
    expect(nextMonthStartMs(at('2026-12-15T00:00:00Z'), 'Europe/Paris')).toBe(at('2026-12-31T23:00:00Z'));
    expect(nextMonthStartMs(at('2026-12-31T23:59:59Z'), 'UTC')).toBe(at('2027-01-01T00:00:00Z'));
  });

  it('is strictly after now at a month start', () => {
    // Prepare
    const start = at('2026-11-01T00:00:00Z');

    // Act + Assess
    expect(nextMonthStartMs(start, 'UTC')).toBe(at('2026-12-01T00:00:00Z'));
    expect(nextMonthStartMs(start - 1, 'UTC')).toBe(start);
  });
});
