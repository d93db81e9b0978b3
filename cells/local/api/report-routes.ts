import type { FastifyInstance } from 'fastify';
import {
  isReportFormat,
  REPORT_CONTENT_TYPES,
  REPORT_FORMATS,
  type ReportFormat,
} from '../../../consumers/reports/render-report.js';
import { parseReportMonth, ReportMonthError } from '../../../consumers/reports/report-month.js';
import { REPORT_STORED_HEADER } from '../../../schemas/api/index.js';
import type { MonthlyReports } from '../reports/monthly-reports.js';
import type { ReportFiles } from '../reports/report-files.js';
import { contractApp, contractRoute } from './contract-route.js';
import { HttpError } from './http-error.js';

/**
 * The monthly report routes (read access, like the other reads):
 *
 * - `GET /reports`: the stored reports of `<data dir>/reports/`, newest month first, each with
 *   its formats and sizes (`schemas/api/reports.ts`; at most `MAX_LISTED_REPORTS`).
 * - `GET /reports/{month}?format=html|json|csv` (json by default): the report file. A stored one
 *   is answered as stored; any other month that has started (the current one too, so far) is
 *   generated now — and stored when the month is closed (`MonthlyReports.rendering`). 400 for a
 *   bad month or format, 404 for a month that has not started in the cell's time zone. A month
 *   before the cell's first data is not an error: its report counts nothing, which is what the
 *   store holds for it. The `x-report-stored` header says whether the answer is a stored file.
 *
 * @example
 * registerReportRoutes(app, { reports, files });
 * // GET /reports/2026-10?format=csv -> text/csv, attachment; filename="report-local-2026-10.csv"
 */

export interface ReportRouteDeps {
  readonly reports: MonthlyReports;
  readonly files: ReportFiles;
  /** The cell name, in download file names. */
  readonly cellName: string;
}

/**
 * The HTML report is served from the cell's origin, beside the dashboard and its session cookie:
 * it needs no script, image or request of any kind, so it may load none.
 */
const HTML_REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

function formatOf(query: unknown): ReportFormat {
  const raw = (query as { format?: unknown } | undefined)?.format;
  if (raw === undefined) return 'json';
  if (!isReportFormat(raw)) {
    throw new HttpError(
      400,
      `format must be one of ${REPORT_FORMATS.join(', ')}, got ${JSON.stringify(raw)}`,
      {
        errors: [{ path: '/format', message: `must be one of ${REPORT_FORMATS.join(', ')}` }],
      },
    );
  }
  return raw;
}

function monthOf(params: unknown): string {
  const raw = (params as { month?: string }).month ?? '';
  try {
    return parseReportMonth(raw);
  } catch (error) {
    if (!(error instanceof ReportMonthError)) throw error;
    throw new HttpError(400, error.message, { errors: [{ path: '/month', message: error.message }] });
  }
}

export function registerReportRoutes(app: FastifyInstance, deps: ReportRouteDeps): void {
  contractApp(app).route({
    ...contractRoute('reports'),
    handler: async () => deps.files.list(),
  });
  // A file answer, which the contract does not type (it lists the JSON errors only): on the
  // untyped instance, like /admin/backup.
  app.route({
    ...contractRoute('report'),
    handler: async (request, reply) => {
      const month = monthOf(request.params);
      const format = formatOf(request.query);
      let answer: Awaited<ReturnType<MonthlyReports['rendering']>>;
      try {
        answer = await deps.reports.rendering(month, format);
      } catch (error) {
        // The month is well-formed (checked above): what is left is a month not started yet.
        if (error instanceof ReportMonthError) throw new HttpError(404, error.message);
        throw error;
      }
      reply
        .type(REPORT_CONTENT_TYPES[format])
        .header('x-content-type-options', 'nosniff')
        .header(REPORT_STORED_HEADER, String(answer.stored))
        // A report of the month so far changes with every event; a stored one only if regenerated.
        .header('cache-control', answer.stored ? 'no-cache' : 'no-store');
      if (format === 'html') reply.header('content-security-policy', HTML_REPORT_CSP);
      if (format === 'csv') {
        const cell = deps.cellName.replace(/[^A-Za-z0-9._-]/g, '_');
        reply.header('content-disposition', `attachment; filename="report-${cell}-${month}.csv"`);
      }
      return reply.send(answer.body);
    },
  });
}
