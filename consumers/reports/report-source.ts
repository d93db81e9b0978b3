import { isoFromMs } from '../../schemas/time.js';
import { buildMonthlyReport, type MonthlyReport, type MonthlyReportData } from './monthly-report.js';
import { monthRange, parseReportMonth, ReportMonthError } from './report-month.js';

/**
 * The port a store implements for the monthly report, and the one way a report is generated from
 * it: the month's window in the cell's time zone, the as-of time, the store's plain data, the pure
 * builder. The local cell (SQLite rollups) and the AWS Lambda (Timestream) both call
 * {@link generateMonthlyReport} with their own source.
 *
 * @example
 * const report = await generateMonthlyReport(localReportSource(db, topology, deps), {
 *   month: '2026-10', timeZone: topology.settings.timeZone, cell: 'local', nowMs: Date.now(),
 * });
 */

/** The window a source reads: the month `[fromMs, toMs)` and the as-of time (open book, stuck). */
export interface ReportRange {
  readonly month: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** `min(toMs, now)`: the month's end, or now for the month so far. */
  readonly asOfMs: number;
}

/** A store's reader of one month's report data. */
export interface MonthlyReportSource {
  readMonth(range: ReportRange): Promise<MonthlyReportData>;
}

export interface GenerateReportOptions {
  /** `YYYY-MM`. */
  readonly month: string;
  /** IANA time zone of the calendar month (the topology's `timeZone`). */
  readonly timeZone: string;
  readonly cell: string;
  readonly nowMs: number;
  /** Vendors listed by name per currency (10 by default). */
  readonly topVendors?: number;
}

/**
 * Reads the month from `source` and builds its report. Refuses, with {@link ReportMonthError}, a
 * bad month or zone and a month that starts after `nowMs` (nothing to report yet).
 *
 * @example
 * await generateMonthlyReport(source, { month: '2026-10', timeZone: 'UTC', cell: 'local', nowMs });
 */
export async function generateMonthlyReport(
  source: MonthlyReportSource,
  options: GenerateReportOptions,
): Promise<MonthlyReport> {
  const month = parseReportMonth(options.month);
  const { fromMs, toMs } = monthRange(month, options.timeZone);
  if (fromMs > options.nowMs) {
    throw new ReportMonthError(
      `month ${month} starts at ${isoFromMs(fromMs)} (${options.timeZone}), after now (${isoFromMs(options.nowMs)}): there is nothing to report yet`,
    );
  }
  const asOfMs = Math.min(toMs, options.nowMs);
  const data = await source.readMonth({ month, fromMs, toMs, asOfMs });
  return buildMonthlyReport(data, {
    month,
    timeZone: options.timeZone,
    cell: options.cell,
    fromMs,
    toMs,
    asOfMs,
    generatedAtMs: options.nowMs,
    ...(options.topVendors !== undefined ? { topVendors: options.topVendors } : {}),
  });
}
