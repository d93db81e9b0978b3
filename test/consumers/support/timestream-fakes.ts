import type { QueryCommandOutput } from '@aws-sdk/client-timestream-query';
import { RejectedRecordsException, ThrottlingException } from '@aws-sdk/client-timestream-write';
import type { InvoiceRecord } from '../../../consumers/record.js';

/** What Timestream answers: builders for query pages and write errors, shaped like the real API. */

/** Epoch ms as Timestream prints a TIMESTAMP: `2026-11-20 09:15:00.250000000` (UTC). */
export function timestreamTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}000000`;
}

const TIMELINE_COLUMNS = [
  'cell',
  'region',
  'stage',
  'invoiceId',
  'eventId',
  'vendorId',
  'currency',
  'time',
  'status',
  'amount_minor',
  'vendor_name',
  'received_at',
  'due_date',
  'payment_terms_days',
] as const;

type Cell = string | null;

export function queryPage(
  columns: readonly string[],
  rows: readonly Cell[][],
  nextToken?: string,
): QueryCommandOutput {
  return {
    $metadata: {},
    QueryId: 'query-1',
    ColumnInfo: columns.map((Name) => ({ Name, Type: { ScalarType: 'VARCHAR' } })),
    Rows: rows.map((row) => ({
      Data: row.map((value) => (value === null ? { NullValue: true } : { ScalarValue: value })),
    })),
    ...(nextToken ? { NextToken: nextToken } : {}),
  };
}

/** The timeline rows Timestream would return for records written by TimestreamStore. */
export function timelinePage(records: readonly InvoiceRecord[], nextToken?: string): QueryCommandOutput {
  const rows = records.map((r) => [
    r.dimensions.cell,
    r.dimensions.region,
    r.dimensions.stage,
    r.dimensions.invoiceId,
    r.dimensions.eventId,
    r.dimensions.vendorId,
    r.dimensions.currency,
    timestreamTimestamp(r.timeMs),
    r.measures.status,
    r.measures.amountMinor,
    r.measures.vendorName,
    timestreamTimestamp(r.measures.receivedAtMs),
    r.measures.dueDateMs === null ? null : timestreamTimestamp(r.measures.dueDateMs),
    r.measures.paymentTermsDays === null ? null : String(r.measures.paymentTermsDays),
  ]);
  return queryPage(TIMELINE_COLUMNS, rows, nextToken);
}

export function rejectedRecords(
  rejections: { RecordIndex?: number; Reason?: string; ExistingVersion?: number }[],
): RejectedRecordsException {
  return new RejectedRecordsException({
    $metadata: { httpStatusCode: 419 },
    message: 'One or more records have been rejected.',
    RejectedRecords: rejections,
  });
}

export function throttled(): ThrottlingException {
  return new ThrottlingException({
    $metadata: { httpStatusCode: 400 },
    message: 'Rate exceeded',
    Message: 'Rate exceeded',
  });
}
