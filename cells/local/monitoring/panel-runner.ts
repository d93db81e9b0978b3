import type { Database } from 'better-sqlite3';
import type { CellTopology, StageName } from '../../../cells/topology.js';
import type { ReconcileReport } from '../../../consumers/monitoring/reconcile.js';
import type { StuckInvoice } from '../../../consumers/monitoring/stuck.js';
import { binForRange } from '../../../dashboards/panels/bin-for-range.js';
import { type Panel, type RecordsQuery, TIME_BINS, type TimeBin } from '../../../dashboards/panels/panels.js';
import type { RollupRow } from '../../../dashboards/rollups/apply-record.js';
import { type CellRollups, cellRollups, specShapeKey } from '../../../dashboards/rollups/cell-rollups.js';
import {
  type PanelMergeCache,
  type PanelRow,
  type RollupRowReader,
  readPanel,
} from '../../../dashboards/rollups/read-panel.js';
import { type RollupSpec, specShapeOf } from '../../../dashboards/rollups/rollup-specs.js';
import type { RollupTier } from '../../../dashboards/rollups/window-plan.js';
import type { RecordsPanelRow, SlaPanelRow } from '../../../schemas/api/index.js';
import { formatMinorUnits } from '../../../schemas/money.js';
import { rollupReaderOf } from '../storage/rollup-reader.js';
import { readSlaRollups } from '../storage/sla-rollup-reader.js';
import { lookupVendorNames } from '../storage/vendor-names.js';
import { readCountPanel, servesCounts } from './count-panel.js';
import { type PercentileCache, readPercentilePanel, servesPercentiles } from './percentile-panel.js';
import { localReconcileReport } from './reconcile-answer.js';
import { StuckReport } from './stuck-answer.js';

/**
 * Runs a dashboard panel against the local cell database and shapes its rows: the local adapter
 * of the panel definitions. `records` panels read the rollups (`dashboards/rollups/read-panel.ts`
 * over `storage/rollup-reader.ts`): a few primary-key range reads whatever the history holds. The
 * raw-scan SQL of `dashboards/renderers/local-sql.ts` stays the reference they are tested against
 * (`records-sql.ts`).
 */

/**
 * One row of a `records` panel (group fields present when grouped by) and of an `sla` panel: the
 * contract's types, re-exported for the panel runner's callers.
 */
export type { RecordsPanelRow, SlaPanelRow };

/** A `records` panel's rows and, when binned, the bin they were grouped by. */
export interface LocalRecordsResult {
  readonly source: 'records';
  readonly rows: readonly RecordsPanelRow[];
  /** The bin used: the declared one, or the one {@link binForRange} picked for the window. */
  readonly timeBin?: TimeBin;
  readonly binMs?: number;
  /** The panel's declared bin, when another one was used. */
  readonly declaredTimeBin?: TimeBin;
  /**
   * The window the rows cover: the asked one snapped to the rollup bins read (minute edges for
   * counters, 5 minutes for latency histograms, coarser where finer bins are no longer kept).
   */
  readonly effectiveFromMs: number;
  readonly effectiveToMs: number;
}

export type LocalPanelResult =
  | LocalRecordsResult
  | {
      readonly source: 'sla';
      readonly rows: readonly SlaPanelRow[];
      /** The window the rows cover: the asked one snapped to the minute bins of the SLA rollups. */
      readonly effectiveFromMs: number;
      readonly effectiveToMs: number;
    }
  | { readonly source: 'stuck'; readonly invoices: readonly StuckInvoice[] }
  | { readonly source: 'reconcile'; readonly report: ReconcileReport };

export interface LocalPanelParams {
  /** Window start, epoch ms (inclusive). For `stuck` it is the look-back start. */
  readonly fromMs: number;
  /** Window end, epoch ms (exclusive). */
  readonly toMs: number;
  /** For `sla` and `stuck`; defaults to `toMs`. */
  readonly nowMs?: number;
  /** Only this cell's records; all cells otherwise. */
  readonly cell?: string;
  /**
   * The cell this database holds. Rollups hold one cell's records, so a `records` panel asked for
   * another `cell` answers no rows; unknown, `cell` is not checked for `records` panels.
   */
  readonly cellName?: string;
  /** Per rollup tier, the start of the oldest bin retention still keeps (see `planWindow`). */
  readonly oldestRetainedMs?: Readonly<Partial<Record<RollupTier, number>>>;
  /** Stage order, SLAs and terminal statuses of the cell whose records are read. */
  readonly topology: CellTopology;
  /** Rollup rows read earlier in the same request, reused by panels of the same rollup. */
  readonly rowCache?: RollupRowCache;
  /** Windows merged earlier in the same request. */
  readonly mergeCache?: PanelMergeCache;
  /** Percentile windows read earlier in the same request (the p50, p95 and p99 panels share one). */
  readonly percentileCache?: PercentileCache;
}

/**
 * Rollup rows by spec, tier and range, for one request: the latency p50, p95 and p99 panels read
 * the same histogram rows, which are the bulk of a view's reads when latencies spread widely.
 */
