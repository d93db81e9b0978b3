import type { Database } from 'better-sqlite3';
import type { CellTopology } from '../../../cells/topology.js';
import { type ReconcileReport, reconcile } from '../../../consumers/monitoring/reconcile.js';
import { findStuckInvoices, latestFromRows, type StuckInvoice } from '../../../consumers/monitoring/stuck.js';
import { binForRange } from '../../../dashboards/panels/bin-for-range.js';
import { type Panel, type RecordsQuery, TIME_BINS, type TimeBin } from '../../../dashboards/panels/panels.js';
import {
  GROUP_COLUMNS,
  LocalQueryError,
  MONEY_SPLIT_FACTOR,
  renderLocalSql,
} from '../../../dashboards/renderers/local-sql.js';
import type { RecordsPanelRow, SlaPanelRow } from '../../../schemas/api/index.js';
import { formatMinorUnits } from '../../../schemas/money.js';
import {
  type LatestByInvoiceRow,
  localLatestByInvoiceSql,
  localReconcileInputs,
} from '../storage/monitoring-queries.js';
import { lookupVendorNames } from '../storage/vendor-names.js';

/**
 * Runs a dashboard panel (rendered to SQLite by `dashboards/renderers/local-sql.ts`) against the
 * local cell database and shapes its rows: the local adapter of the panel definitions.
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
}

export type LocalPanelResult =
  | LocalRecordsResult
  | { readonly source: 'sla'; readonly rows: readonly SlaPanelRow[] }
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
  /** Stage order, SLAs and terminal statuses of the cell whose records are read. */
  readonly topology: CellTopology;
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

type SqlRow = Record<string, unknown>;

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'bigint' ? Number(value) : Number(value);
}

function toBigInt(value: unknown): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new LocalQueryError(`expected an integer money sum, got ${String(value)}`);
}

function recordsRow(query: RecordsQuery, row: SqlRow): RecordsPanelRow {
  const out: Record<string, unknown> = {};
  if (query.timeBin) out.binStartMs = toNumber(row.bin_start);
  for (const field of query.groupBy) {
    const raw = row[GROUP_COLUMNS[field]];
    out[field] = field === 'paymentTermsDays' ? toNumber(raw) : raw;
  }
  if ('value_hi' in row) {
    const minor = toBigInt(row.value_hi) * BigInt(MONEY_SPLIT_FACTOR) + toBigInt(row.value_lo);
    const currency = row.currency;
    if (typeof currency !== 'string') throw new LocalQueryError('a money row has no currency');
    out.value = formatMinorUnits(minor, currency);
    out.amountMinor = minor.toString();
  } else {
    out.value = toNumber(row.value);
  }
  return out as unknown as RecordsPanelRow;
}

/**
 * The bin a binned query runs with over the window: {@link binForRange} of the declared bin. Bins
 * of the due date keep the declared bin: the window selects records by their time, while due
 * dates spread weeks ahead of it, so the window's length says nothing about their range.
 */
function chosenBin(query: RecordsQuery, params: LocalPanelParams): TimeBin | undefined {
  if (!query.timeBin || query.timeField === 'dueDate') return query.timeBin;
  return binForRange(query.timeBin, params.toMs - params.fromMs);
}

/** Adds each row's vendor name: primary-key lookups of the answer's vendor ids only. */
function withVendorNames(db: Database, rows: RecordsPanelRow[]): RecordsPanelRow[] {
  const ids = rows.flatMap((r) => (r.vendorId === undefined ? [] : [r.vendorId]));
  if (ids.length === 0) return rows;
  const names = lookupVendorNames(db, ids);
  return rows.map((r) => {
    const name = r.vendorId === undefined ? undefined : names.get(r.vendorId);
    return name === undefined ? r : { ...r, vendorName: name };
  });
}

function runRecords(db: Database, declared: RecordsQuery, params: LocalPanelParams): LocalRecordsResult {
  const timeBin = chosenBin(declared, params);
  const query: RecordsQuery = timeBin === undefined ? declared : { ...declared, timeBin };
  const rendered = renderLocalSql(query, params.topology);
  const bound = {
    cell: params.cell ?? null,
    ...rendered.params,
    ...(params.cell !== undefined ? { cell: params.cell } : {}),
    fromMs: params.fromMs,
    toMs: params.toMs,
  };
  const sqlRows = db.prepare<typeof bound, SqlRow>(rendered.sql).safeIntegers(true).all(bound);
  const rows = withVendorNames(
    db,
    sqlRows.map((r) => recordsRow(query, r)),
  );
  if (timeBin === undefined) return { source: 'records', rows };
  return {
    source: 'records',
    rows,
    timeBin,
    binMs: TIME_BINS[timeBin],
    ...(timeBin !== declared.timeBin && declared.timeBin ? { declaredTimeBin: declared.timeBin } : {}),
  };
}

/**
 * Runs a panel against the local cell database: `records` and `sla` through their SQL (a binned
 * `records` panel with the bin {@link chosenBin} picks for the window, vendor names added), `stuck`
 * through {@link localLatestByInvoiceSql} + `findStuckInvoices`, `reconcile` through
 * `localReconcileInputs` + `reconcile`. Throws {@link LocalPanelSourceError} for `queue` and
 * `alarms`.
 */
export function runLocalPanel(db: Database, panel: Panel, params: LocalPanelParams): LocalPanelResult {
  const { topology } = params;
  const nowMs = params.nowMs ?? params.toMs;
  const { query } = panel;
  switch (query.source) {
    case 'records':
      return runRecords(db, query, params);
    case 'sla': {
      const { sql } = renderLocalSql(query, topology);
      const bound = { cell: params.cell ?? null, fromMs: params.fromMs, toMs: params.toMs, nowMs };
      const rows = db.prepare<typeof bound, SqlRow>(sql).all(bound);
      const byStage = new Map(rows.map((r) => [String(r.stage), r]));
      // Every judged stage gets a row, zeros included, so a chart keeps its axis.
      const slaRows = topology.stages
        .filter((s) => s.slaSec > 0)
        .map((s): SlaPanelRow => {
          const r = byStage.get(s.name);
          return {
            stage: s.name,
            met: toNumber(r?.met) ?? 0,
            missed: toNumber(r?.missed) ?? 0,
            pending: toNumber(r?.pending) ?? 0,
            ended: toNumber(r?.ended) ?? 0,
            value: toNumber(r?.value),
          };
        });
      return { source: 'sla', rows: slaRows };
    }
    case 'stuck': {
      const bound = { fromMs: params.fromMs, cell: params.cell ?? null };
      const rows = db.prepare<typeof bound, LatestByInvoiceRow>(localLatestByInvoiceSql(topology)).all(bound);
      return { source: 'stuck', invoices: findStuckInvoices(latestFromRows(rows), topology, nowMs) };
    }
    case 'reconcile': {
      const inputs = localReconcileInputs(db, topology, params.fromMs, params.toMs);
      return { source: 'reconcile', report: reconcile(params, inputs) };
    }
    case 'queue':
    case 'alarms':
      throw new LocalPanelSourceError(panel.id, query.source);
  }
}
