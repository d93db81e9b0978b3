import type { MonthlyReport, ReportCount, ReportCurrency } from './monthly-report.js';

/**
 * The CSV rendering of a monthly report, for spreadsheets: RFC 4180 (CRLF line ends, every field
 * holding a comma, quote or line break quoted, quotes doubled), one header line, then one row per
 * currency × figure × key. Money stays exact: `value` is the decimal text, `minor_units` the integer.
 * Rows of the whole cell (stuck, reconciliation) leave `currency` empty. Text a producer chose
 * (vendor ids and names) that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) is
 * prefixed with `'`, as OWASP advises against CSV injection. Pure.
 *
 * | figure | key | count | value, minor_units |
 * |---|---|---|---|
 * | received | total | invoices | value received |
 * | posted | status (POSTED, FAILED, ...) | invoices | value |
 * | open | total, then each status | invoices | value |
 * | vendor | vendor id (label: name) | invoices | value received |
 * | other_vendors | other (label: how many vendors) | invoices | value received |
 * | payment_terms | days, or none | invoices | |
 * | stuck | stage | invoices | |
 * | reconciliation | stage (label: the counter) | events | |
 *
 * @example
 * reportCsv(report).split('\r\n')[0]; // 'month,cell,currency,figure,key,label,count,value,minor_units'
 */

export const REPORT_CSV_COLUMNS = [
  'month',
  'cell',
  'currency',
  'figure',
  'key',
  'label',
  'count',
  'value',
  'minor_units',
] as const;

type CsvRow = Readonly<Record<(typeof REPORT_CSV_COLUMNS)[number], string>>;

/**
 * One RFC 4180 field: quoted when it holds a comma, quote, CR or LF, its quotes doubled.
 *
 * @example
 * csvField('Acme, "Inc"'); // '"Acme, ""Inc"""'
 */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Text a spreadsheet would evaluate as a formula gets a leading `'` (OWASP CSV injection). */
export function spreadsheetSafe(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

type RowOf = (figure: string, key: string, label: string, count: number | '', money?: ReportCount) => CsvRow;

function rowMaker(report: MonthlyReport, currency: string): RowOf {
  return (figure, key, label, count, money) => ({
    month: report.month,
    cell: report.cell,
    currency,
    figure,
    key: spreadsheetSafe(key),
    label: spreadsheetSafe(label),
    count: String(count),
    value: money?.value.value ?? '',
    minor_units: money?.value.minor ?? '',
  });
}

function currencyRows(report: MonthlyReport, c: ReportCurrency): CsvRow[] {
  const row = rowMaker(report, c.currency);
  const posted = [
    { status: 'POSTED', invoices: c.posted.invoices, value: c.posted.value },
    ...c.posted.otherStatuses,
  ];
  return [
    row('received', 'total', 'invoices received', c.received.invoices, c.received),
    ...posted.map((p) => row('posted', p.status, `latest status ${p.status}`, p.invoices, p)),
    row('open', 'total', 'open invoices', c.open.invoices, c.open),
    ...c.open.statuses.map((s) => row('open', s.status, `latest status ${s.status}`, s.invoices, s)),
    ...c.vendors.top.map((v) => row('vendor', v.vendorId, v.vendorName ?? '', v.invoices, v)),
    row(
      'other_vendors',
      'other',
      `${c.vendors.other.vendors} vendors`,
      c.vendors.other.invoices,
      c.vendors.other,
    ),
    ...c.paymentTerms.map((t) => {
      const key = t.paymentTermsDays === null ? 'none' : String(t.paymentTermsDays);
      const label = t.paymentTermsDays === null ? 'no payment terms' : `net ${t.paymentTermsDays} days`;
      return row('payment_terms', key, label, t.invoices);
    }),
  ];
}

function cellRows(report: MonthlyReport): CsvRow[] {
  const row = rowMaker(report, '');
  const rows = report.stuck.stages.map((s) =>
    row('stuck', s.stage, 'invoices past SLA at month end', s.invoices),
  );
  for (const s of report.reconciliation?.stages ?? []) {
    rows.push(
      row('reconciliation', s.stage, 'accepted', s.accepted),
      row('reconciliation', s.stage, 'stored', s.stored),
      row('reconciliation', s.stage, 'in DLQ now', s.inDlqNow),
      row('reconciliation', s.stage, 'in flight now', s.inFlightNow),
      row('reconciliation', s.stage, 'missing', s.missing),
      row('reconciliation', s.stage, 'unexpected', s.unexpected),
      row('reconciliation', s.stage, s.balanced ? 'balanced: yes' : 'balanced: no', ''),
    );
  }
  return rows;
}

/**
 * The report as RFC 4180 CSV (see the module comment). Pure.
 *
 * @example
 * fs.writeFileSync('2026-10.csv', reportCsv(report));
 */
export function reportCsv(report: MonthlyReport): string {
  const rows = [...report.currencies.flatMap((c) => currencyRows(report, c)), ...cellRows(report)];
  const lines = [
    REPORT_CSV_COLUMNS.join(','),
    ...rows.map((r) => REPORT_CSV_COLUMNS.map((col) => csvField(r[col])).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
