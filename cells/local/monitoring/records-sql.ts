import type { Database } from 'better-sqlite3';
import type { CellTopology } from '../../../cells/topology.js';
import type { RecordsQuery } from '../../../dashboards/panels/panels.js';
import {
  GROUP_COLUMNS,
  LocalQueryError,
  MONEY_SPLIT_FACTOR,
  renderLocalSql,
} from '../../../dashboards/renderers/local-sql.js';
import type { RecordsPanelRow } from '../../../schemas/api/index.js';
import { formatMinorUnits } from '../../../schemas/money.js';
import { withVendorNames } from './panel-runner.js';

/**
 * A `records` panel computed by a raw scan of the `records` table with `renderLocalSql`: the
 * reference the rollups are proven against (`test/cells/local/storage/rollup-*.test.ts`) and a
 * tool to check a data dir by hand. The cell's dashboards never call it — their panels read the
 * rollups (`panel-runner.ts`) — because its cost grows with the history.
 *
 * @example
 * const rows = runRecordsSql(db, { ...panel.query, timeBin: '1h' }, { fromMs, toMs, topology });
 */

/** The window and scope of a reference run. */
export interface RecordsSqlParams {
  /** Window start, epoch ms (inclusive). */
  readonly fromMs: number;
  /** Window end, epoch ms (exclusive). */
  readonly toMs: number;
  /** Only this cell's records; all cells otherwise. */
  readonly cell?: string;
  readonly topology: CellTopology;
}

type SqlRow = Record<string, unknown>;

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  return Number(value);
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
 * The rows of `query` over `[fromMs, toMs)`, binned by `query.timeBin` as given, with vendor
 * names, in the SQL's order. Throws `LocalQueryError` for a query the renderer cannot express.
 *
 * @example
 * runRecordsSql(db, panel.query, { fromMs, toMs, topology }); // [{ stage: 'ingestion', value: 2 }]
 */
export function runRecordsSql(
  db: Database,
  query: RecordsQuery,
  params: RecordsSqlParams,
): RecordsPanelRow[] {
  const rendered = renderLocalSql(query, params.topology);
  const bound = {
    cell: params.cell ?? null,
    ...rendered.params,
    ...(params.cell !== undefined ? { cell: params.cell } : {}),
    fromMs: params.fromMs,
    toMs: params.toMs,
  };
  const sqlRows = db.prepare<typeof bound, SqlRow>(rendered.sql).safeIntegers(true).all(bound);
  return withVendorNames(
    db,
    sqlRows.map((r) => recordsRow(query, r)),
  );
}
