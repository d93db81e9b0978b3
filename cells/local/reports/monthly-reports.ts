import type { Clock } from '../../../consumers/clock.js';
import type { MonthlyReport } from '../../../consumers/reports/monthly-report.js';
import { REPORT_FORMATS, type ReportFormat, renderReport } from '../../../consumers/reports/render-report.js';
import { monthRange, parseReportMonth, ReportMonthError } from '../../../consumers/reports/report-month.js';
import { generateMonthlyReport, type MonthlyReportSource } from '../../../consumers/reports/report-source.js';
import type { Logger } from '../logger.js';
import type { ReportFiles, ReportRenderings } from './report-files.js';

/**
 * The local cell's monthly reports: generate a month's report from the store (`generateMonthlyReport`
 * over the local source), render it three ways, and store it in the data dir ({@link ReportFiles}),
 * or answer one rendering on demand. The schedule (`report-schedule.ts`) and the routes
 * (`api/report-routes.ts`) both go through here, so a month is generated once at a time
 * (concurrent asks for the same month share one generation).
 *
 * A month is *closed* {@link SETTLE_MS} after it ends in the cell's zone: from then on, a report
 * asked for on demand is stored too (the same report the schedule writes at 00:05 on the 1st);
 * before that, it is generated for the answer only.
 *
 * @example
 * const reports = new MonthlyReports({ source, files, timeZone: 'UTC', cellName: 'local', clock, logger });
 * await reports.store('2026-10', 'schedule');
 * const { body, stored } = await reports.rendering('2026-11', 'csv'); // the month so far, not stored
 */

/**
 * After a month ends, the schedule waits this long before it reports it (00:05 on the 1st), so
 * events accepted in the month's last seconds are stored first (the engine polls its queues in
 * well under a second; a visibility-timeout retry takes longer and shows up in `reconciliation`).
 */
export const SETTLE_MS = 5 * 60_000;

/** Why a report was stored (in its log line). */
export type StoreReason = 'schedule' | 'catch-up' | 'on demand';

/** A stored month: the report, and the bytes of each rendering written. */
export interface StoredMonth {
  readonly report: MonthlyReport;
  readonly bytes: Readonly<Record<ReportFormat, number>>;
  readonly durationMs: number;
}

export interface MonthlyReportsOptions {
  readonly source: MonthlyReportSource;
  readonly files: ReportFiles;
  /** The IANA zone of calendar months (`topology.settings.timeZone`). */
  readonly timeZone: string;
  readonly cellName: string;
  readonly clock: Clock;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  /** Vendors listed by name per currency (the builder's default when absent). */
  readonly topVendors?: number;
  /** Told of every report stored (after its files are written); must not throw. */
  readonly onStored?: (stored: StoredMonth, reason: StoreReason) => void;
}

export class MonthlyReports {
  readonly #options: MonthlyReportsOptions;
  readonly #storing = new Map<string, Promise<StoredMonth>>();

  constructor(options: MonthlyReportsOptions) {
    this.#options = options;
  }

  get timeZone(): string {
    return this.#options.timeZone;
  }

  /** Whether `month` is closed: {@link SETTLE_MS} past its end in the cell's zone. */
  isClosed(month: string): boolean {
    return this.#options.clock.now() >= monthRange(month, this.#options.timeZone).toMs + SETTLE_MS;
  }

  /** Whether `month`'s report is stored (all three renderings). */
  has(month: string): boolean {
    return this.#options.files.has(month);
  }

  /** The report of `month` (as of now for a month not over), generated from the store. */
  generate(month: string): Promise<MonthlyReport> {
    const { source, timeZone, cellName, clock, topVendors } = this.#options;
    return generateMonthlyReport(source, {
      month: parseReportMonth(month),
      timeZone,
      cell: cellName,
      nowMs: clock.now(),
      ...(topVendors !== undefined ? { topVendors } : {}),
    });
  }

  /**
   * Generates, renders and stores `month`'s report (replacing stored files), and logs one line with
   * its figures. Concurrent calls for one month share one run.
   */
  store(month: string, reason: StoreReason): Promise<StoredMonth> {
    const running = this.#storing.get(month);
    if (running) return running;
    const run = this.#store(month, reason).finally(() => this.#storing.delete(month));
    this.#storing.set(month, run);
    return run;
  }

  /**
   * One rendering of `month` for an answer: the stored file; else, for a closed month, the report
   * stored now; else (the month so far) generated and not stored. Throws `ReportMonthError` for a
   * bad month or one that has not started.
   */
  async rendering(month: string, format: ReportFormat): Promise<{ body: Buffer | string; stored: boolean }> {
    const canonical = parseReportMonth(month);
    const { files } = this.#options;
    // A month without its JSON file was cut short mid-write: it is generated again.
    const stored = files.has(canonical) ? files.read(canonical, format) : undefined;
    if (stored) return { body: stored, stored: true };
    if (this.isClosed(canonical)) {
      try {
        await this.store(canonical, 'on demand');
        const written = files.read(canonical, format);
        if (written) return { body: written, stored: true };
      } catch (error) {
        // The store could not be read, or the files not written (a full disk): the asker still
        // gets the report, generated for this answer, unless the store itself is what failed.
        if (error instanceof ReportMonthError) throw error;
        this.#options.logger.warn('monthly report not stored; answered without storing it', {
          month: canonical,
          error,
        });
      }
    }
    return { body: renderReport(await this.generate(canonical), format), stored: false };
  }

  async #store(month: string, reason: StoreReason): Promise<StoredMonth> {
    const { files, logger } = this.#options;
    const startedAt = performance.now();
    const report = await this.generate(month);
    const renderings = Object.fromEntries(
      REPORT_FORMATS.map((format) => [format, renderReport(report, format)]),
    ) as unknown as ReportRenderings;
    const bytes = files.write(month, renderings);
    const durationMs = Math.round(performance.now() - startedAt);
    logger.info('monthly report stored', {
      month,
      reason,
      // Counts add up across currencies; money never does, so the line carries none.
      invoicesReceived: report.currencies.reduce((n, c) => n + c.received.invoices, 0),
      invoicesPosted: report.currencies.reduce((n, c) => n + c.posted.invoices, 0),
      currencies: report.currencies.map((c) => c.currency),
      monthComplete: report.monthComplete,
      durationMs,
      dir: files.dir,
      bytes,
    });
    const stored = { report, bytes, durationMs };
    this.#options.onStored?.(stored, reason);
    return stored;
  }
}
