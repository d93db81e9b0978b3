import type { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import type { CellTopology } from '../../cells/topology.js';
import { countStuckByStage, findStuckInvoices } from '../monitoring/stuck.js';
import {
  endedStatuses,
  type MonthlyReportData,
  type OpenRow,
  type PaymentTermsRow,
  type PostedRow,
  type ReceivedRow,
  type StuckRow,
} from '../reports/monthly-report.js';
import type { MonthlyReportSource, ReportRange } from '../reports/report-source.js';
import { describeAwsError } from './aws-errors.js';
import type { ReportReconciler } from './aws-report-reconcile.js';
import { type QueryRow, queryAllRows } from './timestream-query.js';
import type { ReportSourceFigure, TimestreamReportSpec } from './timestream-report-spec.js';
import { REPORT_COLUMNS, type ReportSqlWindow, reportFigureSql } from './timestream-report-sql.js';
import { TIMESTREAM_WINDOW, timestreamTable } from './timestream-sql.js';
import { latestFromTimestreamRows, timestreamLatestByInvoiceSql } from './timestream-stuck-query.js';

/**
 * The monthly report's {@link MonthlyReportSource} on AWS: every figure from the cell's Timestream
 * latest-state table, which the rollup scheduled queries keep (`timestream-report-sql.ts`), never
 * from the records, so a report costs the same whatever the month held. The same figures as the
 * local cell's rollups:
 *
 * | figure | read |
 * |---|---|
 * | received, by vendor; payment-terms mix | newest first-stage row per invoice, in the month |
 * | posted by status | newest last-stage row per invoice, in the month |
 * | open book | newest row per invoice over all history, before the as-of time, not ended |
 * | stuck | the stuck-state rows (as the stuck monitor reads them), overdue at the as-of time |
 *
 * | reconciliation | not Timestream: CloudWatch sums and queue depths, through `reconciler` (approximate) |
 *
 * Not available here, and said so in the report's notes: vendor names (the derived rows carry
 * vendor ids only). The reconciliation's notes say why it is approximate. Every query is read to its
 * last page; a failed query or a row that is not what the query selects fails the whole read with a
 * {@link TimestreamReportError} naming the figure (a failed reconciliation read with the
 * reconciler's error) — a report is never built from part of its data.
 *
 * @example
 * const reconciler = new MetricReportReconciler({ cloudWatch, sqs, topology, queues });
 * const source = new TimestreamReportSource({ client, database, latestTable, spec, topology, reconciler });
 * const report = await generateMonthlyReport(source, { month: '2026-10', timeZone: spec.timeZone, cell, nowMs });
 */

export interface TimestreamReportSourceOptions {
  readonly client: TimestreamQueryClient;
  readonly database: string;
  /** The latest-state table (`TimeseriesStore.latestState`). */
  readonly latestTable: string;
  readonly spec: TimestreamReportSpec;
  /** Stage order, SLAs and terminal statuses (stuck, ended statuses). */
  readonly topology: CellTopology;
  /** The month's reconciliation (`MetricReportReconciler`: CloudWatch sums and queue depths). */
  readonly reconciler: ReportReconciler;
}

/** A figure could not be read: its query failed or answered an unexpected row. */
export class TimestreamReportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TimestreamReportError';
  }
}

/** What the report says about the AWS source, in every report it builds. */
export const TIMESTREAM_REPORT_NOTES: readonly string[] = [
  'on AWS the figures are read from the latest-state table the rollup scheduled queries keep: an event ' +
    'stored after their last run, or later than their late-event tolerance, is counted when the month is ' +
    'built again (invoke the report function with {"month": "YYYY-MM"}, or invoice-ops report --cell)',
  'vendor names are not kept in the derived Timestream tables: vendors are listed by id',
];

const LABELS: Readonly<Record<ReportSourceFigure | 'stuck', string>> = {
  received: 'invoices received',
  posted: 'value posted',
  paymentTerms: 'payment-terms mix',
  open: 'value still open',
  stuck: 'stuck past SLA',
};

/** One row's columns, checked; errors name the figure, the row and the column. */
class RowReader {
  readonly #label: string;
  readonly #row: QueryRow;
  readonly #index: number;

  constructor(label: string, row: QueryRow, index: number) {
    this.#label = label;
    this.#row = row;
    this.#index = index;
  }

