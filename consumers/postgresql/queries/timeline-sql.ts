import type { StageName } from '../../../cells/topology.js';
import { INVOICE_MEASURE_NAME, type InvoiceRecord } from '../../record.js';
import { binaryText, POSTGRESQL_PARAMS as P, type PostgresqlSql, param } from './named-params.js';

/**
 * An invoice's timeline on the Aurora store: every record of `:invoice_id` in lifecycle order —
 * time, then stage order, then eventId (byte order) — the order `sortTimeline` gives Timestream's
 * rows. SQLite's store breaks the last tie (equal time and stage) by insertion order instead, which
 * PostgreSQL's table does not keep. Columns: the record's (`records` table names) and
 * `stored_at_ms`; {@link timelineRecordOf} maps a row back to its `InvoiceRecord`.
 *
 * @example
 * const { sql, params } = postgresqlTimelineSql('INV-2026-000123');
 * const timeline = (await run(sql, params)).map(timelineRecordOf);
 */

/** A row of {@link postgresqlTimelineSql} as a driver returns it (integers as number, bigint or string). */
export interface PostgresqlTimelineRow {
  readonly event_id: string;
  readonly time_ms: number | bigint | string;
  readonly cell: string;
  readonly region: string;
  readonly stage: string;
  readonly invoice_id: string;
  readonly vendor_id: string;
  readonly currency: string;
  readonly status: string;
  readonly amount_minor: number | bigint | string;
  readonly vendor_name: string;
  readonly received_at_ms: number | bigint | string;
  readonly due_date_ms: number | bigint | string | null;
  readonly payment_terms_days: number | bigint | string | null;
  readonly stored_at_ms: number | bigint | string;
}

const COLUMNS = [
  'event_id',
  'time_ms',
  'cell',
  'region',
  'stage',
  'invoice_id',
  'vendor_id',
  'currency',
  'status',
  'amount_minor',
  'vendor_name',
  'received_at_ms',
  'due_date_ms',
  'payment_terms_days',
  'stored_at_ms',
] as const;

/**
 * Renders the timeline read of one invoice (bound as `:invoice_id`, so any id is safe). Pure.
 *
 * @example
 * postgresqlTimelineSql('INV-1').params; // { invoice_id: 'INV-1' }
 */
export function postgresqlTimelineSql(invoiceId: string): PostgresqlSql {
  const sql = `SELECT ${COLUMNS.join(', ')}
FROM records
WHERE measure_name = '${INVOICE_MEASURE_NAME}' AND invoice_id = ${param(P.invoiceId, 'text')}
ORDER BY time_ms, stage_order, ${binaryText('event_id')}`;
  return { sql, params: { [P.invoiceId]: invoiceId } };
}

function nullableNumber(value: number | bigint | string | null): number | null {
  return value === null ? null : Number(value);
}

/**
 * The record a timeline row holds; amounts stay exact (decimal strings of minor units). Pure.
 *
 * @example
 * const record = timelineRecordOf(row); // record.measures.amountMinor === '9000000000000000001'
 */
export function timelineRecordOf(row: PostgresqlTimelineRow): InvoiceRecord {
  return {
    measureName: INVOICE_MEASURE_NAME,
    timeMs: Number(row.time_ms),
    version: 1,
    dimensions: {
      cell: row.cell,
      region: row.region,
      stage: row.stage as StageName,
      invoiceId: row.invoice_id,
      eventId: row.event_id,
      vendorId: row.vendor_id,
      currency: row.currency,
    },
    measures: {
      status: row.status,
      amountMinor: BigInt(row.amount_minor).toString(),
      vendorName: row.vendor_name,
      receivedAtMs: Number(row.received_at_ms),
      dueDateMs: nullableNumber(row.due_date_ms),
      paymentTermsDays: nullableNumber(row.payment_terms_days),
    },
  };
}
