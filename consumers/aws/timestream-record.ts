import type { _Record, MeasureValue } from '@aws-sdk/client-timestream-write';
import { isStageName, type StageName } from '../../cells/topology.js';
import { INVOICE_MEASURE_NAME, type InvoiceRecord } from '../record.js';
import type { QueryRow } from './timestream-query.js';

/**
 * One `InvoiceRecord` as a Timestream multi-measure record and back: the write shape
 * ({@link toTimestreamRecord}) and the rebuild of a queried row ({@link recordFromRow}).
 *
 * @example
 * const written = toTimestreamRecord(record);
 * const read = recordFromRow(row); // equals `record` for a row of the timeline query
 */

/** Multi-measure value names in the table. */
export const TIMESTREAM_MEASURES = {
  status: 'status',
  amountMinor: 'amount_minor',
  vendorName: 'vendor_name',
  receivedAt: 'received_at',
  dueDate: 'due_date',
  paymentTermsDays: 'payment_terms_days',
} as const;

export type DimensionName = keyof InvoiceRecord['dimensions'];

// A mapped type, so adding a dimension to InvoiceRecord without adding it here fails to compile.
const DIMENSIONS: { readonly [K in DimensionName]: true } = {
  cell: true,
  region: true,
  stage: true,
  invoiceId: true,
  eventId: true,
  vendorId: true,
  currency: true,
};

/** Every dimension of a record, in the order they are written and selected. */
export const DIMENSION_NAMES = Object.keys(DIMENSIONS) as DimensionName[];

/** The Timestream record of one `InvoiceRecord`; `omit` drops dimensions sent in CommonAttributes. Pure. */
export function toTimestreamRecord(
  record: InvoiceRecord,
  omit: ReadonlySet<DimensionName> = new Set(),
): _Record {
  const m = record.measures;
  const values: MeasureValue[] = [
    { Name: TIMESTREAM_MEASURES.status, Value: m.status, Type: 'VARCHAR' },
    { Name: TIMESTREAM_MEASURES.amountMinor, Value: m.amountMinor, Type: 'BIGINT' },
    { Name: TIMESTREAM_MEASURES.vendorName, Value: m.vendorName, Type: 'VARCHAR' },
    // TIMESTAMP measure values are epoch milliseconds.
    { Name: TIMESTREAM_MEASURES.receivedAt, Value: String(m.receivedAtMs), Type: 'TIMESTAMP' },
  ];
  // Timestream has no null measure value: an absent value is an omitted one (NULL in queries).
  if (m.dueDateMs !== null) {
    values.push({ Name: TIMESTREAM_MEASURES.dueDate, Value: String(m.dueDateMs), Type: 'TIMESTAMP' });
  }
  if (m.paymentTermsDays !== null) {
    values.push({
      Name: TIMESTREAM_MEASURES.paymentTermsDays,
      Value: String(m.paymentTermsDays),
      Type: 'BIGINT',
    });
  }
  return {
    Dimensions: DIMENSION_NAMES.filter((name) => !omit.has(name)).map((name) => ({
      Name: name,
      Value: record.dimensions[name],
    })),
    Time: String(record.timeMs),
    Version: record.version,
    MeasureValues: values,
  };
}

const TIMESTREAM_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?$/;

/** Parses Timestream's `2026-11-20 09:15:00.250000000` (UTC) to epoch ms (sub-ms digits dropped). Pure. */
export function parseTimestreamTimestamp(value: string): number {
  const match = TIMESTREAM_TIMESTAMP.exec(value);
  const ms = match ? Date.parse(`${match[1]}T${match[2]}Z`) : Number.NaN;
  if (!match || Number.isNaN(ms)) throw new Error(`"${value}" is not a Timestream timestamp`);
  return ms + Number((match[3] ?? '').padEnd(3, '0').slice(0, 3));
}

/** A column of a query row that must have a value; throws naming the column otherwise. Pure. */
export function rowField(row: QueryRow, name: string): string {
  const value = row[name];
  if (value === undefined || value === null) throw new Error(`query row has no value for ${name}`);
  return value;
}

/** The `stage` column of a query row, checked against the stage names. Pure. */
export function rowStage(row: QueryRow): StageName {
  const stage = rowField(row, 'stage');
  if (!isStageName(stage)) throw new Error(`query row has unknown stage "${stage}"`);
  return stage;
}

/** Rebuilds the `InvoiceRecord` a timeline row was written from. Pure. */
export function recordFromRow(row: QueryRow): InvoiceRecord {
  const M = TIMESTREAM_MEASURES;
  const dueDate = row[M.dueDate] ?? null;
  const termsDays = row[M.paymentTermsDays] ?? null;
  return {
    measureName: INVOICE_MEASURE_NAME,
    timeMs: parseTimestreamTimestamp(rowField(row, 'time')),
    // Queries do not return the version; every record this code writes has version 1.
    version: 1,
    dimensions: {
      cell: rowField(row, 'cell'),
      region: rowField(row, 'region'),
      stage: rowStage(row),
      invoiceId: rowField(row, 'invoiceId'),
      eventId: rowField(row, 'eventId'),
      vendorId: rowField(row, 'vendorId'),
      currency: rowField(row, 'currency'),
    },
    measures: {
      status: rowField(row, M.status),
      amountMinor: rowField(row, M.amountMinor),
      vendorName: rowField(row, M.vendorName),
      receivedAtMs: parseTimestreamTimestamp(rowField(row, M.receivedAt)),
      dueDateMs: dueDate === null ? null : parseTimestreamTimestamp(dueDate),
      paymentTermsDays: termsDays === null ? null : Number(termsDays),
    },
  };
}
