import { QueryParameterError, quoteIdentifier } from '../sql/sql-text.js';

/**
 * Timestream's SQL dialect on top of the shared ANSI quoting: checked table names and window
 * bounds. The one place that writes a Timestream table reference.
 *
 * @example
 * timestreamTable('invoices', 'events'); // "invoices"."events"
 * TIMESTREAM_WINDOW.ago('24h');          // ago(24h)
 */

/** Timestream database and table names: 3..256 of letters, digits, `_ . -`. */
const TIMESTREAM_NAME = /^[A-Za-z0-9_.-]{3,256}$/;

/**
 * Time expressions accepted as a Timestream window bound: `ago(24h)`, `now()`,
 * `from_milliseconds(1700000000000)`, `from_iso8601_timestamp('2026-11-20T00:00:00Z')`, or a
 * QuickSight dataset parameter `<<$from>>`.
 */
const TIME_EXPRESSION =
  /^(?:ago\(\d+(?:ns|us|ms|s|m|h|d)\)|now\(\)|from_milliseconds\(\d{1,16}\)|from_iso8601_timestamp\('[0-9T:.Z+-]{10,35}'\)|<<\$[A-Za-z][A-Za-z0-9_]{0,63}>>)$/;

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
 * A scheduled query's window bound, relative to the run's `@scheduled_runtime`
 * (https://docs.aws.amazon.com/timestream/latest/developerguide/API_query_CreateScheduledQuery.html):
 * `@scheduled_runtime`, or its bin minus a whole number of minutes, hours or days, e.g.
 * `bin(@scheduled_runtime, 1m) - 60m`.
 */
const SCHEDULED_WINDOW =
  /^(?:@scheduled_runtime|bin\(@scheduled_runtime, \d{1,4}[mhd]\)(?: - \d{1,6}[mhd])?)$/;

/** Checks a scheduled query's window bound; returns it unchanged. */
export function scheduledWindowExpression(expression: string, what: string): string {
  if (!SCHEDULED_WINDOW.test(expression)) {
    throw new QueryParameterError(
      `${what} ${JSON.stringify(expression)} must be @scheduled_runtime or bin(@scheduled_runtime, <n><m|h|d>) [- <n><m|h|d>]`,
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
