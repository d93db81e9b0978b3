import type { StageName } from '../cells/topology.js';
import type { InvoiceRecord } from './record.js';

/**
 * The time-series store port. Processors depend on this only; Timestream (AWS) and SQLite (local
 * cell) implement it. Writes are idempotent per record identity (an identical record is a no-op).
 *
 * @example
 * const result = await store.writeRecords(records);
 * for (const r of result.rejected) failed.add(records[r.index].dimensions.eventId);
 */
export interface TimeseriesStore {
  /**
   * Writes up to {@link MAX_RECORDS_PER_WRITE} records in one call. Never throws for a record that
   * the store refused: such records come back in `rejected`, by index into `records`. Throws for
   * failures of the whole call: a failure that may succeed on retry (network, throttling, a busy
   * database) as {@link TransientStoreError}, which is the only error shape callers check.
   */
  writeRecords(records: readonly InvoiceRecord[]): Promise<WriteResult>;
  /** Every stored record of one invoice, in lifecycle order (time, then stage order). */
  timeline(invoiceId: string): Promise<InvoiceRecord[]>;
  /** Counts and sums per stage (and currency) per time bin, over `[fromMs, toMs)`. */
  aggregate(query: AggregateQuery): Promise<AggregateRow[]>;
}

/** Timestream WriteRecords takes at most 100 records per call. */
export const MAX_RECORDS_PER_WRITE = 100;

export interface WriteResult {
  readonly rejected: readonly RejectedRecord[];
}

export interface RejectedRecord {
  /** Index into the `records` argument. */
  readonly index: number;
  readonly reason: string;
  /** True when retrying the same record later may succeed. */
  readonly retryable: boolean;
}

export interface AggregateQuery {
  readonly fromMs: number;
  readonly toMs: number;
  /** Bin width; rows carry the bin start. */
  readonly binSec: number;
  readonly stage?: StageName;
  /** Group by currency too (finance views); otherwise `currency` is undefined in rows. */
  readonly byCurrency?: boolean;
}

export interface AggregateRow {
  readonly binStartMs: number;
  readonly stage: StageName;
  readonly currency?: string;
  readonly events: number;
  /** Sum of `amountMinor`, as a decimal string of minor units (only meaningful per currency). */
  readonly amountMinorSum: string;
}

/**
 * A store failure that may succeed on retry (throttling, 5xx, a busy database). Each adapter maps
 * its own driver's or SDK's errors to it, so the core never recognises an error by its shape.
 *
 * @example
 * if (isBusyError(error)) throw new TransientStoreError('database is busy', { cause: error });
 */
export class TransientStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientStoreError';
  }
}
