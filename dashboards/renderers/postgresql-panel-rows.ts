import { isStageName } from '../../cells/topology.js';
import type { RecordsPanelRow, SlaPanelRow } from '../../schemas/api/index.js';
import { formatMinorUnits } from '../../schemas/money.js';
import { MONEY_MEASURES, type RecordsQuery } from '../panels/panel-types.js';
import { GROUP_COLUMNS } from './local-sql.js';
import { PostgresqlQueryError } from './postgresql-sql.js';

/**
 * Rows of `renderPostgresqlSql` shaped into the panel rows of the HTTP contract, as the local
 * runner shapes SQLite's (`cells/local/monitoring/records-sql.ts`): the same row for the same
 * records whichever engine answered. Drivers differ in how they return PostgreSQL's integers and
 * numerics (the Data API: `longValue` / `stringValue`; pg and PGlite: number, bigint or string),
 * so every value is accepted as number, bigint or decimal string and converted here.
 *
 * @example
 * const rows = postgresqlRecordsRows(panel.query, result.rows);
 * // [{ currency: 'EUR', value: '12.50', amountMinor: '1250' }]
 */

/** One row as a driver returns it, by output column name. */
export type PostgresqlRow = Readonly<Record<string, unknown>>;

function toNumber(value: unknown, column: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') {
    const n = Number(value);
    if (!Number.isNaN(n)) return n;
  }
  throw new PostgresqlQueryError(`column ${column}: expected a number, got ${String(value)}`);
}

function toMinorUnits(value: unknown): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  // A numeric sum arrives as a decimal string; anything with a fraction is not minor units.
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new PostgresqlQueryError(`expected an integer money sum, got ${String(value)}`);
}

/**
 * One `records` row: `binStartMs` when binned, each group field, `vendorName` with `vendorId`
 * (when known), the value (money: formatted in the row's currency, with the exact `amountMinor`).
 * Pure; throws {@link PostgresqlQueryError} for a value of the wrong kind.
 *
 * @example
 * postgresqlRecordsRow(query, { stage: 'posting', value: 3n }); // { stage: 'posting', value: 3 }
 */
export function postgresqlRecordsRow(query: RecordsQuery, row: PostgresqlRow): RecordsPanelRow {
  const out: Record<string, unknown> = {};
  if (query.timeBin) out.binStartMs = toNumber(row.bin_start, 'bin_start');
  for (const field of query.groupBy) {
    const column = GROUP_COLUMNS[field];
    out[field] = field === 'paymentTermsDays' ? toNumber(row[column], column) : row[column];
  }
  if (query.groupBy.includes('vendorId') && typeof row.vendor_name === 'string') {
    out.vendorName = row.vendor_name;
  }
  if (MONEY_MEASURES.has(query.measure) && query.aggregation === 'sum') {
    const minor = toMinorUnits(row.value);
    const currency = row.currency;
    if (typeof currency !== 'string') throw new PostgresqlQueryError('a money row has no currency');
    out.value = formatMinorUnits(minor, currency);
    out.amountMinor = minor.toString();
  } else {
    out.value = toNumber(row.value, 'value');
  }
  return out as unknown as RecordsPanelRow;
}

/**
 * Every row of a `records` answer, in the SQL's order. Pure.
 *
 * @example
 * const panelRows = postgresqlRecordsRows(panel.query, await execute(sql, params));
 */
export function postgresqlRecordsRows(
  query: RecordsQuery,
  rows: readonly PostgresqlRow[],
): RecordsPanelRow[] {
  return rows.map((row) => postgresqlRecordsRow(query, row));
}

/**
 * One `sla` row: counts as numbers, the attainment in percent or null. Pure.
 *
 * @example
 * postgresqlSlaRow({ stage: 'ingestion', met: 3n, missed: 1n, pending: 0n, ended: 0n, value: 75 });
 */
export function postgresqlSlaRow(row: PostgresqlRow): SlaPanelRow {
  const stage = row.stage;
  if (typeof stage !== 'string' || !isStageName(stage)) {
    throw new PostgresqlQueryError(`an sla row names no known stage: ${String(stage)}`);
  }
  const count = (column: string): number => toNumber(row[column], column) ?? 0;
  return {
    stage,
    met: count('met'),
    missed: count('missed'),
    pending: count('pending'),
    ended: count('ended'),
    value: toNumber(row.value, 'value'),
  };
}
