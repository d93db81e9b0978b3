import type { Panel } from '../../../dashboards/panels/panel-types.js';
import { rollupDashboards } from '../../../dashboards/panels/report-panels.js';
import { cellRollups } from '../../../dashboards/rollups/cell-rollups.js';
import { type PanelRow, readPanel } from '../../../dashboards/rollups/read-panel.js';
import type { RollupTier } from '../../../dashboards/rollups/window-plan.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { CellTopology } from '../../topology.js';
import type { DatabaseHandle } from '../storage/db.js';
import { rollupReaderOf } from '../storage/rollup-reader.js';

/**
 * One report figure read from the rollup of the panel it is defined by (a finance panel or a hidden
 * report panel, `report-panels.ts`), the way the dashboards read them (`readPanel` over
 * `rollup-reader.ts`: a few primary-key range reads, whatever the history holds), over a window
 * with no panel bin: one row per group for the whole window. Call inside a read transaction so the
 * figures of one report see one snapshot.
 *
 * @example
 * const { rows, note } = readReportPanel(db, topology, 'fin-amount-by-vendor', { fromMs, toMs, label: 'received' });
 */

/** The rows of one figure and, when the rollups could not cover the window exactly, why. */
export interface ReportPanelRead {
  readonly rows: readonly PanelRow[];
  readonly note?: string;
}

export interface ReportPanelWindow {
  readonly fromMs: number;
  readonly toMs: number;
  /** What the figure is called in the note (e.g. `invoices received`). */
  readonly label: string;
  /** Per tier, the start of the oldest bin still kept (`readRollupRetention`). */
  readonly oldestRetainedMs?: Readonly<Partial<Record<RollupTier, number>>>;
}

/** A report panel no rollup of the cell serves (the cell's rollups were derived without it). */
export class ReportPanelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportPanelError';
  }
}

const panelCache = new WeakMap<CellTopology, Map<string, Panel | undefined>>();

function panelOf(topology: CellTopology, panelId: string): Panel {
  let panels = panelCache.get(topology);
  if (!panels) {
    panels = new Map();
    panelCache.set(topology, panels);
  }
  if (!panels.has(panelId)) {
    const all = rollupDashboards(topology).flatMap((d) => d.panels);
    panels.set(
      panelId,
      all.find((p) => p.id === panelId),
    );
  }
  const panel = panels.get(panelId);
  if (panel?.query.source !== 'records') {
    throw new ReportPanelError(`report panel ${panelId} is not a records panel of this cell's rollups`);
  }
  // One row per group over the whole window: the panel's bin (a trend's days) is not wanted here.
  const { timeBin: _bin, ...query } = panel.query;
  return { ...panel, query };
}

/**
 * The rows of panel `panelId` over `[fromMs, toMs)` read from its rollup, with a note when the
 * window the rollups answered is not the one asked (finer bins pruned by retention). Throws
 * {@link ReportPanelError} when no rollup of the cell serves the panel.
 */
export function readReportPanel(
  db: DatabaseHandle,
  topology: CellTopology,
  panelId: string,
  window: ReportPanelWindow,
): ReportPanelRead {
  const panel = panelOf(topology, panelId);
  const spec = cellRollups(topology).specs.find((s) => s.panelIds.includes(panelId));
  if (!spec) throw new ReportPanelError(`no rollup of this cell serves report panel ${panelId}`);
  const read = readPanel(
    spec,
    panel,
    {
      fromMs: window.fromMs,
      toMs: window.toMs,
      ...(window.oldestRetainedMs ? { oldestRetainedMs: window.oldestRetainedMs } : {}),
    },
    rollupReaderOf(db).rowsOf(spec),
  );
  if (read.fromMs === window.fromMs && read.toMs === window.toMs) return { rows: read.rows };
  return {
    rows: read.rows,
    note:
      `${window.label}: the rollups kept cover ${isoFromMs(read.fromMs)} to ${isoFromMs(read.toMs)} ` +
      `instead of ${isoFromMs(window.fromMs)} to ${isoFromMs(window.toMs)} (finer bins are pruned by retention)`,
  };
}
