import type { CellTopology } from '../../cells/topology.js';
import type { MonthlyReportData, ReconciliationData, StuckRow } from '../reports/monthly-report.js';
import { type FigureRead, figureReads, figuresOf, type RollupFigureRows } from '../reports/report-figures.js';
import type { MonthlyReportSource, ReportRange } from '../reports/report-source.js';
import { type RollupQuery, readReportRollup } from './report-rollup-read.js';
import { inTransaction, jsonParam, type SqlExecutor, sqlParam } from './sql-executor.js';

/**
 * The monthly report's {@link MonthlyReportSource} on an Aurora PostgreSQL cell: the same figures,
 * read the same way, as the local cell's `localReportSource` — from the panel-derived rollups the
 * store writes in each record's transaction (`rollup_rows`, read with the dashboards' `readPanel`,
 * `report-rollup-read.ts`) and from the `invoice_state` deadline index, never a scan of `records`:
 *
 * | figure | read |
 * |---|---|
 * | received, by vendor | rollup of `fin-amount-by-vendor` over the month |
 * | posted by status | rollup of `fin-completed-value-trend` over the month |
 * | payment-terms mix | rollup of the hidden `report-payment-terms-by-currency` over the month |
 * | open book | rollup of the hidden `report-open-book` over all history up to the as-of minute |
 * | stuck | `invoice_state` deadline index, `deadline_ms < asOf` |
 * | vendor names | `vendors` by primary key, for the vendor ids received |
 * | reconciliation | the {@link PostgresReportReconciler} given (on AWS: CloudWatch sums and queue depths) |
 *
 * Every read runs in one `REPEATABLE READ, READ ONLY` transaction: the figures see one snapshot.
 *
 * @example
 * const source = new PostgresReportSource({ executor, topology, reconciler });
 * const report = await generateMonthlyReport(source, { month: '2026-10', timeZone: topology.settings.timeZone, cell, nowMs });
 */

/** The reconciliation part of a month's data (`MetricReportReconciler` on AWS). */
export interface PostgresReportReconciler {
  read(range: ReportRange): Promise<{
    readonly reconciliation: ReconciliationData;
    readonly notes: readonly string[];
  }>;
}

export interface PostgresReportSourceOptions {
  readonly executor: SqlExecutor;
  /** Stage order, SLAs and terminal statuses; the rollup specs are derived from it. */
  readonly topology: CellTopology;
  readonly reconciler: PostgresReportReconciler;
}

/** The names of the vendor ids given (`vendors`, migration 0004): primary-key lookups only. */
export const REPORT_VENDOR_NAMES_SQL = `SELECT vendor_id, name FROM vendors
WHERE vendor_id IN (SELECT jsonb_array_elements_text(CAST(:vendor_ids AS jsonb)))`;

/** One snapshot for every figure; `SET TRANSACTION` must be the transaction's first statement. */
export const REPORT_SNAPSHOT_SQL = 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY';

/** Invoices past their stage's SLA deadline at `:as_of_ms`, per stage (the partial deadline index). */
export const REPORT_STUCK_SQL = `SELECT stage_order, count(*) AS n
FROM invoice_state
WHERE deadline_ms IS NOT NULL AND deadline_ms < CAST(:as_of_ms AS bigint)
GROUP BY stage_order`;

async function readRollupFigures(
  query: RollupQuery,
  topology: CellTopology,
  range: ReportRange,
): Promise<RollupFigureRows & { notes: readonly string[] }> {
  const plan = figureReads(range);
  const read = async ({ panelId, fromMs, toMs }: FigureRead) =>
    (await readReportRollup(query, topology, panelId, { fromMs, toMs })).rows;
  const { reads } = plan;
  const rows = {
    received: await read(reads.received),
    posted: await read(reads.posted),
    paymentTerms: await read(reads.paymentTerms),
    open: await read(reads.open),
  };
  return { ...figuresOf(rows, topology), notes: plan.notes };
}

async function readStuck(query: RollupQuery, topology: CellTopology, asOfMs: number): Promise<StuckRow[]> {
  const rows = await query(REPORT_STUCK_SQL, [sqlParam('as_of_ms', asOfMs)]);
  const counts = new Map(rows.map((r) => [Number(r.stage_order), Number(r.n)]));
  return topology.stages
    .filter((s) => s.slaSec > 0)
    .map((s) => ({ stage: s.name, invoices: counts.get(s.order) ?? 0 }));
}

export class PostgresReportSource implements MonthlyReportSource {
  readonly #options: PostgresReportSourceOptions;

  constructor(options: PostgresReportSourceOptions) {
    this.#options = options;
  }

  async readMonth(range: ReportRange): Promise<MonthlyReportData> {
    const { executor, topology, reconciler } = this.#options;
    const [store, checks] = await Promise.all([
      inTransaction(executor, async (tx) => {
        await tx.execute(REPORT_SNAPSHOT_SQL);
        const query: RollupQuery = async (sql, params) => (await tx.execute(sql, params)).rows;
        const figures = await readRollupFigures(query, topology, range);
        const stuck = await readStuck(query, topology, range.asOfMs);
        const ids = [...new Set(figures.received.map((r) => r.vendorId))];
        const names =
          ids.length === 0 ? [] : await query(REPORT_VENDOR_NAMES_SQL, [jsonParam('vendor_ids', ids)]);
        return {
          figures,
          stuck,
          vendorNames: new Map(names.map((n) => [String(n.vendor_id), String(n.name)])),
        };
      }),
      reconciler.read(range),
    ]);
    const { figures, stuck, vendorNames } = store;
    return {
      stages: topology.stages.map((s) => s.name),
      received: figures.received,
      vendorNames,
      posted: figures.posted,
      paymentTerms: figures.paymentTerms,
      open: figures.open,
      stuck,
      reconciliation: checks.reconciliation,
      notes: [...figures.notes, ...checks.notes],
    };
  }
}
