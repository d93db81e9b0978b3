import type { ReportFormatName, ReportsAnswer, StoredReport } from '../../../schemas/api/index.js';
import { fetchReports } from '../api.js';
import { $, el, table } from '../dom.js';
import { state } from '../state.js';

/**
 * The Reports tab: the monthly reports the cell has stored (`GET /reports`, newest month first),
 * each with download links to its HTML, JSON and CSV renderings (`GET /reports/{month}?format=…`),
 * or a sentence saying there are none yet and when the cell writes one.
 *
 * @example
 * showView(REPORTS_VIEW); // buildView() calls showReports(), which draws the list into the grid
 */

/** The id of the Reports tab in the URL hash (`#view=reports`); no dashboard has it. */
export const REPORTS_VIEW = 'reports';

/** What the page says when the cell has stored no report yet. */
export const NO_REPORTS_TEXT =
  'No stored reports yet. The cell stores the previous month’s report on the 1st of each month at 00:05 (its time zone); a report of any month, the current one so far too, is at /reports/YYYY-MM.';

const FORMAT_LABELS: Readonly<Record<ReportFormatName, string>> = { html: 'HTML', json: 'JSON', csv: 'CSV' };

/** One download link of a stored report. */
export interface ReportDownload {
  readonly format: ReportFormatName;
  readonly href: string;
  /** `CSV (2.1 KiB)`. */
  readonly label: string;
}

/** A size for people: bytes below 1 KiB, else KiB or MiB with one decimal. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * The download links of a stored report, one per stored format, in the answer's order. Pure.
 *
 * @example
 * reportDownloads({ month: '2026-10', formats: ['csv'], bytes: { csv: 2150 }, generatedAt });
 * // [{ format: 'csv', href: '/reports/2026-10?format=csv', label: 'CSV (2.1 KiB)' }]
 */
export function reportDownloads(report: StoredReport): ReportDownload[] {
  return report.formats.map((format) => {
    const bytes = report.bytes[format];
    return {
      format,
      href: `/reports/${encodeURIComponent(report.month)}?format=${format}`,
      label: bytes === undefined ? FORMAT_LABELS[format] : `${FORMAT_LABELS[format]} (${formatBytes(bytes)})`,
    };
  });
}

/** The links cell of one report: HTML opens in a new tab, JSON and CSV download. */
function downloadLinks(report: StoredReport): HTMLElement {
  const links = reportDownloads(report).map((d) =>
    el(
      'a',
      {
        href: d.href,
        'data-testid': `report-${report.month}-${d.format}`,
        ...(d.format === 'html'
          ? { target: '_blank', rel: 'noopener' }
          : { download: `report-${report.month}.${d.format}` }),
      },
      d.label,
    ),
  );
  const cell = el('span', { class: 'downloads' });
  for (const [i, link] of links.entries()) cell.append(...(i > 0 ? [' · ', link] : [link]));
  return cell;
}

/**
 * The list of stored reports into `body`, newest first as the cell answers; the empty-state text
 * when there are none.
 *
 * @example
 * renderReports(body, await fetchReports());
 */
export function renderReports(body: HTMLElement, reports: ReportsAnswer): void {
  if (reports.length === 0) {
    body.replaceChildren(el('p', { class: 'muted', 'data-testid': 'reports-empty' }, NO_REPORTS_TEXT));
    return;
  }
  body.replaceChildren(
    table(
      ['month', 'stored', 'download'],
      reports.map((r) => [r.month, new Date(r.generatedAt).toLocaleString(), downloadLinks(r)]),
      (i) => ({ 'data-testid': `report-row-${reports[i]?.month ?? ''}` }),
    ),
  );
}

/**
 * Shows the Reports tab in the grid: marks the tab, draws a panel and fills it from `/reports`
 * (an answer that arrives after the user left the tab is dropped).
 */
export function showReports(): void {
  const generation = state.generation;
  const body = el('div', { class: 'body' }, el('p', { class: 'muted' }, 'loading…'));
  $('main.grid').replaceChildren(
    el(
      'section',
      { class: 'panel wide', 'data-testid': 'panel-reports' },
      el('header', {}, el('h2', {}, 'Monthly reports')),
      body,
    ),
  );
  fetchReports().then(
    (reports) => {
      if (generation === state.generation) renderReports(body, reports);
    },
    (error: unknown) => {
      if (generation !== state.generation) return;
      body.replaceChildren(
        el('p', { class: 'health bad' }, `Cannot list reports: ${(error as Error).message}`),
      );
    },
  );
}
