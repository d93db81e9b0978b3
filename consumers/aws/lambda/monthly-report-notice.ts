import { parseRfc3339Ms } from '../../../schemas/time.js';
import type { MonthlyReport } from '../../reports/monthly-report.js';
import type { ReportFormat } from '../../reports/render-report.js';
import { parseReportMonth, previousMonth } from '../../reports/report-month.js';
import type { WrittenObject } from '../s3-object-writer.js';

/**
 * The plain parts of the monthly report job around the report itself: which month an event asks
 * for ({@link reportMonthOf}), where each rendering is written ({@link reportObjectKey}) and the
 * notice the report topic gets ({@link reportNotice}: where the report is, never what it says).
 * Pure (the CDK stack imports the key prefix from here).
 *
 * @example
 * reportMonthOf({ scheduledTime: '2026-11-01T00:05:00Z' }, 'UTC', Date.now()); // { month: '2026-10', reason: 'scheduled' }
 */

/** Where a month's renderings are: `reports/<YYYY-MM>.<format>`. */
export const REPORT_KEY_PREFIX = 'reports/';

/**
 * The object key of one rendering of a month. Pure.
 *
 * @example
 * reportObjectKey('2026-10', 'html'); // 'reports/2026-10.html'
 */
export function reportObjectKey(month: string, format: ReportFormat): string {
  return `${REPORT_KEY_PREFIX}${month}.${format}`;
}

/** The job's event: Scheduler's `{ scheduledTime }`, an operator's `{ month }`, or `{}`. */
export interface MonthlyReportEvent {
  /** Rebuild this month (`YYYY-MM`). */
  readonly month?: unknown;
  /** `<aws.scheduler.scheduled-time>`: the month before this instant (in the zone) is reported. */
  readonly scheduledTime?: unknown;
}

/** An event that names no usable month; says which field and why. */
export class MonthlyReportEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MonthlyReportEventError';
  }
}

/**
 * The month an event asks for: `month` as given (checked), else the month before `scheduledTime`,
 * else the month before `nowMs`, in `timeZone`. Throws {@link MonthlyReportEventError} naming the
 * field. Pure.
 *
 * @example
 * reportMonthOf({ month: '2026-10' }, 'UTC', nowMs); // { month: '2026-10', reason: 'requested' }
 */
export function reportMonthOf(
  event: MonthlyReportEvent | null | undefined,
  timeZone: string,
  nowMs: number,
): { readonly month: string; readonly reason: 'scheduled' | 'requested' } {
  const { month, scheduledTime } = event ?? {};
  if (month !== undefined) {
    if (typeof month !== 'string') {
      throw new MonthlyReportEventError(
        `event month must be a YYYY-MM text like 2026-10, got ${JSON.stringify(month)}`,
      );
    }
    try {
      return { month: parseReportMonth(month), reason: 'requested' };
    } catch (error) {
      throw new MonthlyReportEventError(`event ${(error as Error).message}`);
    }
  }
  if (scheduledTime !== undefined) {
    const ms = typeof scheduledTime === 'string' ? parseRfc3339Ms(scheduledTime) : undefined;
    if (ms === undefined) {
      throw new MonthlyReportEventError(
        `event scheduledTime must be an RFC 3339 time like 2026-11-01T00:05:00Z, got ${JSON.stringify(scheduledTime)}`,
      );
    }
    return { month: previousMonth(ms, timeZone), reason: 'scheduled' };
  }
  return { month: previousMonth(nowMs, timeZone), reason: 'scheduled' };
}

/** The S3 console page of one object (the reader signs in; the link itself grants nothing). */
export function s3ConsoleUrl(bucket: string, key: string, region: string): string {
  const query = new URLSearchParams({ region, prefix: key });
  return `https://s3.console.aws.amazon.com/s3/object/${encodeURIComponent(bucket)}?${query.toString()}`;
}

export interface ReportNoticeInput {
  readonly cell: string;
  readonly region: string;
  readonly bucket: string;
  readonly report: Pick<MonthlyReport, 'month' | 'timeZone' | 'generatedAt' | 'monthComplete' | 'asOf'>;
  readonly reason: 'scheduled' | 'requested';
  readonly objects: readonly (WrittenObject & { readonly format: string })[];
}

/** SNS allows subjects of up to 100 characters (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). */
const MAX_SUBJECT = 100;

/**
 * Subject and text of the "report ready" message: the month, the cell, when it was made, and where
 * each rendering is (S3 URI and console link). It takes only the report's identity fields, so no
 * figure can reach a mailbox. Pure.
 *
 * @example
 * reportNotice({ cell: 'us-east-1', region: 'us-east-1', bucket, report, reason: 'scheduled', objects }).subject;
 * // 'Invoice cell us-east-1: monthly report 2026-10 is ready'
 */
export function reportNotice(input: ReportNoticeInput): {
  readonly subject: string;
  readonly message: string;
} {
  const { report, cell } = input;
  const verb = input.reason === 'requested' ? 'was built again' : 'is ready';
  const subject = `Invoice cell ${cell}: monthly report ${report.month} ${verb}`.slice(0, MAX_SUBJECT);
  const scope = report.monthComplete
    ? 'The month is complete.'
    : `The month is not over: this is the month so far, as of ${report.asOf}.`;
  const lines = [
    `The monthly report of invoice cell ${cell} for ${report.month} (calendar month in ${report.timeZone}) ${verb}.`,
    `Generated at ${report.generatedAt}. ${scope}`,
    '',
    'Open it in the AWS console (sign-in with access to the report bucket required):',
    ...input.objects.map(
      (o) => `  ${o.format.toUpperCase()}: ${s3ConsoleUrl(input.bucket, o.key, input.region)}`,
    ),
    '',
    'Objects:',
    ...input.objects.map((o) => `  ${o.uri}`),
    '',
    'This message carries no figures; they are in the report.',
  ];
  return { subject, message: lines.join('\n') };
}
