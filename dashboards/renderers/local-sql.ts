import type { Database } from 'better-sqlite3';
import { CELL_TOPOLOGY, type CellTopology } from '../../cells/topology.js';
import {
  localReconcileInputs,
  type ReconcileReport,
  reconcile,
} from '../../consumers/monitoring/reconcile.js';
import {
  findStuckInvoices,
  type LatestByInvoiceRow,
  latestFromRows,
  localLatestByInvoiceSql,
  type StuckInvoice,
} from '../../consumers/monitoring/stuck.js';
import { INVOICE_MEASURE_NAME } from '../../consumers/record.js';
import { formatMinorUnits } from '../../schemas/money.js';
import {
  type GroupByField,
  MONEY_MEASURES,
  type Panel,
  PERCENTILES,
  type PercentileAggregation,
  type RecordsQuery,
  type SlaQuery,
  TIME_BINS,
  type TimeBin,
} from '../panels/panels.js';
import { renderSlaSql } from './sla-sql.js';

/**
 * `records` (and `sla`) panel queries rendered to SQLite SQL for the local cell, and a runner.
 *
 * Named parameters: `:fromMs`, `:toMs` (the window, `[from, to)`), `:cell`
 * (NULL = every cell), `:stage` and `:status` when the query filters on them (their values come
 * with the rendered SQL), `:nowMs` for SLA attainment.
 *
 * - Time bins: `(time_ms / binMs) * binMs` (integer division; times are after 1970). Weeks start
 *   on Monday 00:00 UTC like Timestream's `date_trunc('week', ...)`: the bin is shifted by the
 *   4 days between the epoch (a Thursday) and Monday 1970-01-05.
 * - Latency = `stored_at_ms - received_at_ms`; its window and bins use `stored_at_ms` (when it was
 *   measured, as for the CloudWatch metric), every other measure uses the record time.
 * - Percentiles are exact, in SQL, by nearest rank: rows are numbered with `ROW_NUMBER() OVER
 *   (PARTITION BY <bin, groups> ORDER BY value)` and the row whose number is ⌈p·n/100⌉, computed
 *   in integers as `(n * p + 99) / 100`, is picked. (Timestream's `approx_percentile` is an
 *   estimate; for small groups the two may differ by one rank.)
 * - Money: summed in integer minor units, split as `sum(amount_minor / 1e9)` and
 *   `sum(amount_minor % 1e9)` and joined as bigint in TS — exact, and it never hits SQLite's
 *   64-bit `SUM` overflow; read with `safeIntegers`. The runner formats it per currency with
 *   `formatMinorUnits`.
 *
 * @example
 * const { sql, params } = renderLocalSql(panel.query);
 * const rows = runLocalPanel(db, panel, { fromMs, toMs });
 */

/** Output column of each group field (the same names in the Timestream SQL). */
export const GROUP_COLUMNS: Readonly<Record<GroupByField, string>> = {
  stage: 'stage',
  currency: 'currency',
  vendorId: 'vendor_id',
  status: 'status',
  paymentTermsDays: 'payment_terms_days',
};

/** Split point of the exact money sum. */
const MONEY_SPLIT = 1_000_000_000;
/** Monday 1970-01-05 00:00 UTC, where week bins start. */
const WEEK_OFFSET_MS = 4 * 86_400_000;

export type LocalSqlParam = string | number | null;

export interface LocalSql {
  readonly sql: string;
  /** Parameters fixed by the definition (`stage`, `status`, `cell` filters); add the window. */
  readonly params: Readonly<Record<string, LocalSqlParam>>;
}

/** A query the local renderer cannot express. */
export class LocalQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalQueryError';
  }
}

function binExpression(column: string, bin: TimeBin): string {
  const width = TIME_BINS[bin];
  if (bin === '1w') return `(((${column} - ${WEEK_OFFSET_MS}) / ${width}) * ${width} + ${WEEK_OFFSET_MS})`;
  return `((${column} / ${width}) * ${width})`;
}

