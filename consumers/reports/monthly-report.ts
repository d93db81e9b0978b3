import { currencyExponent } from '../../schemas/currencies.js';
import { formatMinorUnits } from '../../schemas/money.js';
import { isoFromMs } from '../../schemas/time.js';
import { reportDefinitions } from './report-definitions.js';
import type {
  MonthlyReport,
  MonthlyReportData,
  ReportCount,
  ReportCurrency,
  ReportMoney,
  ReportReconciliation,
  ReportStatusValue,
  ReportVendor,
  StuckRow,
} from './report-types.js';

export type {
  MonthlyReport,
  MonthlyReportData,
  OpenRow,
  PaymentTermsRow,
  PostedRow,
  ReceivedRow,
  ReconcileStageRow,
  ReconciliationData,
  ReportCount,
  ReportCurrency,
  ReportFigure,
  ReportMoney,
  ReportReconciliation,
  ReportStatusValue,
  ReportVendor,
  StuckRow,
} from './report-types.js';
export { REPORT_FIGURES } from './report-types.js';

/**
 * The one monthly report builder (issue 13): plain data read by a store (local SQLite rollups, or
 * Timestream on AWS) in, the report out — per currency, money exact (bigint minor units, rendered
 * as decimal and minor-unit strings), never summed across currencies. Pure: no clock, no I/O.
 *
 * @example
 * const report = buildMonthlyReport(data, {
 *   month: '2026-10', timeZone: 'UTC', cell: 'local', fromMs, toMs, asOfMs: toMs, generatedAtMs: Date.now(),
 * });
 */

/** The status of the last stage that counts as posted. */
export const POSTED_STATUS = 'POSTED';

/** Vendors listed by name per currency unless asked otherwise. */
export const DEFAULT_TOP_VENDORS = 10;

/** Where and when a report is of; everything but the data. */
export interface MonthlyReportMeta {
  readonly month: string;
  readonly timeZone: string;
  readonly cell: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly asOfMs: number;
  readonly generatedAtMs: number;
  /** Vendors listed by name per currency ({@link DEFAULT_TOP_VENDORS} by default). */
  readonly topVendors?: number;
}

/** Bad builder input (e.g. a negative `topVendors`); names the field. */
export class MonthlyReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MonthlyReportError';
  }
}

/**
 * The statuses that end an invoice (it is no longer open): {@link POSTED_STATUS} (the last stage's)
 * and every stage's terminal statuses (REJECTED). Read on the status of an invoice's latest event
 * over all stages; exact while no status name ends an invoice at one stage and not at another,
 * which holds for the stage schemas (REJECTED is terminal wherever it occurs). Pure.
 *
 * @example
 * endedStatuses(topology.stages); // Set { 'POSTED', 'REJECTED' }
 */
export function endedStatuses(
  stages: readonly { readonly terminalStatuses: readonly string[] }[],
): ReadonlySet<string> {
  return new Set([POSTED_STATUS, ...stages.flatMap((s) => s.terminalStatuses)]);
}

/**
 * Money as the report writes it; a currency without a known exponent keeps its minor units as the
 * value (the caller notes it).
 *
 * @example
 * reportMoney(123450n, 'EUR'); // { value: '1234.50', minor: '123450' }
 */
export function reportMoney(minor: bigint, currency: string): ReportMoney {
  const value =
    currencyExponent(currency) === undefined ? minor.toString() : formatMinorUnits(minor, currency);
  return { value, minor: minor.toString() };
}

interface Tally {
  invoices: number;
  minor: bigint;
}

function add<K>(map: Map<K, Tally>, key: K, invoices: number, minor: bigint): void {
  const t = map.get(key) ?? { invoices: 0, minor: 0n };
  t.invoices += invoices;
  t.minor += minor;
  map.set(key, t);
}

function countOf(t: Tally | undefined, currency: string): ReportCount {
  return { invoices: t?.invoices ?? 0, value: reportMoney(t?.minor ?? 0n, currency) };
}

function byCurrency<R extends { readonly currency: string }>(rows: readonly R[], currency: string): R[] {
  return rows.filter((r) => r.currency === currency);
}

function stageRank(stages: readonly string[]): (stage: string) => number {
  return (stage) => {
    const i = stages.indexOf(stage);
    return i === -1 ? stages.length : i;
  };
}

function vendorsOf(data: MonthlyReportData, currency: string, topVendors: number): ReportCurrency['vendors'] {
  const tallies = new Map<string, Tally>();
  for (const r of byCurrency(data.received, currency)) add(tallies, r.vendorId, r.invoices, r.minor);
  const ranked = [...tallies.entries()].sort(
    ([idA, a], [idB, b]) =>
      (a.minor === b.minor ? 0 : a.minor > b.minor ? -1 : 1) ||
      b.invoices - a.invoices ||
      (idA < idB ? -1 : idA > idB ? 1 : 0),
  );
  const top = ranked.slice(0, topVendors).map(
    ([vendorId, t]): ReportVendor => ({
      vendorId,
      vendorName: data.vendorNames.get(vendorId) ?? null,
      ...countOf(t, currency),
    }),
  );
  const rest: Tally = { invoices: 0, minor: 0n };
  for (const [, t] of ranked.slice(topVendors)) {
    rest.invoices += t.invoices;
    rest.minor += t.minor;
  }
  return { top, other: { vendors: Math.max(0, ranked.length - topVendors), ...countOf(rest, currency) } };
}

