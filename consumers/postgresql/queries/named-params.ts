/**
 * The parameters of the PostgreSQL SQL (the monitoring reads in this folder, the panels in
 * `dashboards/renderers/postgresql-sql.ts`): RDS Data API named parameters (`:from_ms`), since the SQL runs
 * through `ExecuteStatement` on Aurora. Every use is wrapped in `CAST(:name AS <type>)`, so that
 * PostgreSQL knows each parameter's type even where nothing else tells it (`:cell IS NULL` with a
 * NULL value), and the SQL text holds no `::` cast that a parameter scanner could misread.
 *
 * A driver with positional parameters (pg, PGlite) replaces each `:name` by `$n`, the same `n` for
 * every use of one name; the tests do exactly that.
 *
 * @example
 * const { sql, params } = postgresqlTimelineSql('INV-1');
 * // sql: ... WHERE invoice_id = CAST(:invoice_id AS text) ...; params: { invoice_id: 'INV-1' }
 * // Data API: parameters = [{ name: 'invoice_id', value: { stringValue: 'INV-1' } }]
 */

/** Names of the parameters the PostgreSQL SQL uses, by meaning. */
export const POSTGRESQL_PARAMS = {
  /** Window start, epoch ms, inclusive. */
  fromMs: 'from_ms',
  /** Window end, epoch ms, exclusive. */
  toMs: 'to_ms',
  /** Now, epoch ms (SLA attainment, overdue stuck invoices). */
  nowMs: 'now_ms',
  /** Only this cell's records; NULL = every cell. */
  cell: 'cell',
  /** Stage filter of a panel definition. */
  stage: 'stage',
  /** Status filter of a panel definition. */
  status: 'status',
  /** The invoice of a timeline. */
  invoiceId: 'invoice_id',
} as const;

/** A value bound to a named parameter. */
export type PostgresqlParam = string | number | null;

/** Rendered SQL and the parameters its definition fixes (add the window and the cell). */
export interface PostgresqlSql {
  readonly sql: string;
  /** By parameter name without the colon, e.g. `{ stage: 'ingestion' }`. */
  readonly params: Readonly<Record<string, PostgresqlParam>>;
}

/**
 * A typed use of a named parameter.
 *
 * @example
 * param('from_ms', 'bigint'); // 'CAST(:from_ms AS bigint)'
 */
export function param(name: string, type: 'bigint' | 'text'): string {
  return `CAST(:${name} AS ${type})`;
}

/**
 * The condition "this cell, or any cell when `:cell` is NULL" on `column`.
 *
 * @example
 * cellCondition('cell'); // '(CAST(:cell AS text) IS NULL OR cell = CAST(:cell AS text))'
 */
export function cellCondition(column: string): string {
  const cell = param(POSTGRESQL_PARAMS.cell, 'text');
  return `(${cell} IS NULL OR ${column} = ${cell})`;
}

/**
 * The start of the bin of width `widthMs` holding `column` (bins counted from `offsetMs`), by
 * floor division, also for times before 1970: PostgreSQL's `/` and `%` truncate toward zero, so
 * the remainder is made non-negative first, as `binStartOf` does in TypeScript.
 *
 * @example
 * floorBin('time_ms', 60_000); // '(time_ms - (((time_ms % 60000) + 60000) % 60000))'
 */
export function floorBin(column: string, widthMs: number, offsetMs = 0): string {
  const shifted = offsetMs === 0 ? column : `(${column} - ${offsetMs})`;
  return `(${column} - (((${shifted} % ${widthMs}) + ${widthMs}) % ${widthMs}))`;
}

/** Text compared byte by byte, as SQLite's BINARY collation does (Aurora's default is a locale). */
export function binaryText(column: string): string {
  return `${column} COLLATE "C"`;
}
