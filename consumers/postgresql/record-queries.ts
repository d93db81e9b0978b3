import type { StageName } from '../../cells/topology.js';
import { INVOICE_MEASURE_NAME, type InvoiceRecord } from '../record.js';
import type { AggregateQuery, AggregateRow } from '../store.js';
import { type SqlParameter, type SqlRow, sqlParam } from './sql-executor.js';

/**
 * The read side of `PostgresStore` over `records`: the statements of `timeline` and `aggregate`
 * and the mapping of their rows. Pure.
 *
 * Both answers stay far below the Data API's 1 MiB response limit in their intended use (one
 * invoice's events; a window's bins × stages × currencies), but `aggregate` over a long window in
 * small bins can pass it: the call then fails rather than answer part of the window
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.limitations.html).
 *
 * @example
 * const { rows } = await executor.execute(TIMELINE_SQL, [sqlParam('invoiceId', 'INV-1')]);
 * const records = rows.map(recordOfRow);
 */

/** An invoice's records in lifecycle order: time, stage order, then eventId (no insertion id here). */
export const TIMELINE_SQL = `SELECT * FROM records WHERE invoice_id = :invoiceId
  ORDER BY time_ms, stage_order, event_id COLLATE "C"`;

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/**
 * A `records` row (Data API values: integers as strings) as the record it stores.
 *
 * @example
 * recordOfRow(rows[0]).measures.amountMinor; // '-9223372036854775808', exact
 */
export function recordOfRow(row: SqlRow): InvoiceRecord {
  return {
    measureName: INVOICE_MEASURE_NAME,
    timeMs: Number(row.time_ms),
    version: 1,
    dimensions: {
      cell: String(row.cell),
      region: String(row.region),
      stage: String(row.stage) as StageName,
      invoiceId: String(row.invoice_id),
      eventId: String(row.event_id),
      vendorId: String(row.vendor_id),
      currency: String(row.currency),
    },
    measures: {
      status: String(row.status),
      amountMinor: String(row.amount_minor),
      vendorName: String(row.vendor_name),
      receivedAtMs: Number(row.received_at_ms),
      dueDateMs: numberOrNull(row.due_date_ms),
      paymentTermsDays: numberOrNull(row.payment_terms_days),
    },
  };
}

/**
 * The statement of an {@link AggregateQuery}: counts and exact sums (PostgreSQL sums bigint into
 * numeric, never overflowing) per bin, stage and optionally currency, bins floored as the local
 * store floors them (also for times before 1970).
 *
 * @example
 * const { sql, params } = aggregateStatement({ fromMs, toMs, binSec: 3600, byCurrency: true });
 */
export function aggregateStatement(query: AggregateQuery): { sql: string; params: SqlParameter[] } {
  const binMs = Math.round(query.binSec * 1000);
  if (!(binMs > 0)) throw new RangeError(`binSec must be positive, got ${query.binSec}`);
  const currency = query.byCurrency ? ', currency' : '';
  const stage = query.stage === undefined ? '' : 'AND stage = :stage';
  const sql = `SELECT time_ms - mod(mod(time_ms, :binMs) + :binMs, :binMs) AS bin_start, stage${currency},
      count(*) AS events, sum(amount_minor) AS amount_sum
    FROM records WHERE time_ms >= :fromMs AND time_ms < :toMs ${stage}
    GROUP BY 1, stage${currency}
    ORDER BY bin_start, min(stage_order)${query.byCurrency ? ', currency COLLATE "C"' : ''}`;
  const params = [sqlParam('binMs', binMs), sqlParam('fromMs', query.fromMs), sqlParam('toMs', query.toMs)];
  if (query.stage !== undefined) params.push(sqlParam('stage', query.stage));
  return { sql, params };
}

/**
 * An aggregate row as the port's {@link AggregateRow}.
 *
 * @example
 * rows.map((row) => aggregateRowOf(row, query.byCurrency === true));
 */
export function aggregateRowOf(row: SqlRow, byCurrency: boolean): AggregateRow {
  return {
    binStartMs: Number(row.bin_start),
    stage: String(row.stage) as StageName,
    ...(byCurrency ? { currency: String(row.currency) } : {}),
    events: Number(row.events),
    amountMinorSum: String(row.amount_sum),
  };
}