function postedOf(data: MonthlyReportData, currency: string): ReportCurrency['posted'] {
  const tallies = new Map<string, Tally>();
  for (const r of byCurrency(data.posted, currency)) add(tallies, r.status, r.invoices, r.minor);
  const otherStatuses = [...tallies.entries()]
    .filter(([status]) => status !== POSTED_STATUS)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([status, t]): ReportStatusValue => ({ status, ...countOf(t, currency) }));
  return { ...countOf(tallies.get(POSTED_STATUS), currency), otherStatuses };
}

function openOf(data: MonthlyReportData, currency: string): ReportCurrency['open'] {
  const total: Tally = { invoices: 0, minor: 0n };
  const tallies = new Map<string, Tally>();
  for (const r of byCurrency(data.open, currency)) {
    add(tallies, r.status, r.invoices, r.minor);
    total.invoices += r.invoices;
    total.minor += r.minor;
  }
  const statuses = [...tallies.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([status, t]): ReportStatusValue => ({ status, ...countOf(t, currency) }));
  return { ...countOf(total, currency), statuses };
}

function paymentTermsOf(data: MonthlyReportData, currency: string): ReportCurrency['paymentTerms'] {
  const counts = new Map<number | null, number>();
  for (const r of byCurrency(data.paymentTerms, currency)) {
    counts.set(r.paymentTermsDays, (counts.get(r.paymentTermsDays) ?? 0) + r.invoices);
  }
  return [...counts.entries()]
    .sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : a - b))
    .map(([paymentTermsDays, invoices]) => ({ paymentTermsDays, invoices }));
}

function currencyOf(data: MonthlyReportData, currency: string, topVendors: number): ReportCurrency {
  const received: Tally = { invoices: 0, minor: 0n };
  for (const r of byCurrency(data.received, currency)) {
    received.invoices += r.invoices;
    received.minor += r.minor;
  }
  return {
    currency,
    received: countOf(received, currency),
    posted: postedOf(data, currency),
    open: openOf(data, currency),
    vendors: vendorsOf(data, currency, topVendors),
    paymentTerms: paymentTermsOf(data, currency),
  };
}

function stuckOf(data: MonthlyReportData): MonthlyReport['stuck'] {
  const counts = new Map<string, number>();
  for (const r of data.stuck) counts.set(r.stage, (counts.get(r.stage) ?? 0) + r.invoices);
  const rank = stageRank(data.stages);
  const stages = [...counts.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : 1))
    .map(([stage, invoices]): StuckRow => ({ stage, invoices }));
  return { invoices: stages.reduce((n, s) => n + s.invoices, 0), stages };
}

function reconciliationOf(data: MonthlyReportData): ReportReconciliation | null {
  const r = data.reconciliation;
  if (!r) return null;
  const rank = stageRank(data.stages);
  const stages = [...r.stages].sort((a, b) => rank(a.stage) - rank(b.stage));
  return { complete: r.complete, balanced: stages.every((s) => s.balanced), stages };
}

function checkMeta(meta: MonthlyReportMeta, topVendors: number): void {
  if (!Number.isSafeInteger(topVendors) || topVendors < 0) {
    throw new MonthlyReportError(`topVendors must be a whole number 0 or more, got ${topVendors}`);
  }
  if (!(meta.fromMs < meta.toMs)) {
    throw new MonthlyReportError(`toMs must be after fromMs, got ${meta.fromMs}..${meta.toMs}`);
  }
}

/**
 * Builds the report of one month from the data a store read. Pure. Throws
 * {@link MonthlyReportError} for a bad `topVendors` or window.
 *
 * @example
 * buildMonthlyReport(data, { month: '2026-10', timeZone: 'UTC', cell: 'local', fromMs, toMs,
 *   asOfMs: toMs, generatedAtMs: nowMs, topVendors: 5 }).currencies[0].received.value.value;
 */
export function buildMonthlyReport(data: MonthlyReportData, meta: MonthlyReportMeta): MonthlyReport {
  const topVendors = meta.topVendors ?? DEFAULT_TOP_VENDORS;
  checkMeta(meta, topVendors);
  const codes = new Set<string>();
  for (const rows of [data.received, data.posted, data.open, data.paymentTerms]) {
    for (const r of rows) codes.add(r.currency);
  }
  const currencies = [...codes].sort();
  const notes = [...data.notes];
  for (const c of currencies) {
    if (currencyExponent(c) === undefined) {
      notes.push(`currency ${c} is not an ISO 4217 code: its amounts are shown in minor units`);
    }
  }
  if (!data.reconciliation)
    notes.push('this store keeps no reconciliation counters: reconciliation is not reported');
  return {
    version: 1,
    month: meta.month,
    timeZone: meta.timeZone,
    cell: meta.cell,
    fromMs: meta.fromMs,
    toMs: meta.toMs,
    from: isoFromMs(meta.fromMs),
    to: isoFromMs(meta.toMs),
    asOfMs: meta.asOfMs,
    asOf: isoFromMs(meta.asOfMs),
    monthComplete: meta.asOfMs >= meta.toMs,
    generatedAt: isoFromMs(meta.generatedAtMs),
    topVendors,
    currencies: currencies.map((c) => currencyOf(data, c, topVendors)),
    stuck: stuckOf(data),
    reconciliation: reconciliationOf(data),
    definitions: reportDefinitions({
      timeZone: meta.timeZone,
      topVendors,
      firstStage: data.stages[0] ?? 'first-stage',
      lastStage: data.stages[data.stages.length - 1] ?? 'last-stage',
    }),
    notes,
  };
}
