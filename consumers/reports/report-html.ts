import type { MonthlyReport, ReportCount, ReportCurrency } from './monthly-report.js';
import { REPORT_FIGURES } from './monthly-report.js';

/**
 * The HTML rendering of a monthly report, for people: one self-contained page (inline CSS, no
 * script, no external resource, a Content-Security-Policy that allows neither), every text
 * HTML-escaped, readable by a finance person — a table per currency, the stuck and reconciliation
 * tables, the notes and the definitions. Amounts are the report's exact decimal text with digit
 * groups (`1,234,567.50 EUR`), never recomputed. Pure.
 *
 * @example
 * fs.writeFileSync('2026-10.html', reportHtml(report));
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Text escaped for HTML content and quoted attributes.
 *
 * @example
 * escapeHtml('<b>"Acme" & Co</b>'); // '&lt;b&gt;&quot;Acme&quot; &amp; Co&lt;/b&gt;'
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/**
 * A decimal text with its whole part in groups of three (`-1234567.50` → `-1,234,567.50`); text,
 * never a float.
 *
 * @example
 * groupDigits('1234567.5'); // '1,234,567.5'
 */
export function groupDigits(decimal: string): string {
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(decimal);
  if (!match) return decimal;
  const [, sign = '', whole = '', fraction = ''] = match;
  return `${sign}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction}`;
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;margin:2rem auto;max-width:60rem;padding:0 1rem;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:2px solid #d9e2ec;padding-bottom:.2rem}
h3{font-size:1rem;margin:1.2rem 0 .4rem}.meta{color:#52606d;margin:0 0 1rem}
table{border-collapse:collapse;width:100%;margin:.3rem 0 1rem}th,td{padding:.35rem .6rem;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top}
th{background:#f5f7fa;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.ok{color:#0b7a3e;font-weight:600}.bad{color:#b42318;font-weight:600}.note{background:#fff8e1;border-left:4px solid #f0b429;padding:.4rem .8rem;margin:.3rem 0}
dl dt{font-weight:600;margin-top:.6rem}dl dd{margin:0 0 0 1rem}.empty{color:#7b8794}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}table{page-break-inside:avoid}}
`;

const e = escapeHtml;

function money(count: ReportCount, currency: string): string {
  return `${e(groupDigits(count.value.value))} ${e(currency)}`;
}

function num(n: number): string {
  return e(groupDigits(String(n)));
}

/** A table with a header row; `numeric` marks right-aligned columns; cells are already escaped HTML. */
function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: readonly number[],
): string {
  const cls = (i: number) => (numeric.includes(i) ? ' class="n"' : '');
  const head = headers.map((h, i) => `<th${cls(i)}>${e(h)}</th>`).join('');
  const body =
    rows.length === 0
      ? `<tr><td class="empty" colspan="${headers.length}">none</td></tr>`
      : rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function currencySection(c: ReportCurrency): string {
  const cur = c.currency;
  const summary = table(
    ['Figure', 'Invoices', 'Value'],
    [
      ['Received in the month', num(c.received.invoices), money(c.received, cur)],
      ['Posted in the month', num(c.posted.invoices), money(c.posted, cur)],
      ...c.posted.otherStatuses.map((s) => [
        `Latest posting status ${e(s.status)} (not posted)`,
        num(s.invoices),
        money(s, cur),
      ]),
      ['Still open at the as-of time', num(c.open.invoices), money(c.open, cur)],
    ],
    [1, 2],
  );
  const open = table(
    ['Latest status', 'Invoices', 'Value'],
    c.open.statuses.map((s) => [e(s.status), num(s.invoices), money(s, cur)]),
    [1, 2],
  );
  const vendorRows = c.vendors.top.map((v) => [
    e(v.vendorName ?? '(name unknown)'),
    e(v.vendorId),
    num(v.invoices),
    money(v, cur),
  ]);
  if (c.vendors.other.vendors > 0) {
    const o = c.vendors.other;
    vendorRows.push([`Other vendors (${num(o.vendors)})`, '', num(o.invoices), money(o, cur)]);
  }
  const vendors = table(['Vendor', 'Vendor id', 'Invoices', 'Value received'], vendorRows, [2, 3]);
  const terms = table(
    ['Payment terms', 'Invoices'],
    c.paymentTerms.map((t) => [
      t.paymentTermsDays === null ? 'none' : `net ${num(t.paymentTermsDays)} days`,
      num(t.invoices),
    ]),
    [1],
  );
  return `<section><h2>${e(cur)}</h2>
${summary}
<h3>Open invoices by latest status</h3>
${open}
<h3>Received by vendor</h3>
${vendors}
<h3>Payment-terms mix of the invoices received</h3>
${terms}
</section>`;
}

function yesNo(ok: boolean): string {
  return ok ? '<span class="ok">yes</span>' : '<span class="bad">no</span>';
}

function checksSection(report: MonthlyReport): string {
  const stuck = table(
    ['Stage', 'Invoices past SLA'],
    report.stuck.stages.map((s) => [e(s.stage), num(s.invoices)]),
    [1],
  );
  const r = report.reconciliation;
  const reconciliation = r
    ? `<p>Balanced: ${yesNo(r.balanced)} &middot; Complete for the month: ${yesNo(r.complete)}</p>\n${table(
        ['Stage', 'Accepted', 'Stored', 'In DLQ now', 'In flight now', 'Missing', 'Unexpected', 'Balanced'],
        r.stages.map((s) => [
          e(s.stage),
          num(s.accepted),
          num(s.stored),
          num(s.inDlqNow),
          num(s.inFlightNow),
          num(s.missing),
          num(s.unexpected),
          yesNo(s.balanced),
        ]),
        [1, 2, 3, 4, 5, 6],
      )}`
    : '<p class="empty">Not available from this store.</p>';
  return `<section><h2>Invoices stuck past SLA at the end of the month</h2>
<p>Total: ${num(report.stuck.invoices)}</p>
${stuck}
</section>
<section><h2>Reconciliation for the month</h2>
${reconciliation}
</section>`;
}

function notesSection(report: MonthlyReport): string {
  if (report.notes.length === 0) return '';
  return `<section><h2>Notes</h2>\n${report.notes.map((n) => `<p class="note">${e(n)}</p>`).join('\n')}\n</section>`;
}

function definitionsSection(report: MonthlyReport): string {
  const items = REPORT_FIGURES.map((f) => `<dt>${e(f)}</dt><dd>${e(report.definitions[f])}</dd>`).join('\n');
  return `<section><h2>What the figures mean</h2>\n<dl>\n${items}\n</dl>\n</section>`;
}

/**
 * The report as one self-contained HTML page (see the module comment). Pure.
 *
 * @example
 * reportHtml(report).startsWith('<!doctype html>'); // true
 */
export function reportHtml(report: MonthlyReport): string {
  const title = `Monthly invoice report ${report.month} — ${report.cell}`;
  const period = `${report.month} in ${report.timeZone} (${report.from} to ${report.to})`;
  const status = report.monthComplete ? 'complete month' : `month so far, as of ${report.asOf}`;
  const currencies =
    report.currencies.length === 0
      ? '<p class="empty">No invoices in this month.</p>'
      : report.currencies.map(currencySection).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${e(title)}</h1>
<p class="meta">${e(period)} &middot; ${e(status)} &middot; generated ${e(report.generatedAt)}</p>
<p class="meta">Amounts are exact and per currency; currencies are never added together.</p>
${currencies}
${checksSection(report)}
${notesSection(report)}
${definitionsSection(report)}
</body>
</html>
`;
}
