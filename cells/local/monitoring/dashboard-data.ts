import type { Dashboard, Panel, QueueMetric } from '../../../dashboards/panels/panels.js';
import type { PanelMergeCache } from '../../../dashboards/rollups/read-panel.js';
import type {
  AlarmsAnswer,
  DashboardDataAnswer,
  DashboardMeta,
  PanelData,
  ReconcileAnswer,
  RecordsPanelData,
  StuckAnswer,
} from '../../../schemas/api/index.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { CellTopology, StageName } from '../../topology.js';
import type { Logger } from '../logger.js';
import type { DatabaseHandle } from '../storage/db.js';
import { readRollupRetention } from '../storage/retention.js';
import type { CellStats, StageStats } from './cell-stats.js';
import { failuresOf } from './counter-sampler.js';
import {
  queueEmptyReason,
  type ReasonWindow,
  recordsEmptyReason,
  slaEmptyReason,
  stageFilterReason,
} from './empty-reason.js';
import { errorText } from './error-text.js';
import { type LocalPanelParams, type RollupRowCache, runLocalPanel } from './panel-runner.js';
import type { PercentileCache } from './percentile-panel.js';

/**
 * `GET /dashboards` and `GET /dashboards/:view/data`: the dashboard definitions without their
 * queries, and the data of every panel of one view. `records` and `sla` panels run as SQL
 * (`panel-runner.ts`); `queue`, `stuck`, `alarms` and `reconcile` panels embed what the running
 * cell answers on its own routes. A failing panel answers `{ error }` and the others still answer.
 *
 * @example
 * const data = await dashboardData(dashboard, { fromMs, toMs, nowMs, stage: undefined, cell: undefined }, sources);
 */

/** What the panels read: the database for SQL panels, the cell for live ones. */
export interface DashboardDataSources {
  readonly db: DatabaseHandle;
  readonly topology: CellTopology;
  /** The cell the database holds: its rollups answer nothing for another `cell` filter. */
  readonly cellName?: string;
  /** Rollup rows already read for this request (panels of one rollup, e.g. p50/p95/p99, share them). */
  readonly rowCache?: RollupRowCache;
  /** Per request: windows merged by an earlier panel of the view (`readPanel`). */
  readonly mergeCache?: PanelMergeCache;
  /** Per request: percentile windows an earlier panel of the view read (`readPercentilePanel`). */
  readonly percentileCache?: PercentileCache;
  readonly logger: Logger;
  stats(): Promise<CellStats>;
  stuck(stage: StageName | undefined): Promise<StuckAnswer>;
  alarms(sinceMs: number): AlarmsAnswer;
  reconcile(fromMs: number, toMs: number): ReconcileAnswer;
}

/** The window and filters of one `/dashboards/:view/data` request (also what empty reasons name). */
export interface DashboardDataParams extends ReasonWindow {
  readonly fromMs: number;
  readonly toMs: number;
  readonly nowMs: number;
  readonly stage: StageName | undefined;
  readonly cell: string | undefined;
}

/** The `/dashboards` list: each dashboard and its panels, without their queries. */
export function dashboardSummaries(dashboards: readonly Dashboard[]): DashboardMeta[] {
  return dashboards.map((d) => ({
    id: d.id,
    title: d.title,
    description: d.description,
    panels: d.panels.map((p) => ({
      id: p.id,
      title: p.title,
      unit: p.unit,
      chart: p.chart,
      source: p.query.source,
      ...(p.description !== undefined ? { description: p.description } : {}),
    })),
  }));
}

/** The data of every panel of `dashboard`, in panel order. */
export async function dashboardData(
  dashboard: Dashboard,
  params: DashboardDataParams,
  sources: DashboardDataSources,
): Promise<DashboardDataAnswer> {
  // Queue panels of one view share one stats read (a failed read is tried again by the next one).
  let stats: CellStats | undefined;
  const request: DashboardDataSources = {
    ...sources,
    stats: async () => (stats ??= await sources.stats()),
    rowCache: new Map(),
    mergeCache: new Map(),
    percentileCache: new Map(),
  };
  const panels: Record<string, PanelData> = {};
  for (const panel of dashboard.panels) {
    try {
      panels[panel.id] = await panelData(panel, params, request);
    } catch (error) {
      sources.logger.warn('dashboard panel failed', { panel: panel.id, error: errorText(error) });
      panels[panel.id] = { error: errorText(error) };
    }
  }
  return { view: dashboard.id, from: isoFromMs(params.fromMs), to: isoFromMs(params.toMs), panels };
}

