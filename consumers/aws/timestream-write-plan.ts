import type { WriteRecordsCommandInput } from '@aws-sdk/client-timestream-write';
import { INVOICE_MEASURE_NAME, type InvoiceRecord } from '../record.js';
import { MAX_RECORDS_PER_WRITE, type RejectedRecord } from '../store.js';
import { type DimensionName, toTimestreamRecord } from './timestream-record.js';

/** Dimensions every record of one processor shares; sent once per request in CommonAttributes. */
const WRITE_CONTEXT_DIMENSIONS: readonly DimensionName[] = ['cell', 'region', 'stage'];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** One WriteRecords request and, per record in it, the index of its `InvoiceRecord` in the input. */
export interface WriteRequest {
  readonly input: WriteRecordsCommandInput;
  readonly indexes: readonly number[];
}

/** Indexes of the records Timestream can take, and the refusals of those it would refuse for certain. */
function splitSendable(records: readonly InvoiceRecord[]): { sendable: number[]; invalid: RejectedRecord[] } {
  const invalid: RejectedRecord[] = [];
  const sendable: number[] = [];
  records.forEach((record, index) => {
    const amount = BigInt(record.measures.amountMinor);
    if (amount < INT64_MIN || amount > INT64_MAX) {
      invalid.push({
        index,
        reason: `amount_minor ${record.measures.amountMinor} does not fit a Timestream BIGINT`,
        retryable: false,
      });
    } else sendable.push(index);
  });
  return { sendable, invalid };
}

/** The request of one chunk of ≤ 100 records, with the dimensions they all share sent once. */
function requestOf(
  records: readonly InvoiceRecord[],
  indexes: readonly number[],
  database: string,
  table: string,
): WriteRequest {
  const chunk = indexes.map((i) => records[i] as InvoiceRecord);
  const first = chunk[0] as InvoiceRecord;
  const shared = new Set(
    WRITE_CONTEXT_DIMENSIONS.filter((name) =>
      chunk.every((r) => r.dimensions[name] === first.dimensions[name]),
    ),
  );
  return {
    indexes,
    input: {
      DatabaseName: database,
      TableName: table,
      CommonAttributes: {
        ...(shared.size > 0
          ? { Dimensions: [...shared].map((name) => ({ Name: name, Value: first.dimensions[name] })) }
          : {}),
        MeasureName: INVOICE_MEASURE_NAME,
        MeasureValueType: 'MULTI',
        TimeUnit: 'MILLISECONDS',
      },
      Records: chunk.map((r) => toTimestreamRecord(r, shared)),
    },
  };
}

/**
 * Splits records into WriteRecords requests of ≤ 100, with the measure name, type, time unit and
 * the dimensions all records of a request share in CommonAttributes. Records that Timestream
 * would refuse for certain (an amount beyond BIGINT) are returned as `invalid` and not sent. Pure.
 *
 * @example
 * const { requests, invalid } = planWrites(records, 'invoices', 'events');
 * for (const request of requests) await client.send(new WriteRecordsCommand(request.input));
 */
export function planWrites(
  records: readonly InvoiceRecord[],
  database: string,
  table: string,
): { requests: WriteRequest[]; invalid: RejectedRecord[] } {
  const { sendable, invalid } = splitSendable(records);
  const requests: WriteRequest[] = [];
  for (let start = 0; start < sendable.length; start += MAX_RECORDS_PER_WRITE) {
    requests.push(requestOf(records, sendable.slice(start, start + MAX_RECORDS_PER_WRITE), database, table));
  }
  return { requests, invalid };
}
