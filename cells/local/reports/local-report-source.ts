import {
  endedStatuses,
  type MonthlyReportData,
  type OpenRow,
  type PaymentTermsRow,
  type PostedRow,
  type ReceivedRow,
} from '../../../consumers/reports/monthly-report.js';
import type { MonthlyReportSource, ReportRange } from '../../../consumers/reports/report-source.js';
import { REPORT_PANEL_IDS } from '../../../dashboards/panels/report-panels.js';
import type { PanelRow } from '../../../dashboards/rollups/read-panel.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { CellTopology } from '../../topology.js';
import type { DatabaseHandle } from '../storage/db.js';
import { readRollupRetention } from '../storage/retention.js';
import { lookupVendorNames } from '../storage/vendor-names.js';
import { type ReportPanelWindow, readReportPanel } from './read-report-panel.js';
import { reportReconciliation, reportStuck } from './report-checks.js';

/**
 * The local cell's {@link MonthlyReportSource}: every figure from rollups or bounded index reads,
 * never a scan of `records`, so a report costs the same at ten million records as at ten.
 *
 * | figure | read |
 * |---|---|
 * | received, by vendor | rollup of `fin-amount-by-vendor` over the month |
 * | posted by status | rollup of `fin-completed-value-trend` over the month |
 * | payment-terms mix | rollup of the hidden `report-payment-terms-by-currency` over the month |
 * | open book | rollup of the hidden `report-open-book` over all history up to the as-of minute |
 * | vendor names | primary-key lookups of the month's vendors (`vendors`) |
 * | stuck | `invoice_state` deadline index, `deadline < asOf` |
 * | reconciliation | `reconcile_bins` of the month, the month's queued messages |
 *
 * The rollup figures are read in one read transaction (one snapshot).
 *
 * @example
 * const report = await generateMonthlyReport(localReportSource(db, topology, { now: () => clock.now() }), {
 *   month: '2026-10', timeZone: topology.settings.timeZone, cell: 'local', nowMs: clock.now(),
 * });
 */

/** What the local report source needs beside the database and topology; every field has a default. */
export interface LocalReportSourceDeps {
  /** The clock: the archive's retention horizon and "now" of queued messages (`Date.now` by default). */
  readonly now?: () => number;
}

const MINUTE_MS = 60_000;

function text(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

function minorOf(row: PanelRow): bigint {
  return typeof row.value === 'bigint' ? row.value : BigInt(row.value);
}

interface RollupFigures {
  readonly received: ReceivedRow[];
  readonly posted: PostedRow[];
  readonly paymentTerms: PaymentTermsRow[];
  readonly open: OpenRow[];
  readonly notes: string[];
}

function readRollupFigures(db: DatabaseHandle, topology: CellTopology, range: ReportRange): RollupFigures {
  const notes: string[] = [];
  const oldestRetainedMs = readRollupRetention(db);
  const read = (panelId: string, window: Omit<ReportPanelWindow, 'oldestRetainedMs'>) => {
    const result = readReportPanel(db, topology, panelId, { ...window, oldestRetainedMs });
    if (result.note) notes.push(result.note);
    return result.rows;
  };
  const month = { fromMs: range.fromMs, toMs: range.toMs };
  const received = read(REPORT_PANEL_IDS.receivedByVendor, { ...month, label: 'invoices received' }).map(
    (r): ReceivedRow => ({
      vendorId: text(r.groups.vendorId),
      currency: text(r.groups.currency),
      invoices: r.count,
      minor: minorOf(r),
    }),
  );
  const posted = read(REPORT_PANEL_IDS.postedByStatus, { ...month, label: 'value posted' }).map(
    (r): PostedRow => ({
      currency: text(r.groups.currency),
      status: text(r.groups.status),
      invoices: r.count,
      minor: minorOf(r),
    }),
  );
  const paymentTerms = read(REPORT_PANEL_IDS.paymentTermsByCurrency, {
    ...month,
    label: 'payment-terms mix',
  }).map(
    (r): PaymentTermsRow => ({
      currency: text(r.groups.currency),
      paymentTermsDays: typeof r.groups.paymentTermsDays === 'number' ? r.groups.paymentTermsDays : null,
      invoices: r.count,
    }),
  );
  // All history up to the as-of minute (the rollups' finest edge), from the oldest day bin kept:
  // the day tier is the last word (nothing older is kept anywhere), so starting there is all of it
  // and no note says the window was cut.
  const asOfEdge = Math.ceil(range.asOfMs / MINUTE_MS) * MINUTE_MS;
  const ended = endedStatuses(topology.stages);
  if (asOfEdge !== range.asOfMs) {
    notes.push(
      `value still open: read to the end of the as-of minute, ${isoFromMs(asOfEdge)} (rollups keep minutes)`,
    );
  }
  const sinceMs = oldestRetainedMs['1d'] ?? 0;
  const open = read(REPORT_PANEL_IDS.openBook, { fromMs: sinceMs, toMs: asOfEdge, label: 'value still open' })
    .filter((r) => !ended.has(text(r.groups.status)))
    .map(
      (r): OpenRow => ({
        currency: text(r.groups.currency),
        status: text(r.groups.status),
        invoices: r.count,
        minor: minorOf(r),
      }),
    );
  return { received, posted, paymentTerms, open, notes };
}

/**
 * The local cell's report source over one cell database (any connection; it only reads).
 *
 * @example
 * const source = localReportSource(db, topology);
 * const data = await source.readMonth({ month: '2026-10', fromMs, toMs, asOfMs: toMs });
 */
export function localReportSource(
  db: DatabaseHandle,
  topology: CellTopology,
  deps: LocalReportSourceDeps = {},
): MonthlyReportSource {
  const now = deps.now ?? Date.now;
  return {
    async readMonth(range: ReportRange): Promise<MonthlyReportData> {
      const nowMs = now();
      return db.transaction((): MonthlyReportData => {
        const figures = readRollupFigures(db, topology, range);
        const checks = reportReconciliation(db, topology, { fromMs: range.fromMs, toMs: range.toMs, nowMs });
        return {
          stages: topology.stages.map((s) => s.name),
          received: figures.received,
          vendorNames: lookupVendorNames(
            db,
            figures.received.map((r) => r.vendorId),
          ),
          posted: figures.posted,
          paymentTerms: figures.paymentTerms,
          open: figures.open,
          stuck: reportStuck(db, topology, range.asOfMs),
          reconciliation: checks.reconciliation,
          notes: [...figures.notes, ...checks.notes],
        };
      })();
    },
  };
}
