import type { CellTopology } from '../../cells/topology.js';
import { REPORT_PANEL_IDS } from '../../dashboards/panels/report-panels.js';
import type { PanelRow } from '../../dashboards/rollups/read-panel.js';
import { isoFromMs } from '../../schemas/time.js';
import { endedStatuses } from './monthly-report.js';
import type { ReportRange } from './report-source.js';
import type { OpenRow, PaymentTermsRow, PostedRow, ReceivedRow } from './report-types.js';

/**
 * The month's figures that come from the panel-derived rollups, for every store that keeps them
 * (the local cell's SQLite, the Aurora cell's PostgreSQL): which report panel each figure reads
 * over which window ({@link figureReads}), and the rows turned into figures ({@link figuresOf}).
 * The stores only run the reads (synchronously in a SQLite transaction, through the Data API in
 * a PostgreSQL one).
 *
 * @example
 * const plan = figureReads(range, oldestDayKeptMs);
 * const rows = { received: read(plan.reads.received), ... };
 * const { received, posted, paymentTerms, open } = figuresOf(rows, topology);
 */

/** The figures read from rollups. */
export type RollupFigure = 'received' | 'posted' | 'paymentTerms' | 'open';

/** One figure's read: a report panel over `[fromMs, toMs)`, named `label` in notes. */
export interface FigureRead {
  readonly panelId: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly label: string;
}

export interface FigureReads {
  readonly reads: Readonly<Record<RollupFigure, FigureRead>>;
  /** What the plan itself says about the windows (the open book read to a minute's end). */
  readonly notes: readonly string[];
}

export interface RollupFigureRows {
  readonly received: ReceivedRow[];
  readonly posted: PostedRow[];
  readonly paymentTerms: PaymentTermsRow[];
  readonly open: OpenRow[];
}

const MINUTE_MS = 60_000;

/**
 * The reads of a month: received, posted and payment terms over the month; the open book over all
 * history kept (from `openSinceMs`: the oldest bin of the coarsest tier still kept, 0 when none was
 * pruned) up to the end of the as-of minute, the rollups' finest edge. Pure.
 */
export function figureReads(range: ReportRange, openSinceMs = 0): FigureReads {
  const month = { fromMs: range.fromMs, toMs: range.toMs };
  const asOfEdge = Math.ceil(range.asOfMs / MINUTE_MS) * MINUTE_MS;
  return {
    reads: {
      received: { panelId: REPORT_PANEL_IDS.receivedByVendor, ...month, label: 'invoices received' },
      posted: { panelId: REPORT_PANEL_IDS.postedByStatus, ...month, label: 'value posted' },
      paymentTerms: {
        panelId: REPORT_PANEL_IDS.paymentTermsByCurrency,
        ...month,
        label: 'payment-terms mix',
      },
      open: {
        panelId: REPORT_PANEL_IDS.openBook,
        fromMs: openSinceMs,
        toMs: asOfEdge,
        label: 'value still open',
      },
    },
    notes:
      asOfEdge === range.asOfMs
        ? []
        : [
            `value still open: read to the end of the as-of minute, ${isoFromMs(asOfEdge)} (rollups keep minutes)`,
          ],
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

function minorOf(row: PanelRow): bigint {
  return typeof row.value === 'bigint' ? row.value : BigInt(row.value);
}

/** The figures of the rows each read answered; the open book without ended statuses. Pure. */
export function figuresOf(
  rows: Readonly<Record<RollupFigure, readonly PanelRow[]>>,
  topology: CellTopology,
): RollupFigureRows {
  const ended = endedStatuses(topology.stages);
  return {
    received: rows.received.map((r) => ({
      vendorId: text(r.groups.vendorId),
      currency: text(r.groups.currency),
      invoices: r.count,
      minor: minorOf(r),
    })),
    posted: rows.posted.map((r) => ({
      currency: text(r.groups.currency),
      status: text(r.groups.status),
      invoices: r.count,
      minor: minorOf(r),
    })),
    paymentTerms: rows.paymentTerms.map((r) => ({
      currency: text(r.groups.currency),
      paymentTermsDays: typeof r.groups.paymentTermsDays === 'number' ? r.groups.paymentTermsDays : null,
      invoices: r.count,
    })),
    open: rows.open
      .filter((r) => !ended.has(text(r.groups.status)))
      .map((r) => ({
        currency: text(r.groups.currency),
        status: text(r.groups.status),
        invoices: r.count,
        minor: minorOf(r),
      })),
  };
}
