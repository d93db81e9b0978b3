import { RejectedRecordsException } from '@aws-sdk/client-timestream-write';
import type { InvoiceRecord } from '../record.js';
import type { RejectedRecord } from '../store.js';
import type { WriteRequest } from './timestream-write-plan.js';

/** One entry of `RejectedRecordsException.RejectedRecords`. */
export interface TimestreamRejection {
  readonly RecordIndex?: number;
  readonly Reason?: string;
  readonly ExistingVersion?: number;
}

/** A rejection of an already stored eventId: the first write wins, so it counts as stored. */
export interface DuplicateRecord {
  readonly index: number;
  readonly existingVersion: number;
  readonly reason: string;
}

/**
 * Maps Timestream's rejections of one request back to input indexes and sorts them into real
 * rejections and duplicates of an already stored eventId (see `TimestreamStore`). A rejection
 * without a usable index fails the whole request: better retried than silently lost. Pure.
 *
 * @example
 * const { rejected, duplicates } = classifyRejections(error.RejectedRecords ?? [], request, records);
 */
export function classifyRejections(
  rejections: readonly TimestreamRejection[],
  request: WriteRequest,
  records: readonly InvoiceRecord[],
): { rejected: RejectedRecord[]; duplicates: DuplicateRecord[] } {
  const rejected: RejectedRecord[] = [];
  const duplicates: DuplicateRecord[] = [];
  for (const r of rejections) {
    const index = r.RecordIndex === undefined ? undefined : request.indexes[r.RecordIndex];
    const reason = r.Reason ?? 'rejected by Timestream without a reason';
    if (index === undefined) {
      return {
        rejected: request.indexes.map((i) => ({
          index: i,
          reason: `Timestream rejected record index ${String(r.RecordIndex)} of a request of ${request.indexes.length}: ${reason}`,
          retryable: true,
        })),
        duplicates: [],
      };
    }
    const record = records[index] as InvoiceRecord;
    if (r.ExistingVersion !== undefined && r.ExistingVersion >= record.version) {
      duplicates.push({ index, existingVersion: r.ExistingVersion, reason });
    } else {
      rejected.push({ index, reason, retryable: false });
    }
  }
  return { rejected, duplicates };
}

/** True for the per-record refusal of a WriteRecords call (some records were written). Pure. */
export function isRejectedRecordsError(error: unknown): error is RejectedRecordsException {
  return (
    error instanceof RejectedRecordsException ||
    (error instanceof Error && error.name === 'RejectedRecordsException')
  );
}