function measureColumn(query: RecordsQuery): string | undefined {
  switch (query.measure) {
    case 'latency':
      return '(stored_at_ms - received_at_ms)';
    case 'paymentTermsDays':
      return 'payment_terms_days';
    case 'amount':
    case 'dueAmount':
      return 'amount_minor';
    case 'events':
      return undefined;
  }
}

function isPercentile(aggregation: string): aggregation is PercentileAggregation {
  return Object.hasOwn(PERCENTILES, aggregation);
}

/** Renders a `records` or `sla` query. Pure; throws {@link LocalQueryError}. */
export function renderLocalSql(
  query: RecordsQuery | SlaQuery,
  topology: CellTopology = CELL_TOPOLOGY,
): LocalSql {
  if (query.source === 'sla') {
    return {
      sql: renderSlaSql(topology, {
        eventsSelect: `SELECT invoice_id, stage_order, status, time_ms, id AS tiebreak
  FROM records
  WHERE measure_name = '${INVOICE_MEASURE_NAME}' AND time_ms >= :fromMs AND (:cell IS NULL OR cell = :cell)`,
        toMs: ':toMs',
        nowMs: ':nowMs',
      }),
      params: {},
    };
  }
  const params: Record<string, LocalSqlParam> = {};
  // A latency belongs to the moment it was measured (as the CloudWatch metric does), not to the
  // business time of the event, which may be hours earlier.
  const windowColumn = query.measure === 'latency' ? 'stored_at_ms' : 'time_ms';
  const where = [
    `measure_name = '${INVOICE_MEASURE_NAME}'`,
    `${windowColumn} >= :fromMs`,
    `${windowColumn} < :toMs`,
    '(:cell IS NULL OR cell = :cell)',
  ];
  const { filters } = query;
  if (filters?.stage !== undefined) {
    where.push('stage = :stage');
    params.stage = filters.stage;
  }
  if (filters?.status !== undefined) {
    where.push('status = :status');
    params.status = filters.status;
  }
  if (filters?.cell !== undefined) params.cell = filters.cell;
  const value = measureColumn(query);
  if (query.measure === 'dueAmount' || query.timeField === 'dueDate') where.push('due_date_ms IS NOT NULL');
  if (query.measure === 'paymentTermsDays') where.push('payment_terms_days IS NOT NULL');

  const groupsByStage = query.groupBy.includes('stage');
  const rank = query.distinctInvoices
    ? `,\n    ROW_NUMBER() OVER (PARTITION BY invoice_id${groupsByStage ? ', stage' : ''} ORDER BY time_ms DESC, id DESC) AS invoice_rank`
    : '';
  const filtered = `WITH filtered AS (
  SELECT *${rank}
  FROM records
  WHERE ${where.join('\n    AND ')}
)`;
  const only = query.distinctInvoices ? '\nWHERE invoice_rank = 1' : '';
  const timeColumn = query.timeField === 'dueDate' ? 'due_date_ms' : windowColumn;
  const bin = query.timeBin ? binExpression(timeColumn, query.timeBin) : undefined;
  const groupColumns = query.groupBy.map((g) => GROUP_COLUMNS[g]);
  const keys = [...(bin ? ['bin_start'] : []), ...groupColumns];
  const keySelect = [...(bin ? [`${bin} AS bin_start`] : []), ...groupColumns];

  if (isPercentile(query.aggregation)) {
    if (value === undefined)
      throw new LocalQueryError(`a percentile needs a measured value, not ${query.measure}`);
    const partition = keys.length > 0 ? `PARTITION BY ${keys.join(', ')} ` : '';
    const order = [...(bin ? ['bin_start'] : []), ...(groupsByStage ? ['stage_order'] : []), ...groupColumns];
    const sql = `${filtered},
measured AS (
  SELECT ${[...keySelect, ...(groupsByStage ? ['stage_order'] : []), `${value} AS value`].join(', ')}
  FROM filtered${only}
),
ranked AS (
  SELECT measured.*,
    ROW_NUMBER() OVER (${partition}ORDER BY value) AS value_rank,
    count(*) OVER (${partition.trimEnd()}) AS group_size
  FROM measured
)
SELECT ${[...keys, 'value'].join(', ')}
FROM ranked
WHERE value_rank = (group_size * ${PERCENTILES[query.aggregation]} + 99) / 100${
      order.length > 0 ? `\nORDER BY ${order.join(', ')}` : ''
    }`;
    return { sql, params };
  }

  let aggregate: string;
  if (query.aggregation === 'count') aggregate = 'count(*) AS value';
  else if (query.aggregation === 'avg') aggregate = `avg(${value}) AS value`;
  else if (query.aggregation === 'sum' && value !== undefined && MONEY_MEASURES.has(query.measure)) {
    aggregate = `sum(${value} / ${MONEY_SPLIT}) AS value_hi, sum(${value} % ${MONEY_SPLIT}) AS value_lo`;
  } else if (query.aggregation === 'sum' && value !== undefined) aggregate = `sum(${value}) AS value`;
  else throw new LocalQueryError(`aggregation ${query.aggregation} does not apply to ${query.measure}`);
  const order = [
    ...(bin ? ['bin_start'] : []),
    ...(groupsByStage ? ['min(stage_order)'] : []),
    ...groupColumns,
  ];
  const sql = `${filtered}
SELECT ${[...keySelect, aggregate].join(', ')}
FROM filtered${only}${keys.length > 0 ? `\nGROUP BY ${keys.join(', ')}` : ''}${
    order.length > 0 ? `\nORDER BY ${order.join(', ')}` : ''
  }`;
  return { sql, params };
}

