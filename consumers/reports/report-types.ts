/**
 * The monthly report's types: the plain data a store reads ({@link MonthlyReportData}, money as
 * bigint minor units) and the built report ({@link MonthlyReport}, JSON-safe: money as decimal and
 * minor-unit strings, one block per currency, never summed across currencies). Re-exported by
 * `monthly-report.ts`, the module callers import.
 *
 * @example
 * const data: MonthlyReportData = { stages: ['ingestion'], received: [], vendorNames: new Map(),
 *   posted: [], paymentTerms: [], open: [], stuck: [], notes: [] };
 */

/** One vendor's invoices received in the month, in one currency. */
export interface ReceivedRow {
  readonly vendorId: string;
  readonly currency: string;
  /** Distinct invoices. */
  readonly invoices: number;
  /** Sum of their amounts, integer minor units. */
  readonly minor: bigint;
}

/** Invoices whose latest event of the last stage (posting) is in the month, by its status. */
export interface PostedRow {
  readonly currency: string;
  readonly status: string;
  readonly invoices: number;
  readonly minor: bigint;
}

/** Invoices received in the month by net payment days (`null`: the event carried no terms). */
export interface PaymentTermsRow {
  readonly currency: string;
  readonly paymentTermsDays: number | null;
  readonly invoices: number;
}

/**
 * Open invoices (see `definitions.open`) in one currency whose latest event has `status`. By status,
 * not stage: the rollup keeps each invoice's latest event over all stages keyed by status.
 */
export interface OpenRow {
  readonly currency: string;
  readonly status: string;
  readonly invoices: number;
  readonly minor: bigint;
}

/** Invoices past their stage SLA at the end of the month and still at that stage. */
export interface StuckRow {
  readonly stage: string;
  readonly invoices: number;
}

/** One stage's reconciliation over the month's acceptance-time bins. */
export interface ReconcileStageRow {
  readonly stage: string;
  /** Events accepted by the API in the month. */
  readonly accepted: number;
  /** Records of those events in the store. */
  readonly stored: number;
  /** Of the month's events, messages in the stage DLQ at generation time. */
  readonly inDlqNow: number;
  /** Of the month's events, messages still in the stage queue at generation time. */
  readonly inFlightNow: number;
  /** Accepted but found nowhere (named or not). */
  readonly missing: number;
  /** Stored or queued without an acceptance in the month. */
  readonly unexpected: number;
  readonly balanced: boolean;
}

/** The month's reconciliation; `complete` is false when part of the month's bins are pruned. */
export interface ReconciliationData {
  readonly complete: boolean;
  readonly stages: readonly ReconcileStageRow[];
}

/**
 * What a store reads for one month: the plain data {@link buildMonthlyReport} turns into the report.
 * Rows may come in any order and may repeat a key (they are added up).
 */
export interface MonthlyReportData {
  /** Stage names in lifecycle order (orders the per-stage tables). */
  readonly stages: readonly string[];
  readonly received: readonly ReceivedRow[];
  /** Names of the vendors in `received`, where known. */
  readonly vendorNames: ReadonlyMap<string, string>;
  readonly posted: readonly PostedRow[];
  readonly paymentTerms: readonly PaymentTermsRow[];
  readonly open: readonly OpenRow[];
  readonly stuck: readonly StuckRow[];
  /** Absent when the store keeps no reconciliation counters (then a note says so). */
  readonly reconciliation?: ReconciliationData;
  /** What is missing or approximate, in plain sentences. */
  readonly notes: readonly string[];
}

/** Money of one currency: `value` the decimal text (`"1234.50"`), `minor` the integer minor units (`"123450"`). */
export interface ReportMoney {
  readonly value: string;
  readonly minor: string;
}

export interface ReportCount {
  readonly invoices: number;
  readonly value: ReportMoney;
}

export interface ReportVendor extends ReportCount {
  readonly vendorId: string;
  /** `null` when the cell knows no name for the vendor. */
  readonly vendorName: string | null;
}

export interface ReportStatusValue extends ReportCount {
  readonly status: string;
}

export interface ReportCurrency {
  readonly currency: string;
  /** Invoices received in the month and their value. */
  readonly received: ReportCount;
  /** Invoices posted (status POSTED) in the month; `otherStatuses` lists FAILED, REVERSED, ... beside it. */
  readonly posted: ReportCount & { readonly otherStatuses: readonly ReportStatusValue[] };
  /** The open book at `asOf`, split by the status of each invoice's latest event. */
  readonly open: ReportCount & { readonly statuses: readonly ReportStatusValue[] };
  /** The top vendors by value received, then the rest together. */
  readonly vendors: {
    readonly top: readonly ReportVendor[];
    readonly other: ReportCount & { readonly vendors: number };
  };
  /** Invoices received by net payment days, fewest days first (`null`: no terms) last. */
  readonly paymentTerms: readonly { readonly paymentTermsDays: number | null; readonly invoices: number }[];
}

export interface ReportReconciliation {
  /** False when part of the month's reconciliation bins were pruned (see `notes`). */
  readonly complete: boolean;
  /** Every stage balanced (says nothing about pruned bins: read `complete` too). */
  readonly balanced: boolean;
  readonly stages: readonly ReconcileStageRow[];
}

/** The built monthly report (JSON-safe: `JSON.stringify` gives the JSON rendering). */
export interface MonthlyReport {
  readonly version: 1;
  /** `YYYY-MM`, a calendar month in `timeZone`. */
  readonly month: string;
  /** IANA time zone the month is taken in. */
  readonly timeZone: string;
  readonly cell: string;
  /** The month's edges, UTC epoch ms, `[fromMs, toMs)`, and as ISO 8601 UTC text. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly from: string;
  readonly to: string;
  /** The month's end, or generation time for a month not yet over: the open book and stuck are as of here. */
  readonly asOfMs: number;
  readonly asOf: string;
  /** False while the month is not over (a report of the month so far). */
  readonly monthComplete: boolean;
  readonly generatedAt: string;
  /** How many vendors each currency lists by name before "other vendors". */
  readonly topVendors: number;
  /** One block per currency, by currency code. */
  readonly currencies: readonly ReportCurrency[];
  readonly stuck: { readonly invoices: number; readonly stages: readonly StuckRow[] };
  /** `null` when the store keeps no reconciliation counters. */
  readonly reconciliation: ReportReconciliation | null;
  /** One plain sentence per figure saying exactly what it counts. */
  readonly definitions: Readonly<Record<ReportFigure, string>>;
  /** Anything missing or approximate. */
  readonly notes: readonly string[];
}

/** The figures `definitions` explains. */
export const REPORT_FIGURES = [
  'received',
  'valueReceived',
  'posted',
  'open',
  'vendors',
  'paymentTerms',
  'stuck',
  'reconciliation',
] as const;
export type ReportFigure = (typeof REPORT_FIGURES)[number];