  #fail(column: string, why: string): never {
    throw new TimestreamReportError(`${this.#label}: row ${this.#index} column ${column} ${why}`);
  }

  text(column: string): string {
    const value = this.#row[column];
    if (value === undefined || value === null || value === '') this.#fail(column, 'has no value');
    return value;
  }

  /** A whole number of invoices. */
  count(column: string): number {
    const text = this.text(column);
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) this.#fail(column, `is not a count: "${text}"`);
    return n;
  }

  /** Exact money: integer minor units. */
  minor(column: string): bigint {
    const text = this.text(column);
    if (!/^-?\d+$/.test(text)) this.#fail(column, `is not whole minor units: "${text}"`);
    return BigInt(text);
  }

  /** Net payment days, `null` when the event carried none. */
  days(column: string): number | null {
    const value = this.#row[column];
    if (value === undefined || value === null) return null;
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) this.#fail(column, `is not whole days: "${value}"`);
    return n;
  }
}

const C = REPORT_COLUMNS;

export class TimestreamReportSource implements MonthlyReportSource {
  readonly #options: TimestreamReportSourceOptions;

  constructor(options: TimestreamReportSourceOptions) {
    // Checks the names once, here, instead of in the middle of a read.
    timestreamTable(options.database, options.latestTable);
    this.#options = options;
  }

  async readMonth(range: ReportRange): Promise<MonthlyReportData> {
    const month: ReportSqlWindow = { sinceMs: range.fromMs, fromMs: range.fromMs, toMs: range.toMs };
    // The open book: every invoice's newest row over all history, counted if it is before the as-of time.
    const book: ReportSqlWindow = { sinceMs: 0, fromMs: 0, toMs: range.asOfMs };
    const [received, posted, paymentTerms, open, stuck, checks] = await Promise.all([
      this.#figure(
        'received',
        month,
        (r): ReceivedRow => ({
          vendorId: r.text(C.vendorId),
          currency: r.text(C.currency),
          invoices: r.count(C.invoices),
          minor: r.minor(C.amountMinor),
        }),
      ),
      this.#figure(
        'posted',
        month,
        (r): PostedRow => ({
          currency: r.text(C.currency),
          status: r.text(C.status),
          invoices: r.count(C.invoices),
          minor: r.minor(C.amountMinor),
        }),
      ),
      this.#figure(
        'paymentTerms',
        month,
        (r): PaymentTermsRow => ({
          currency: r.text(C.currency),
          paymentTermsDays: r.days(C.paymentTermsDays),
          invoices: r.count(C.invoices),
        }),
      ),
      this.#figure(
        'open',
        book,
        (r): OpenRow => ({
          currency: r.text(C.currency),
          status: r.text(C.status),
          invoices: r.count(C.invoices),
          minor: r.minor(C.amountMinor),
        }),
      ),
      this.#stuck(range.asOfMs),
      this.#options.reconciler.read(range),
    ]);
    const ended = endedStatuses(this.#options.topology.stages);
    return {
      stages: this.#options.topology.stages.map((s) => s.name),
      received,
      vendorNames: new Map(),
      posted,
      paymentTerms,
      open: open.filter((r) => !ended.has(r.status)),
      stuck,
      reconciliation: checks.reconciliation,
      notes: [...TIMESTREAM_REPORT_NOTES, ...checks.notes],
    };
  }

  async #rows(label: string, queryString: string): Promise<QueryRow[]> {
    try {
      return await queryAllRows(this.#options.client, queryString);
    } catch (error) {
      throw new TimestreamReportError(`${label}: Timestream query failed: ${describeAwsError(error)}`, {
        cause: error,
      });
    }
  }

  async #figure<T>(
    figure: ReportSourceFigure,
    window: ReportSqlWindow,
    parse: (row: RowReader) => T,
  ): Promise<T[]> {
    const { spec, database, latestTable } = this.#options;
    const sql = reportFigureSql(figure, spec.figures[figure], { database, table: latestTable }, window);
    const rows = await this.#rows(LABELS[figure], sql);
    return rows.map((row, i) => parse(new RowReader(LABELS[figure], row, i)));
  }

  /**
   * Invoices past their stage SLA at `asOfMs` and still at that stage now. The query's own overdue
   * filter uses its `now()`, which is at or after the as-of time, so it keeps a superset;
   * `findStuckInvoices` at the as-of time decides.
   */
  async #stuck(asOfMs: number): Promise<StuckRow[]> {
    const { database, latestTable, topology } = this.#options;
    const sql = timestreamLatestByInvoiceSql(
      {
        database,
        table: latestTable,
        fromParam: TIMESTREAM_WINDOW.epochMs(0),
        source: 'stuckState',
        overdueOnly: true,
      },
      topology,
    );
    const rows = await this.#rows(LABELS.stuck, sql);
    let latest: ReturnType<typeof latestFromTimestreamRows>;
    try {
      latest = latestFromTimestreamRows(rows);
    } catch (error) {
      throw new TimestreamReportError(`${LABELS.stuck}: ${(error as Error).message}`, { cause: error });
    }
    const counts = countStuckByStage(findStuckInvoices(latest, topology, asOfMs), topology);
    return [...counts].map(([stage, invoices]) => ({ stage, invoices }));
  }
}