async function panelData(
  panel: Panel,
  params: DashboardDataParams,
  sources: DashboardDataSources,
): Promise<PanelData> {
  const { stage } = params;
  const keep = (s: string | undefined) => stage === undefined || s === undefined || s === stage;
  const { query: q } = panel;
  switch (q.source) {
    case 'records':
      return recordsData(panel, params, sources);
    case 'sla': {
      const result = runLocalPanel(sources.db, panel, panelParams(params, sources));
      if (result.source !== 'sla') return { rows: [] };
      const rows = result.rows.filter((r) => keep(r.stage));
      const emptyReason = slaEmptyReason(rows, stage, params, sources.topology);
      const { effectiveFromMs, effectiveToMs } = result;
      return { rows, effectiveFromMs, effectiveToMs, ...(emptyReason === undefined ? {} : { emptyReason }) };
    }
    case 'queue': {
      const current = await sources.stats();
      const rows = sources.topology.stages
        .filter((s) => keep(s.name))
        .map((s) => ({ stage: s.name, value: queueValue(q.metric, current.stages[s.name]) }));
      return rows.some((r) => r.value !== null)
        ? { rows }
        : { rows, emptyReason: queueEmptyReason(q.metric) };
    }
    case 'stuck': {
      const answer = await sources.stuck(stage);
      return { rows: answer.invoices, messages: answer.messages, generatedAt: answer.generatedAt };
    }
    case 'alarms': {
      const answer = sources.alarms(params.fromMs);
      return {
        rows: answer.alarms.filter((a) => keep(a.stage)),
        cellUnhealthy: answer.cellUnhealthy,
        cellUnhealthyAlarming: answer.cellUnhealthyAlarming,
        transitions: answer.transitions.filter((t) => keep(t.stage)),
      };
    }
    case 'reconcile': {
      const report = sources.reconcile(params.fromMs, params.toMs);
      return { ...report, rows: report.stages.filter((s) => keep(s.stage)) };
    }
  }
}

/**
 * A `records` panel under the request's stage filter, with the bin it was drawn with and, when it
 * has no value, why. A panel fixed to another stage than the filter's has no rows by definition.
 */
function recordsData(
  panel: Panel,
  params: DashboardDataParams,
  sources: DashboardDataSources,
): RecordsPanelData {
  const { query: q } = panel;
  if (q.source !== 'records') throw new Error(`panel ${panel.id} is not a records panel`);
  const { stage } = params;
  const own = q.filters?.stage;
  if (stage !== undefined && own !== undefined && own !== stage) {
    return { rows: [], emptyReason: stageFilterReason(own, stage, sources.topology) };
  }
  const query = stage === undefined ? q : { ...q, filters: { ...q.filters, stage } };
  const result = runLocalPanel(sources.db, { ...panel, query }, panelParams(params, sources));
  if (result.source !== 'records') return { rows: [] };
  const { source: _source, ...data } = result;
  const empty = result.rows.every((r) => r.value === null);
  return empty ? { ...data, emptyReason: recordsEmptyReason(query, params, sources.topology) } : data;
}

/**
 * The window and filters of a panel read, and what retention still keeps of each rollup tier (a
 * window older than a tier's oldest kept bin is read from a coarser tier: `planWindow`).
 */
function panelParams(
  params: DashboardDataParams,
  {
    db,
    topology,
    cellName,
    rowCache,
    mergeCache,
    percentileCache,
  }: Pick<
    DashboardDataSources,
    'db' | 'topology' | 'cellName' | 'rowCache' | 'mergeCache' | 'percentileCache'
  >,
): LocalPanelParams {
  const { fromMs, toMs, nowMs, cell } = params;
  const oldestRetainedMs = readRollupRetention(db);
  return {
    fromMs,
    toMs,
    nowMs,
    topology,
    ...(cell !== undefined ? { cell } : {}),
    ...(cellName !== undefined ? { cellName } : {}),
    ...(Object.keys(oldestRetainedMs).length > 0 ? { oldestRetainedMs } : {}),
    ...(rowCache !== undefined ? { rowCache } : {}),
    ...(mergeCache !== undefined ? { mergeCache } : {}),
    ...(percentileCache !== undefined ? { percentileCache } : {}),
  };
}

/** A queue panel's value for one stage; null when the cell has no such number. */
function queueValue(metric: QueueMetric, s: StageStats | undefined): number | null {
  if (!s) return null;
  switch (metric) {
    case 'queueDepth':
      return s.visible;
    case 'inFlight':
      return s.inFlight;
    case 'oldestMessageAgeSec':
      return s.oldestMessageAgeSec ?? 0;
    case 'dlqDepth':
      return s.inDlq;
    case 'processingFailures':
      return failuresOf(s);
    // The local relay runs inside the ingest transaction: it cannot fail on its own.
    case 'relayFailures':
      return 0;
    // 5xx answers are counted for the whole API, not per stage.
    case 'apiErrors':
      return null;
  }
}
