import { InvalidArgumentError, Option } from 'commander';
import { REPORT_FORMATS, type ReportFormat } from '../../../consumers/reports/render-report.js';
import { parseReportMonth, ReportMonthError } from '../../../consumers/reports/report-month.js';
import { runMonthlyReport } from '../monthly-report-command.js';
import { API_KEY_ENV } from './cli-context.js';
import type { VerbKit } from './verb-kit.js';

/**
 * `invoice-ops report`: one month's consolidated report (issue 13) from a local cell
 * (`--local <url>`: `GET /reports/{month}`, a viewer or operator key) or a deployed cell
 * (`--cell <name>`), on stdout (JSON by default) or into `--out <file>`. Any month that has
 * started may be asked for, the current one too (the month so far).
 *
 * Exit codes: 0 printed or written; 1 the cell refused or failed (a month not started yet, a key
 * of the wrong role, the cell unreachable); 2 a bad `--month` or `--format`, no target, or both.
 *
 * @example
 * registerReport(kit);
 * // invoice-ops report --local http://127.0.0.1:8787 --api-key "$KEY" --month 2026-10 --format csv --out oct.csv
 */

interface ReportOptions {
  local?: string;
  cell?: string;
  apiKey?: string;
  month: string;
  format: ReportFormat;
  out?: string;
}

/** `--month`: `parseReportMonth`'s canonical `YYYY-MM`, or its message as a usage error. */
function month(value: string): string {
  try {
    return parseReportMonth(value.trim());
  } catch (error) {
    if (error instanceof ReportMonthError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

export function registerReport(kit: VerbKit): void {
  kit.program
    .command('report')
    .description(
      "one month's consolidated report per currency (received, posted, open, vendors, payment terms, stuck, reconciliation): stored, or generated now for the month so far",
    )
    .option('--local <url>', 'target a local cell by its URL, e.g. http://127.0.0.1:8787')
    .option('--cell <name>', 'target a deployed cell of the catalog')
    .option('--api-key <key>', `a viewer or operator key of the local cell (default: $${API_KEY_ENV})`)
    .requiredOption('--month <YYYY-MM>', "the calendar month in the cell's time zone, e.g. 2026-10", month)
    .addOption(
      new Option('--format <format>', 'html for people, json for machines, csv for spreadsheets')
        .choices([...REPORT_FORMATS])
        .default('json'),
    )
    .option('--out <file>', 'write the report to this file (atomically) instead of stdout')
    .action(async (opts: ReportOptions) => {
      const backend = kit.backendFor({
        json: false,
        ...(opts.local !== undefined ? { local: opts.local } : {}),
        ...(opts.cell !== undefined ? { cell: opts.cell } : {}),
        ...(opts.apiKey !== undefined ? { apiKey: opts.apiKey } : {}),
      });
      const request = { month: opts.month, format: opts.format };
      kit.setExitCode(await runMonthlyReport(backend, request, opts.out, kit.verbContext({})));
    });
}
