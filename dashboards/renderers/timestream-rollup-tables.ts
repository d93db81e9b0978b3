import { timestreamTable } from '../../consumers/aws/timestream-sql.js';
import type { GroupByField } from '../panels/panel-types.js';

/**
 * The Timestream tables the panel-derived rollups use, and the columns of the two derived tables
 * the scheduled queries write (`timestream-rollup-jobs.ts`):
 *
 * - **bins** (`RollupBins`): one multi-measure row per (spec, tier, bin, key values); the measure
 *   name is the spec id, the dimensions are `tier` and the spec's keys (the panel output column
 *   names below), the measures `event_count` (every row), `amount_sum_minor` (money, BIGINT minor
 *   units), `value_sum` (BIGINT sum of an average's values). Histogram specs add the dimension
 *   `bucket`: the lower bound of the value's 2-significant-digit bucket (`dashboards/rollups/histogram.ts`).
 * - **latest state** (`LatestState`): per distinct-invoice scope (measure name = scope id) the
 *   latest record of each partition, with the record table's own column names (`invoiceId`,
 *   `stage`, `currency`, `vendorId`, `eventId` dimensions; `status`, `amount_minor`, `due_date`,
 *   `payment_terms_days` measures), so the records renderer reads it unchanged; and the stuck state
 *   (measure name `STUCK_STATE_MEASURE` of `consumers/aws/timestream-stuck-query.ts`).
 *
 * SQL is rendered against placeholder names ({@link TIMESTREAM_TABLE_PLACEHOLDERS}): the real names
 * are CloudFormation tokens, known at deploy time only; {@link bindTimestreamTables} puts them in.
 *
 * @example
 * const sql = bindTimestreamTables(renderedSql, { database: db.ref, records, bins, latest });
 */

/** Placeholder database and table names SQL is rendered with. */
export const TIMESTREAM_TABLE_PLACEHOLDERS = {
  database: '__cell_database__',
  records: '__cell_table__',
  bins: '__rollup_bins__',
  latest: '__latest_state__',
} as const;

export type TimestreamTableRole = Exclude<keyof typeof TIMESTREAM_TABLE_PLACEHOLDERS, 'database'>;

/** `"<database placeholder>"."<table placeholder>"` of a table. */
export function placeholderTable(role: TimestreamTableRole): string {
  return timestreamTable(TIMESTREAM_TABLE_PLACEHOLDERS.database, TIMESTREAM_TABLE_PLACEHOLDERS[role]);
}

/** Real names (possibly CloudFormation tokens) of the database and the tables a SQL text reads. */
export interface TimestreamTableNames {
  readonly database: string;
  readonly records?: string;
  readonly bins?: string;
  readonly latest?: string;
}

/**
 * Replaces every placeholder table with its real name. Throws when the SQL reads no placeholder
 * table, or one whose name is not given. A token inside a string becomes an `Fn::Join`. Pure.
 *
 * @example
 * bindTimestreamTables('SELECT 1 FROM "__cell_database__"."__cell_table__"', { database: 'd', records: 't' });
 * // 'SELECT 1 FROM "d"."t"'
 */
export function bindTimestreamTables(sql: string, names: TimestreamTableNames): string {
  let bound = sql;
  let found = false;
  for (const role of ['records', 'bins', 'latest'] as const) {
    const placeholder = placeholderTable(role);
    if (!bound.includes(placeholder)) continue;
    const table = names[role];
    if (table === undefined) throw new Error(`the SQL reads the ${role} table, whose name was not given`);
    bound = bound.split(placeholder).join(`"${names.database}"."${table}"`);
    found = true;
  }
  if (!found) throw new Error('the SQL reads no placeholder table');
  return bound;
}

/** Output (and bins dimension) column of each group field, as the records renderers name them. */
export const KEY_COLUMNS: Readonly<Record<GroupByField, string>> = {
  stage: 'stage',
  currency: 'currency',
  vendorId: 'vendor_id',
  status: 'status',
  paymentTermsDays: 'payment_terms_days',
};

/** Columns of the bins table besides the group keys. */
export const BIN_COLUMNS = {
  time: 'bin_start',
  tier: 'tier',
  dueBin: 'due_bin',
  bucket: 'bucket',
  eventCount: 'event_count',
  amountSumMinor: 'amount_sum_minor',
  valueSum: 'value_sum',
} as const;

/**
 * A dimension value can be neither NULL nor empty in Timestream, so a missing key value (no payment
 * terms, no due date) is written as this text and read back as NULL.
 */
export const NULL_KEY = '-';
