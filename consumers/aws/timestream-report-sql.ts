import { quoteIdentifier, quoteLiteral } from '../sql/sql-text.js';
import { TIMESTREAM_MEASURES } from './timestream-record.js';
import type { ReportFigureSource, ReportSourceFigure } from './timestream-report-spec.js';
import { TIMESTREAM_WINDOW, timestreamTable } from './timestream-sql.js';

/**
 * The monthly report's queries over a cell's Timestream latest-state table. The rollup scheduled
 * queries write, per latest-state scope (measure name = scope id), each partition's newest record of
 * a run's window with the record table's own column names (`dashboards/renderers/timestream-latest-sql.ts`);
 * a partition's rows only move forward in time, so the newest row of an invoice is its latest event
 * as far as the runs have seen. Each figure takes that newest row per invoice (by time, then event
 * id, as the records are ordered everywhere) and counts it when its time is in the window — the
 * rule of the local rollups: an invoice counts once, in the month of its latest event.
 *
 * | figure | rows | window | groups | values |
 * |---|---|---|---|---|
 * | received | first stage | the month | vendor, currency | invoices, SUM(amount_minor) |
 * | posted | last stage | the month | currency, status | invoices, SUM(amount_minor) |
 * | paymentTerms | first stage | the month | currency, payment days | invoices |
 * | open | every stage (per invoice) | all history to the as-of time | currency, status | invoices, SUM(amount_minor) |
 *
 * Rows older than the window start cannot be an invoice's newest row inside the window, so they are
 * not read (the ranking starts there). Money is the BIGINT sum of minor units, which Timestream
 * answers as a decimal string: no float anywhere.
 *
 * @example
 * const sql = reportFigureSql('received', spec.figures.received, { database, table }, { sinceMs: fromMs, fromMs, toMs });
 */

const q = quoteIdentifier;
const M = TIMESTREAM_MEASURES;

/** Output columns of the figure queries. */
export const REPORT_COLUMNS = {
  vendorId: 'vendor_id',
  currency: 'currency',
  status: 'status',
  paymentTermsDays: 'payment_terms_days',
  invoices: 'invoices',
  amountMinor: 'amount_minor',
} as const;

/** The rows' window: ranked from `sinceMs`, counted when the newest row is in `[fromMs, toMs)`. */
export interface ReportSqlWindow {
  readonly sinceMs: number;
  readonly fromMs: number;
  readonly toMs: number;
}

/** Where the latest-state rows are. */
export interface ReportSqlTable {
  readonly database: string;
  /** The latest-state table (`TimeseriesStore.latestState`). */
  readonly table: string;
}

interface FigureShape {
  /** `[expression, output column]` of each group. */
  readonly groups: readonly (readonly [string, string])[];
  readonly money: boolean;
}

const SHAPES: Readonly<Record<ReportSourceFigure, FigureShape>> = {
  received: {
    groups: [
      [q('vendorId'), REPORT_COLUMNS.vendorId],
      ['currency', REPORT_COLUMNS.currency],
    ],
    money: true,
  },
  posted: {
    groups: [
      ['currency', REPORT_COLUMNS.currency],
      [q(M.status), REPORT_COLUMNS.status],
    ],
    money: true,
  },
  paymentTerms: {
    groups: [
      ['currency', REPORT_COLUMNS.currency],
      [q(M.paymentTermsDays), REPORT_COLUMNS.paymentTermsDays],
    ],
    money: false,
  },
  open: {
    groups: [
      ['currency', REPORT_COLUMNS.currency],
      [q(M.status), REPORT_COLUMNS.status],
    ],
    money: true,
  },
};

/**
 * The query of one figure. Pure; throws `QueryParameterError` for an unsafe name, scope, stage or
 * window bound.
 *
 * @example
 * reportFigureSql('open', { scope: 's_0123456789' }, { database: 'db', table: 'latest' }, { sinceMs: 0, fromMs: 0, toMs: asOfMs });
 */
export function reportFigureSql(
  figure: ReportSourceFigure,
  source: ReportFigureSource,
  table: ReportSqlTable,
  window: ReportSqlWindow,
): string {
  const shape = SHAPES[figure];
  const columns = [...new Set([...shape.groups.map(([expr]) => expr), q(M.amountMinor)])];
  const where = [
    `measure_name = ${quoteLiteral(source.scope, 'scope')}`,
    ...(source.stage !== undefined ? [`stage = ${quoteLiteral(source.stage, 'stage')}`] : []),
    `time >= ${TIMESTREAM_WINDOW.epochMs(window.sinceMs)}`,
  ];
  const select = [
    ...shape.groups.map(([expr, alias]) => (expr === alias ? expr : `${expr} AS ${alias}`)),
    `count(*) AS ${REPORT_COLUMNS.invoices}`,
    ...(shape.money ? [`SUM(${q(M.amountMinor)}) AS ${REPORT_COLUMNS.amountMinor}`] : []),
  ];
  return `WITH newest AS (
  SELECT ${columns.join(', ')}, time,
    ROW_NUMBER() OVER (PARTITION BY ${q('invoiceId')} ORDER BY time DESC, ${q('eventId')} DESC) AS invoice_rank
  FROM ${timestreamTable(table.database, table.table)}
  WHERE ${where.join('\n    AND ')}
)
SELECT ${select.join(', ')}
FROM newest
WHERE invoice_rank = 1 AND time >= ${TIMESTREAM_WINDOW.epochMs(window.fromMs)} AND time < ${TIMESTREAM_WINDOW.epochMs(window.toMs)}
GROUP BY ${shape.groups.map(([expr]) => expr).join(', ')}`;
}
