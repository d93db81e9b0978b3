import type { CellTopology } from '../../cells/topology.js';
import { INVOICE_MEASURE_NAME } from '../../consumers/record.js';
import {
  type GroupByField,
  MONEY_MEASURES,
  PERCENTILES,
  type PercentileAggregation,
  type RecordsQuery,
  type SlaQuery,
  TIME_BINS,
  type TimeBin,
} from '../panels/panel-types.js';
import { WEEK_OFFSET_MS } from '../rollups/bin-start.js';
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
 * - Distinct invoices: the latest record of each invoice (per stage when grouped by stage) among
 *   the records passing the filters over ALL history, by `time_ms` then `event_id`; it counts when
 *   it falls in the window. This is the reference the rollups are tested against.
 * - Money: summed in integer minor units, split as `sum(amount_minor / 1e9)` and
 *   `sum(amount_minor % 1e9)` and joined as bigint in TS — exact, and it never hits SQLite's
 *   64-bit `SUM` overflow; read with `safeIntegers`. The runner formats it per currency with
 *   `formatMinorUnits`.
 *
 * @example
 * const { sql, params } = renderLocalSql(panel.query, topology);
 * const rows = runLocalPanel(db, panel, { fromMs, toMs, topology });
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
/** Money sums are split in two integer columns (hi * factor + lo) so SQLite never overflows. */
export const MONEY_SPLIT_FACTOR = 1_000_000_000;

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

/**
 * The start of the bin holding `column`: floor, also before 1970 (SQLite's `/` truncates toward
 * zero, so `(t / w) * w` would put -1 ms in the bin starting at 0), as `bin-start.ts` and the
 * rollups bin.
 */
export function binExpression(column: string, bin: TimeBin): string {
  const width = TIME_BINS[bin];
  const offset = bin === '1w' ? WEEK_OFFSET_MS : 0;
  const shifted = offset === 0 ? column : `(${column} - ${offset})`;
  return `(${column} - ((${shifted} % ${width}) + ${width}) % ${width})`;
}

/**
 * The `records` column (or expression) a query's measure reads; undefined for `events` (counted).
 * The same names on SQLite and PostgreSQL (the Aurora `records` mirrors the local columns).
 *
 * @example
 * measureColumn({ measure: 'latency', ... }); // '(stored_at_ms - received_at_ms)'
 */
export function measureColumn(query: RecordsQuery): string | undefined {
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

/** Whether an aggregation is a percentile (p50, p95, p99). */
export function isPercentile(aggregation: string): aggregation is PercentileAggregation {
  return Object.hasOwn(PERCENTILES, aggregation);
}

/** Renders a `records` or `sla` query. Pure; throws {@link LocalQueryError}. */
export function renderLocalSql(query: RecordsQuery | SlaQuery, topology: CellTopology): LocalSql {
  if (query.source === 'sla') {
    return {
      // Events over ALL history (a scan: the reference the SLA rollups are tested against; the
      // cell reads `readSlaRollups`): an entry is judged when its entered time, the first record
      // at the stage ever, lies in the window. The latest status is by (time, eventId).
      sql: renderSlaSql(topology, {
        eventsSelect: `SELECT invoice_id, stage_order, status, time_ms, event_id AS tiebreak
  FROM records
  WHERE measure_name = '${INVOICE_MEASURE_NAME}' AND (:cell IS NULL OR cell = :cell)`,
        fromMs: ':fromMs',
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
  const window = [`${windowColumn} >= :fromMs`, `${windowColumn} < :toMs`];
  // Distinct invoices: an invoice's latest record over ALL history, kept if it falls in the window
  // (the rollups' latest-state semantics, dashboards/rollups/apply-record.ts), so the window is
  // applied after ranking; other panels filter the window first.
  const where = [
    `measure_name = '${INVOICE_MEASURE_NAME}'`,
    ...(query.distinctInvoices ? [] : window),
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
    ? // Latest by (time, eventId) as `isNewer`; equal pairs (one eventId in two records of an invoice,
      // a producer bug) keep the first written, as the rollups do.
      `,\n    ROW_NUMBER() OVER (PARTITION BY invoice_id${groupsByStage ? ', stage' : ''} ORDER BY time_ms DESC, event_id DESC, id) AS invoice_rank`
    : '';
  const filtered = `WITH filtered AS (
  SELECT *${rank}
  FROM records
  WHERE ${where.join('\n    AND ')}
)`;
  const only = query.distinctInvoices ? `\nWHERE invoice_rank = 1 AND ${window.join(' AND ')}` : '';
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
    aggregate = `sum(${value} / ${MONEY_SPLIT_FACTOR}) AS value_hi, sum(${value} % ${MONEY_SPLIT_FACTOR}) AS value_lo`;
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
