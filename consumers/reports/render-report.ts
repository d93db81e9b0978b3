import type { MonthlyReport } from './monthly-report.js';
import { reportCsv } from './report-csv.js';
import { reportHtml } from './report-html.js';

/**
 * The three renderings of a monthly report: JSON for machines (the report object itself), CSV for
 * spreadsheets (one row per currency × figure × key), HTML for people (a self-contained page).
 * Pure functions of the built report.
 *
 * @example
 * writeFileSync('2026-10.html', renderReport(report, 'html'));
 * res.type(REPORT_CONTENT_TYPES.csv).send(renderReport(report, 'csv'));
 */

export const REPORT_FORMATS = ['html', 'json', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** `Content-Type` of each rendering (UTF-8 text; CSV per RFC 4180 with its header flag). */
export const REPORT_CONTENT_TYPES: Record<ReportFormat, string> = {
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
};

/** Whether `value` names a rendering (for flags and query strings). */
export function isReportFormat(value: unknown): value is ReportFormat {
  return typeof value === 'string' && (REPORT_FORMATS as readonly string[]).includes(value);
}

/**
 * The report rendered as `format`. Pure.
 *
 * @example
 * renderReport(report, 'json'); // JSON.stringify(report, null, 2)
 */
export function renderReport(report: MonthlyReport, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(report, null, 2);
    case 'csv':
      return reportCsv(report);
    case 'html':
      return reportHtml(report);
  }
}
