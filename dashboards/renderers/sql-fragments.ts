import type { CellTopology } from '../../cells/topology.js';
import { QueryParameterError } from '../../consumers/aws/timestream-store.js';

/**
 * Small SQL pieces shared by the dashboard renderers and the monitoring queries (stuck invoices,
 * SLA attainment), for both dialects: Timestream (Presto-like) and the local cell's SQLite.
 *
 * Values from definitions (stage names, statuses, cell names) are validated against a strict
 * pattern before they are quoted into Timestream SQL; SQLite gets named parameters instead.
 *
 * @example
 * timestreamTable('invoices', 'events'); // "invoices"."events"
 * stageOrderCase('stage', topology);    // CASE stage WHEN 'ingestion' THEN 0 ... END
 */

export { QueryParameterError };

/** Timestream database and table names: 3..256 of letters, digits, `_ . -`. */
const TIMESTREAM_NAME = /^[A-Za-z0-9_.-]{3,256}$/;

/** Stage names, statuses, cells, currencies: what a dashboard definition may put in a literal. */
const SAFE_LITERAL = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Time expressions accepted as a Timestream window bound: `ago(24h)`, `now()`,
 * `from_milliseconds(1700000000000)`, `from_iso8601_timestamp('2026-11-20T00:00:00Z')`, or a
 * QuickSight dataset parameter `<<$from>>`.
 */
const TIME_EXPRESSION =
  /^(?:ago\(\d+(?:ns|us|ms|s|m|h|d)\)|now\(\)|from_milliseconds\(\d{1,16}\)|from_iso8601_timestamp\('[0-9T:.Z+-]{10,35}'\)|<<\$[A-Za-z][A-Za-z0-9_]{0,63}>>)$/;

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL string literal of a validated value (doubling quotes is the second line of defence). */
export function quoteLiteral(value: string, what: string): string {
  if (!SAFE_LITERAL.test(value)) {
    throw new QueryParameterError(`${what} ${JSON.stringify(value)} is not a safe SQL literal`);
  }
  return `'${value.replaceAll("'", "''")}'`;
}

/** `"database"."table"`, after checking both names. */
export function timestreamTable(database: string, table: string): string {
  for (const [what, name] of [
    ['database', database],
    ['table', table],
  ] as const) {
    if (!TIMESTREAM_NAME.test(name)) {
      throw new QueryParameterError(`Timestream ${what} name ${JSON.stringify(name)} is not valid`);
    }
  }
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}

/** Checks a window bound; returns it unchanged. */
export function timestreamTimeExpression(expression: string, what: string): string {
  if (!TIME_EXPRESSION.test(expression)) {
    throw new QueryParameterError(
      `${what} ${JSON.stringify(expression)} must be ago(<n><unit>), now(), from_milliseconds(<ms>), ` +
        `from_iso8601_timestamp('<time>') or a QuickSight parameter <<$name>>`,
    );
  }
  return expression;
}

/**
 * Ready-made window bounds for {@link timestreamTimeExpression}.
 *
 * - Console, CLI and scheduled queries: `ago('24h')` → `ago(24h)` and `now()`.
 * - QuickSight custom SQL (direct query): dataset parameters `<<$from>>` / `<<$to>>` (DateTime
 *   parameters bound to the dashboard's time-range control), so one data set serves every range.
 * - Exact windows from code: `epochMs(ms)` → `from_milliseconds(ms)`.
 */
export const TIMESTREAM_WINDOW = {
  ago: (duration: string): string => timestreamTimeExpression(`ago(${duration})`, 'window bound'),
  now: (): string => 'now()',
  epochMs: (ms: number): string => {
    if (!Number.isSafeInteger(ms) || ms < 0) throw new QueryParameterError(`epoch ms ${ms} is not valid`);
    return `from_milliseconds(${ms})`;
  },
  quickSight: (parameter: string): string =>
    timestreamTimeExpression(`<<$${parameter}>>`, 'QuickSight parameter'),
} as const;

/** `CASE <column> WHEN '<stage>' THEN <order> ... END`: Timestream has no stage-order column. */
export function stageOrderCase(column: string, topology: CellTopology): string {
  const arms = topology.stages.map((s) => `WHEN ${quoteLiteral(s.name, 'stage')} THEN ${s.order}`);
  return `CASE ${column} ${arms.join(' ')} END`;
}

/** `CASE <orderColumn> WHEN 0 THEN 'ingestion' ... END`: back from order to stage name. */
export function stageNameCase(orderColumn: string, topology: CellTopology): string {
  const arms = topology.stages.map((s) => `WHEN ${s.order} THEN ${quoteLiteral(s.name, 'stage')}`);
  return `CASE ${orderColumn} ${arms.join(' ')} END`;
}

/** `CASE <orderColumn> WHEN 0 THEN 900000 ... END`: each stage's SLA in ms (last stage 0). */
export function stageSlaMsCase(orderColumn: string, topology: CellTopology): string {
  const arms = topology.stages.map((s) => `WHEN ${s.order} THEN ${s.slaSec * 1000}`);
  return `CASE ${orderColumn} ${arms.join(' ')} END`;
}

/**
 * A boolean SQL expression: the status ends the invoice's lifecycle at that stage (topology
 * `terminalStatuses`), or `(1 = 0)` when no stage has one.
 */
export function terminalStatusCondition(
  orderColumn: string,
  statusColumn: string,
  topology: CellTopology,
): string {
  const arms = topology.stages
    .filter((s) => s.terminalStatuses.length > 0)
    .map(
      (s) =>
        `(${orderColumn} = ${s.order} AND ${statusColumn} IN (${s.terminalStatuses
          .map((t) => quoteLiteral(t, 'status'))
          .join(', ')}))`,
    );
  return arms.length > 0 ? `(${arms.join(' OR ')})` : '(1 = 0)';
}
