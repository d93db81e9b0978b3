import { describe, expect, it } from 'vitest';
import {
  MonthlyReportEventError,
  reportMonthOf,
  reportNotice,
  reportObjectKey,
  s3ConsoleUrl,
} from '../../../../consumers/aws/lambda/monthly-report-notice.js';

const NOW = Date.parse('2026-11-15T12:00:00Z');

describe('reportMonthOf', () => {
  it("reports the month before the scheduled time in the cell's zone, not before the delivery time", () => {
    // 00:10 on 1 December in Paris is still 30 November in UTC.
    expect(reportMonthOf({ scheduledTime: '2026-11-30T23:10:00Z' }, 'Europe/Paris', NOW)).toEqual({
      month: '2026-11',
      reason: 'scheduled',
    });
    expect(reportMonthOf({ scheduledTime: '2026-11-30T23:10:00Z' }, 'UTC', NOW).month).toBe('2026-10');
  });

  it('takes an explicit month over the scheduled time, and the month before now without either', () => {
    expect(reportMonthOf({ month: '2025-02', scheduledTime: '2026-11-01T00:00:00Z' }, 'UTC', NOW)).toEqual({
      month: '2025-02',
      reason: 'requested',
    });
    expect(reportMonthOf(undefined, 'UTC', NOW)).toEqual({ month: '2026-10', reason: 'scheduled' });
    expect(reportMonthOf(null, 'UTC', Date.parse('2027-01-01T01:10:00Z')).month).toBe('2026-12');
  });

  it('refuses a month or scheduled time it cannot read, naming the field', () => {
    expect(() => reportMonthOf({ month: '2026-1' }, 'UTC', NOW)).toThrow(MonthlyReportEventError);
    expect(() => reportMonthOf({ scheduledTime: 1_700_000_000_000 }, 'UTC', NOW)).toThrow(
      'event scheduledTime must be an RFC 3339 time like 2026-11-01T00:05:00Z, got 1700000000000',
    );
  });
});

describe('reportObjectKey', () => {
  it('puts every rendering of a month under reports/', () => {
    expect(reportObjectKey('2026-10', 'csv')).toBe('reports/2026-10.csv');
  });
});

describe('reportNotice', () => {
  const input = {
    cell: 'eu-west-1',
    region: 'eu-west-1',
    bucket: 'cell-reports',
    report: {
      month: '2026-11',
      timeZone: 'Europe/Paris',
      generatedAt: '2026-11-20T10:00:00.000Z',
      monthComplete: false,
      asOf: '2026-11-20T10:00:00.000Z',
    },
    reason: 'requested' as const,
    objects: [
      {
        key: 'reports/2026-11.html',
        uri: 's3://cell-reports/reports/2026-11.html',
        bytes: 10,
        format: 'html',
      },
    ],
  };

  it('says a month so far is not over, and links each object in the console of its region', () => {
    // Act
    const notice = reportNotice(input);

    // Assess
    expect(notice.subject).toBe('Invoice cell eu-west-1: monthly report 2026-11 was built again');
    expect(notice.message.split('\n')).toEqual([
      'The monthly report of invoice cell eu-west-1 for 2026-11 (calendar month in Europe/Paris) was built again.',
      'Generated at 2026-11-20T10:00:00.000Z. The month is not over: this is the month so far, as of 2026-11-20T10:00:00.000Z.',
      '',
      'Open it in the AWS console (sign-in with access to the report bucket required):',
      '  HTML: https://s3.console.aws.amazon.com/s3/object/cell-reports?region=eu-west-1&prefix=reports%2F2026-11.html',
      '',
      'Objects:',
      '  s3://cell-reports/reports/2026-11.html',
      '',
      'This message carries no figures; they are in the report.',
    ]);
  });

  it('keeps the subject within the 100 characters SNS allows', () => {
    expect(reportNotice({ ...input, cell: 'c'.repeat(120) }).subject).toHaveLength(100);
  });
});

describe('s3ConsoleUrl', () => {
  it('encodes the key as a query value', () => {
    expect(s3ConsoleUrl('b', 'reports/a b.html', 'us-east-2')).toBe(
      'https://s3.console.aws.amazon.com/s3/object/b?region=us-east-2&prefix=reports%2Fa+b.html',
    );
  });
});
