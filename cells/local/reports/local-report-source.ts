import type { MonthlyReportData } from '../../../consumers/reports/monthly-report.js';
import {
  type FigureRead,
  figureReads,
  figuresOf,
  type RollupFigureRows,
} from '../../../consumers/reports/report-figures.js';
import type { MonthlyReportSource, ReportRange } from '../../../consumers/reports/report-source.js';
import type { CellTopology } from '../../topology.js';
import type { DatabaseHandle } from '../storage/db.js';
import { readRollupRetention } from '../storage/retention.js';
import { lookupVendorNames } from '../storage/vendor-names.js';
import { readReportPanel } from './read-report-panel.js';
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

function readRollupFigures(
  db: DatabaseHandle,
  topology: CellTopology,
  range: ReportRange,
): RollupFigureRows & { notes: string[] } {
  const oldestRetainedMs = readRollupRetention(db);
  // The day tier is the last word (nothing older is kept anywhere): the open book starts at its
  // oldest bin, so it is all of history and no note says the window was cut.
  const plan = figureReads(range, oldestRetainedMs['1d'] ?? 0);
  const notes = [...plan.notes];
  const read = ({ panelId, ...window }: FigureRead) => {
    const result = readReportPanel(db, topology, panelId, { ...window, oldestRetainedMs });
    if (result.note) notes.push(result.note);
    return result.rows;
  };
  const { reads } = plan;
  const rows = {
    received: read(reads.received),
    posted: read(reads.posted),
    paymentTerms: read(reads.paymentTerms),
    open: read(reads.open),
  };
  return { ...figuresOf(rows, topology), notes };
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
