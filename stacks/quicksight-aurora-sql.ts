import type { CellTopology } from '../cells/topology.js';
import {
  POSTGRESQL_PARAMS as P,
  type PostgresqlParam,
} from '../consumers/postgresql/queries/named-params.js';
import type { RecordsQuery, SlaQuery } from '../dashboards/panels/panels.js';
import { renderPostgresqlSql } from '../dashboards/renderers/postgresql-sql.js';
import { type QuickSightColumn, timestreamColumns } from './quicksight-definition.js';

/**
 * A panel's QuickSight custom SQL on the Aurora store: `renderPostgresqlSql` (proven equal to the
 * SQLite rendering) with its RDS Data API named parameters bound, wrapped in a projection onto the
 * columns the Timestream data sets return (`timestreamColumns`), so one dashboard definition
 * serves both stores. Pure.
 *
 * Parameters. QuickSight custom SQL knows no `:name` parameters (its own are `<<$name>>` dataset
 * parameters). The Timestream data sets use none: each covers a fixed look-back
 * (`time >= ago(<n>d) AND time < now()`, see `quicksight-definition.ts` for why). The same window
 * here: `:to_ms` and `:now_ms` → now in epoch ms (`now()` is the statement's transaction start, so
 * every use is the same instant), `:from_ms` → now − n × 86 400 000 ms (whole 24-hour days like
 * Timestream's `ago(nd)`, not calendar days of the session time zone), `:cell` → this cell (as the
 * Timestream SLA data set filters `cell = '<cell>'`), and the `:stage` / `:status` filters → the
 * values the definition fixes. Each stays inside the renderer's `CAST(... AS <type>)`.
 *
 * Columns. `bin_start` is epoch ms in the PostgreSQL rendering and a DATETIME in QuickSight, so
 * the projection turns it into a UTC `timestamp`; INTEGER columns are cast to `bigint` (a money
 * sum is an exact `numeric`: the cast fails loudly past 2^63 − 1 minor units, it never rounds) and
 * DECIMAL ones to `double precision`. `vendor_name`, which the Timestream form does not return, is
 * left out. Row order is QuickSight's business (the visuals sort), not the SQL's.
 *
 * @example
 * const sql = auroraPanelSql(panel.query, { topology, cell: 'us-west-1', lookbackDays: 30 });
 */

export interface AuroraPanelSqlOptions {
  readonly topology: CellTopology;
  /** Only this cell's records. */
  readonly cell: string;
  /** The window every data set covers, in whole days. */
  readonly lookbackDays: number;
}

/** Now, epoch milliseconds, as PostgreSQL SQL (`EXTRACT(EPOCH ...)` is numeric seconds). */
export const POSTGRESQL_NOW_MS = 'CAST(floor(EXTRACT(EPOCH FROM now()) * 1000) AS bigint)';

const DAY_MS = 86_400_000;

/** A PostgreSQL string literal. */
function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function valueLiteral(name: string, value: PostgresqlParam): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`parameter ${name} must be an integer, got ${value}`);
    return String(value);
  }
  return literal(value);
}

/**
 * The SQL expression each named parameter of a panel's rendering is bound to in its QuickSight
 * data set: the window, the cell and the values the definition fixes (`params`). Pure.
 */
export function quickSightParamValues(
  params: Readonly<Record<string, PostgresqlParam>>,
  options: Pick<AuroraPanelSqlOptions, 'cell' | 'lookbackDays'>,
): Readonly<Record<string, string>> {
  if (!Number.isInteger(options.lookbackDays) || options.lookbackDays < 1) {
    throw new Error(`quicksight lookbackDays must be a positive integer, got ${options.lookbackDays}`);
  }
  const fixed = Object.fromEntries(
    Object.entries(params).map(([name, value]) => [name, valueLiteral(name, value)]),
  );
  return {
    [P.fromMs]: `(${POSTGRESQL_NOW_MS} - ${options.lookbackDays * DAY_MS})`,
    [P.toMs]: POSTGRESQL_NOW_MS,
    [P.nowMs]: POSTGRESQL_NOW_MS,
    [P.cell]: literal(options.cell),
    // A filter the definition fixes (stage, status, or a cell) wins over the defaults.
    ...fixed,
  };
}

/** `:name` outside a `::` cast: a named parameter. */
const NAMED_PARAM = /(?<![:\w]):([A-Za-z_]\w*)/g;

/** Replaces every `:name` by its value's SQL; throws on a parameter with no value. Pure. */
export function bindNamedParams(sql: string, values: Readonly<Record<string, string>>): string {
  return sql.replace(NAMED_PARAM, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`quicksight SQL: no value for parameter :${name}`);
    return value;
  });
}

function projection(column: QuickSightColumn): string {
  switch (column.type) {
    case 'DATETIME':
      return `to_timestamp(CAST(${column.name} AS double precision) / 1000) AT TIME ZONE 'UTC' AS ${column.name}`;
    case 'INTEGER':
      return `CAST(${column.name} AS bigint) AS ${column.name}`;
    case 'DECIMAL':
      return `CAST(${column.name} AS double precision) AS ${column.name}`;
    case 'STRING':
      return column.name;
  }
}

/** The panel's custom SQL for its Aurora data set (see the module comment). Pure. */
export function auroraPanelSql(query: RecordsQuery | SlaQuery, options: AuroraPanelSqlOptions): string {
  const rendered = renderPostgresqlSql(query, options.topology);
  const inner = bindNamedParams(rendered.sql, quickSightParamValues(rendered.params, options));
  const columns = timestreamColumns(query).map(projection);
  return `SELECT ${columns.join(', ')}\nFROM (\n${inner}\n) AS panel_rows`;
}