export type RollupRowCache = Map<string, readonly RollupRow[]>;

function cachedReader(
  spec: RollupSpec,
  read: RollupRowReader,
  cache: RollupRowCache | undefined,
): RollupRowReader {
  if (cache === undefined) return read;
  return (tier, fromMs, toMs) => {
    const key = `${spec.id}|${tier}|${fromMs}|${toMs}`;
    let rows = cache.get(key);
    if (rows === undefined) {
      rows = [...read(tier, fromMs, toMs)];
      cache.set(key, rows);
    }
    return rows;
  };
}

/** `queue` and `alarms` panels read the running cell (live queue stats, evaluator state), not SQL. */
export class LocalPanelSourceError extends Error {
  constructor(panelId: string, source: string) {
    super(
      `panel ${panelId}: ${source} data comes from the running cell (stats, alarm evaluator), not the database`,
    );
    this.name = 'LocalPanelSourceError';
  }
}

/** A `records` panel no rollup serves: names the panel and why. */
export class RecordsPanelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordsPanelError';
  }
}

/**
 * The bin a binned query runs with over the window: {@link binForRange} of the declared bin, but
 * never finer than the rollup's finest tier (a latency histogram is kept per 5 minutes). Bins of
 * the due date keep the declared bin: the window selects records by their time, while due dates
 * spread weeks ahead of it, so the window's length says nothing about their range.
 */
function chosenBin(query: RecordsQuery, params: LocalPanelParams, spec: RollupSpec): TimeBin | undefined {
  if (!query.timeBin || query.timeField === 'dueDate') return query.timeBin;
  const bin = binForRange(query.timeBin, params.toMs - params.fromMs);
  const finest = spec.tiers[0];
  return finest !== undefined && TIME_BINS[bin] < TIME_BINS[finest] ? finest : bin;
}

/**
 * Adds each row's vendor name: primary-key lookups of the answer's vendor ids only.
 *
 * @example
 * withVendorNames(db, [{ vendorId: 'V-7', value: 1 }]); // [{ vendorId: 'V-7', vendorName: 'Acme', value: 1 }]
 */
export function withVendorNames(db: Database, rows: RecordsPanelRow[]): RecordsPanelRow[] {
  const ids = rows.flatMap((r) => (r.vendorId === undefined ? [] : [r.vendorId]));
  if (ids.length === 0) return rows;
  const names = lookupVendorNames(db, ids);
  return rows.map((r) => {
    const name = r.vendorId === undefined ? undefined : names.get(r.vendorId);
    return name === undefined ? r : { ...r, vendorName: name };
  });
}

/** The rollup a panel reads, the panel as that rollup serves it, and a stage to keep rows of. */
interface ServedPanel {
  readonly spec: RollupSpec;
  readonly panel: Panel;
  readonly stage?: StageName;
}

/**
 * The spec serving a panel's query (its shape, `specShapeOf`). A stage filter the request added
 * (`dashboard-data.ts`) is served by the unfiltered rollup when that one is grouped by stage (its
 * rows are kept for the stage); a panel that counts each invoice once over every stage has no
 * per-stage rollup, and neither has a query that is not a dashboard panel.
 */
function servedPanel(rollups: CellRollups, panel: Panel, query: RecordsQuery): ServedPanel {
  const spec = rollups.specsByShape.get(specShapeKey(specShapeOf(panel.id, query)));
  if (spec) return { spec, panel: { ...panel, query } };
  const stage = query.filters?.stage;
  if (stage !== undefined) {
    const { stage: _stage, ...filters } = query.filters ?? {};
    const unfiltered: RecordsQuery = { ...query, filters };
    const wide = rollups.specsByShape.get(specShapeKey(specShapeOf(panel.id, unfiltered)));
    if (wide?.keys.includes('stage')) return { spec: wide, panel: { ...panel, query: unfiltered }, stage };
    throw new RecordsPanelError(
      `panel ${panel.id}: cannot be filtered to stage ${stage}: it counts each invoice once over all stages; clear the stage filter`,
    );
  }
  throw new RecordsPanelError(
    `panel ${panel.id}: no rollup serves this query; rollups are derived from the records panels of the dashboards`,
  );
}

function panelRow(query: RecordsQuery, spec: RollupSpec, row: PanelRow): RecordsPanelRow {
  const out: Record<string, unknown> = {};
  if (query.timeBin) out.binStartMs = row.binStartMs;
  for (const field of query.groupBy) out[field] = row.groups[field] ?? null;
  if (spec.value === 'money') {
    const currency = row.groups.currency;
    if (typeof currency !== 'string')
      throw new RecordsPanelError(`rollup ${spec.id}: a money row has no currency`);
    const minor = BigInt(row.value);
    out.value = formatMinorUnits(minor, currency);
    out.amountMinor = minor.toString();
  } else {
    out.value = Number(row.value);
  }
  return out as unknown as RecordsPanelRow;
}

