import { REPORT_CONTENT_TYPES } from '../../../consumers/reports/render-report.js';
import { REPORT_STORED_HEADER } from '../../../schemas/api/index.js';
import type { MonthlyReportDocument, MonthlyReportRequest } from '../backend.js';
import type { LocalCellHttp } from './local-http.js';

/**
 * `GET /reports/{month}?format=…` of a local cell, for `invoice-ops report --local`: the file as
 * the cell answers it (its text, byte for byte), whether it was a stored report (the
 * `x-report-stored` header), or the cell's refusal as an operator error (400 bad month or format,
 * 404 a month not started yet, 401/403 a key of the wrong role).
 *
 * @example
 * const doc = await fetchMonthlyReport(localCellHttp(url, key, 60_000), { month: '2026-10', format: 'csv' });
 */

export async function fetchMonthlyReport(
  cell: Pick<LocalCellHttp, 'http' | 'target'>,
  request: MonthlyReportRequest,
): Promise<MonthlyReportDocument> {
  const contentType = REPORT_CONTENT_TYPES[request.format];
  const { text, headers } = await cell.http.getText(
    `reports/${encodeURIComponent(request.month)}?format=${request.format}`,
    `the ${request.month} report of the ${cell.target}`,
    `${contentType.split(';')[0]}, application/json`,
  );
  return {
    month: request.month,
    format: request.format,
    contentType: headers.get('content-type') ?? contentType,
    body: text,
    stored: headers.get(REPORT_STORED_HEADER) === 'true',
  };
}
