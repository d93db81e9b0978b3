import { type Static, Type } from 'typebox';
import { IsoTimeSchema, List, LiteralUnion } from './common.js';

/**
 * The monthly report on the local cell's HTTP API: `GET /reports` (the stored reports, newest
 * first), `GET /reports/{month}?format=html|json|csv` (one report as a file: the stored one, or
 * one generated on demand) and the body of the report webhook (`--report-webhook`). The report
 * itself is `MonthlyReport` (`consumers/reports/monthly-report.ts`); its JSON rendering is the
 * answer of `?format=json`, which the contract lists without a schema, like the other file answers.
 *
 * @example
 * const reports = (await (await fetch(`${url}/reports`)).json()) as ReportsAnswer;
 * const csv = await (await fetch(`${url}/reports/${reports[0]?.month}?format=csv`)).text();
 */

/** The formats a report is rendered in (`REPORT_FORMATS` of `consumers/reports/render-report.ts`). */
export const REPORT_FORMAT_NAMES = ['html', 'json', 'csv'] as const;

/** A rendering of a report: HTML for people, JSON for machines, CSV for spreadsheets. */
export const ReportFormatSchema = LiteralUnion(REPORT_FORMAT_NAMES);
/** `html`, `json` or `csv`. */
export type ReportFormatName = Static<typeof ReportFormatSchema>;

/** `YYYY-MM`, a calendar month in the cell's time zone (`topology.settings.timeZone`). */
export const ReportMonthSchema = Type.String({ pattern: '^\\d{4}-\\d{2}$' });

/** One month's stored report files in `<data dir>/reports/`. */
export const StoredReportSchema = Type.Object({
  month: ReportMonthSchema,
  /** When its files were written (the JSON file's modification time; the report says its own `generatedAt`). */
  generatedAt: IsoTimeSchema,
  /** The renderings stored, in `REPORT_FORMAT_NAMES` order. */
  formats: List(ReportFormatSchema),
  /** Size of each stored rendering, by format. */
  bytes: Type.Object({
    html: Type.Optional(Type.Number()),
    json: Type.Optional(Type.Number()),
    csv: Type.Optional(Type.Number()),
  }),
});
/** One month's stored report files. */
export type StoredReport = Static<typeof StoredReportSchema>;

/** `GET /reports`: the stored reports, newest month first (at most {@link MAX_LISTED_REPORTS}). */
export const ReportsAnswerSchema = List(StoredReportSchema);
/** The body of `GET /reports`. */
export type ReportsAnswer = Static<typeof ReportsAnswerSchema>;

/**
 * Response header of `GET /reports/{month}`: `true` when the answer is the stored file, `false`
 * when the report was generated for this request (the month so far).
 */
export const REPORT_STORED_HEADER = 'x-report-stored';

/** `GET /reports` lists at most this many months (twenty years of monthly reports). */
export const MAX_LISTED_REPORTS = 240;

/** Money of one currency as the report writes it: decimal text and integer minor units, both strings. */
export const ReportMoneySchema = Type.Object({
  /** `"1234.50"`. */
  value: Type.String(),
  /** `"123450"`. */
  minor: Type.String(),
});

/** Invoices and their value, in one currency. */
export const ReportTotalSchema = Type.Object({
  invoices: Type.Number(),
  value: ReportMoneySchema,
});

/**
 * The per-currency totals a webhook carries: invoices received, posted (status POSTED) and open,
 * each with its value in that currency. Nothing else of the report: receivers follow `links`.
 */
export const ReportCurrencySummarySchema = Type.Object({
  currency: Type.String(),
  received: ReportTotalSchema,
  posted: ReportTotalSchema,
  open: ReportTotalSchema,
});
/** One currency's totals in a webhook. */
export type ReportCurrencySummary = Static<typeof ReportCurrencySummarySchema>;

/** The JSON body the cell POSTs to `--report-webhook` when a month's report is stored. */
export const ReportReadyNotificationSchema = Type.Object({
  type: Type.Literal('monthly-report.ready'),
  month: ReportMonthSchema,
  /** The cell's name (`--cell-name`). */
  cell: Type.String(),
  /** The report's own `generatedAt`. */
  generatedAt: IsoTimeSchema,
  /** `GET /reports/{month}?format=…` on the cell's listening address, one per format. */
  links: Type.Object({ html: Type.String(), json: Type.String(), csv: Type.String() }),
  /** Per-currency totals only (by currency code). */
  summary: Type.Object({ currencies: List(ReportCurrencySummarySchema) }),
});
/** The body of a report webhook. */
export type ReportReadyNotification = Static<typeof ReportReadyNotificationSchema>;