/**
 * The rows of a panel with nothing in the window, as SQL answers them: a panel with neither groups
 * nor bins is one aggregate row (a count of 0, an average of nothing: null), others have no rows.
 */
function emptyRows(query: RecordsQuery): RecordsPanelRow[] {
  if (query.groupBy.length > 0 || query.timeBin !== undefined) return [];
  if (query.aggregation === 'count') return [{ value: 0 }];
  return query.aggregation === 'avg' || query.aggregation === 'sum' ? [{ value: null }] : [];
}

function runRecords(
  db: Database,
  panel: Panel,
  declared: RecordsQuery,
  params: LocalPanelParams,
): LocalRecordsResult {
  const rollups = cellRollups(params.topology);
  const served = servedPanel(rollups, panel, declared);
  const timeBin = chosenBin(declared, params, served.spec);
  const bins =
    timeBin === undefined
      ? {}
      : {
          timeBin,
          binMs: TIME_BINS[timeBin],
          ...(timeBin !== declared.timeBin && declared.timeBin ? { declaredTimeBin: declared.timeBin } : {}),
        };
  if (params.cell !== undefined && params.cellName !== undefined && params.cell !== params.cellName) {
    return {
      source: 'records',
      rows: emptyRows(declared),
      ...bins,
      effectiveFromMs: params.fromMs,
      effectiveToMs: params.toMs,
    };
  }
  const options = {
    fromMs: params.fromMs,
    toMs: params.toMs,
    stageOrder: rollups.stageOrder,
    ...(timeBin !== undefined ? { panelBin: timeBin } : {}),
    ...(params.oldestRetainedMs ? { oldestRetainedMs: params.oldestRetainedMs } : {}),
    ...(params.mergeCache ? { mergeCache: params.mergeCache } : {}),
  };
  // One read transaction: the segment reads see one snapshot, never half of a concurrent write.
  const servedQuery = served.panel.query as RecordsQuery;
  const read = db.transaction(() =>
    servesPercentiles(served.spec, servedQuery)
      ? readPercentilePanel(db, served.spec, servedQuery, options, params.percentileCache)
      : servesCounts(served.spec, servedQuery)
        ? readCountPanel(db, served.spec, servedQuery, options)
        : readPanel(
            served.spec,
            served.panel,
            options,
            cachedReader(served.spec, rollupReaderOf(db).rowsOf(served.spec), params.rowCache),
          ),
  )();
  const rows = read.rows
    .filter((r) => served.stage === undefined || r.groups.stage === served.stage)
    .map((r) => panelRow(declared, served.spec, r));
  return {
    source: 'records',
    rows: rows.length > 0 ? withVendorNames(db, rows) : emptyRows(declared),
    ...bins,
    effectiveFromMs: read.fromMs,
    effectiveToMs: read.toMs,
  };
}

/**
 * Runs a panel against the local cell database: `records` from its rollup (a binned panel with the
 * bin {@link chosenBin} picks for the window, vendor names added; {@link RecordsPanelError} when no
 * rollup serves the query), `sla` from the SLA rollups (`readSlaRollups`), `stuck`
 * from the invoice-state deadline index (`StuckReport`), `reconcile` from its per-bin
 * counters (`localReconcileReport`). Throws {@link LocalPanelSourceError} for `queue` and
 * `alarms`.
 */
export function runLocalPanel(db: Database, panel: Panel, params: LocalPanelParams): LocalPanelResult {
  const { topology } = params;
  const nowMs = params.nowMs ?? params.toMs;
  const { query } = panel;
  switch (query.source) {
    case 'records':
      return runRecords(db, panel, query, params);
    case 'sla': {
      // SLA rollups (`sla-rollup-reader.ts`): the window snaps to minute bins at its edges. They
      // hold this database's cell only: another cell's filter answers zeros.
      const read = readSlaRollups(db, topology, {
        fromMs: params.fromMs,
        toMs: params.toMs,
        nowMs,
        ...(params.oldestRetainedMs ? { oldestRetainedMs: params.oldestRetainedMs } : {}),
      });
      const otherCell =
        params.cell !== undefined && params.cellName !== undefined && params.cell !== params.cellName;
      const zero = { met: 0, missed: 0, pending: 0, ended: 0, value: null };
      const rows = otherCell ? read.rows.map((r) => ({ ...r, ...zero })) : read.rows;
      return { source: 'sla', rows, effectiveFromMs: read.fromMs, effectiveToMs: read.toMs };
    }
    case 'stuck': {
      // The invoice_state deadline index (`StuckReport`); the window start is the look-back.
      const lookbackSec = Math.max(1, Math.ceil((nowMs - params.fromMs) / 1000));
      return { source: 'stuck', invoices: new StuckReport(db, topology, lookbackSec).invoices(nowMs) };
    }
    case 'reconcile': {
      const report = localReconcileReport(db, topology, params.fromMs, params.toMs, { nowMs });
      return { source: 'reconcile', report };
    }
    case 'queue':
    case 'alarms':
      throw new LocalPanelSourceError(panel.id, query.source);
  }
}
