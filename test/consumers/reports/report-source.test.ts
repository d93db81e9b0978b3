import { describe, expect, it } from 'vitest';
import type { MonthlyReportData } from '../../../consumers/reports/monthly-report.js';
import { ReportMonthError } from '../../../consumers/reports/report-month.js';
import {
  generateMonthlyReport,
  type MonthlyReportSource,
  type ReportRange,
} from '../../../consumers/reports/report-source.js';
import { reportData } from './support/report-data.js';

/** A source that records the ranges it was asked for and answers fixed data. */
function fakeSource(data: MonthlyReportData = reportData()): MonthlyReportSource & { ranges: ReportRange[] } {
  const ranges: ReportRange[] = [];
  return {
    ranges,
    async readMonth(range) {
      ranges.push(range);
      return data;
    },
  };
}

const at = (iso: string) => Date.parse(iso);

describe('generateMonthlyReport', () => {
  it('reads a finished month up to its end in the zone and builds its report', async () => {
    // Prepare
    const source = fakeSource(
      reportData({ received: [{ vendorId: 'V-1', currency: 'EUR', invoices: 1, minor: 250n }] }),
    );

    // Act
    const report = await generateMonthlyReport(source, {
      month: '2026-10',
      timeZone: 'Europe/Paris',
      cell: 'paris-1',
      nowMs: at('2026-11-01T03:00:00Z'),
      topVendors: 5,
    });

    // Assess
    expect(source.ranges).toEqual([
      {
        month: '2026-10',
        fromMs: at('2026-09-30T22:00:00Z'),
        toMs: at('2026-10-31T23:00:00Z'),
        asOfMs: at('2026-10-31T23:00:00Z'),
      },
    ]);
    expect(report).toMatchObject({
      month: '2026-10',
      timeZone: 'Europe/Paris',
      cell: 'paris-1',
      monthComplete: true,
      topVendors: 5,
      generatedAt: '2026-11-01T03:00:00.000Z',
    });
    expect(report.currencies[0]?.received.value.value).toBe('2.50');
  });

  it('reports the current month so far as of now', async () => {
    // Prepare
    const source = fakeSource();
    const nowMs = at('2026-11-12T10:00:00Z');

    // Act
    const report = await generateMonthlyReport(source, {
      month: '2026-11',
      timeZone: 'UTC',
      cell: 'c',
      nowMs,
    });

    // Assess
    expect(source.ranges[0]?.asOfMs).toBe(nowMs);
    expect(report.monthComplete).toBe(false);
    expect(report.asOf).toBe('2026-11-12T10:00:00.000Z');
  });

  it('refuses a month that starts after now without reading the store', async () => {
    // Prepare
    const source = fakeSource();

    // Act
    const attempt = generateMonthlyReport(source, {
      month: '2026-12',
      timeZone: 'UTC',
      cell: 'c',
      nowMs: at('2026-11-30T23:59:59Z'),
    });

    // Assess
    await expect(attempt).rejects.toThrow(ReportMonthError);
    await expect(attempt).rejects.toThrow(
      'month 2026-12 starts at 2026-12-01T00:00:00.000Z (UTC), after now (2026-11-30T23:59:59.000Z): there is nothing to report yet',
    );
    expect(source.ranges).toEqual([]);
  });

  it('refuses a bad month or zone naming the value', async () => {
    // Prepare
    const source = fakeSource();
    const options = { timeZone: 'UTC', cell: 'c', nowMs: at('2026-11-01T00:00:00Z') };

    // Act + Assess
    await expect(generateMonthlyReport(source, { ...options, month: '2026-13' })).rejects.toThrow(
      'month must be YYYY-MM like 2026-10, got "2026-13"',
    );
    await expect(
      generateMonthlyReport(source, { ...options, month: '2026-10', timeZone: 'Paris' }),
    ).rejects.toThrow('timeZone must be an IANA time zone like UTC or Europe/Paris, got "Paris"');
    expect(source.ranges).toEqual([]);
  });
});