/** One row of a `records` panel. Group fields are present when grouped by. */
export interface RecordsPanelRow {
  readonly binStartMs?: number;
  readonly stage?: string;
  readonly currency?: string;
  readonly vendorId?: string;
  readonly status?: string;
  readonly paymentTermsDays?: number | null;
  /**
   * Money: a decimal string in the row's currency (`'1234.50'`). Otherwise a number (counts, ms,
   * days), or null for an average over no rows.
   */
  readonly value: string | number | null;
  /** Money only: the exact sum in integer minor units, as a decimal string. */
  readonly amountMinor?: string;
}

export interface SlaPanelRow {
  readonly stage: string;
  readonly met: number;
  readonly missed: number;
  readonly pending: number;
  readonly ended: number;
  /** Attainment in percent; null when nothing was judged. */
  readonly value: number | null;
}

export type LocalPanelResult =
  | { readonly source: 'records'; readonly rows: readonly RecordsPanelRow[] }
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
  readonly topology?: CellTopology;
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
    const minor = toBigInt(row.value_hi) * BigInt(MONEY_SPLIT) + toBigInt(row.value_lo);
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
 * Runs a panel against the local cell database: `records` and `sla` through their SQL, `stuck`
 * through {@link localLatestByInvoiceSql} + `findStuckInvoices`, `reconcile` through
 * `localReconcileInputs` + `reconcile`. Throws {@link LocalPanelSourceError} for `queue` and
 * `alarms`.
 */
export function runLocalPanel(db: Database, panel: Panel, params: LocalPanelParams): LocalPanelResult {
  const topology = params.topology ?? CELL_TOPOLOGY;
  const nowMs = params.nowMs ?? params.toMs;
  const { query } = panel;
  switch (query.source) {
    case 'records': {
      const rendered = renderLocalSql(query, topology);
      const bound = {
        cell: params.cell ?? null,
        ...rendered.params,
        ...(params.cell !== undefined ? { cell: params.cell } : {}),
        fromMs: params.fromMs,
        toMs: params.toMs,
      };
      const rows = db.prepare<typeof bound, SqlRow>(rendered.sql).safeIntegers(true).all(bound);
      return { source: 'records', rows: rows.map((r) => recordsRow(query, r)) };
    }
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
