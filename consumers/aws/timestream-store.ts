import type { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { type TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import type { CellTopology } from '../../cells/topology.js';
import type { InvoiceRecord } from '../record.js';
import {
  type AggregateQuery,
  type AggregateRow,
  type RejectedRecord,
  type TimeseriesStore,
  TransientStoreError,
  type WriteResult,
} from '../store.js';
import { describeAwsError, isTransientAwsError } from './aws-errors.js';
import { queryAllRows } from './timestream-query.js';
import { recordFromRow } from './timestream-record.js';
import {
  aggregateQuery,
  aggregateRowFrom,
  sortAggregateRows,
  sortTimeline,
  timelineQuery,
} from './timestream-record-queries.js';
import { classifyRejections, isRejectedRecordsError } from './timestream-rejections.js';
import { timestreamTable } from './timestream-sql.js';
import { planWrites, type WriteRequest } from './timestream-write-plan.js';

/** Construction options of {@link TimestreamStore}. */
export interface TimestreamStoreOptions {
  readonly writeClient: TimestreamWriteClient;
  readonly queryClient: TimestreamQueryClient;
  readonly database: string;
  readonly table: string;
  /** Orders a timeline's records of equal time by lifecycle stage. */
  readonly topology: CellTopology;
  /** Called for each record whose eventId was already stored with other values (first write wins). */
  readonly onDuplicate?: (record: InvoiceRecord, existingVersion: number, reason: string) => void;
}

/**
 * The AWS implementation of {@link TimeseriesStore}: Timestream for LiveAnalytics, one
 * multi-measure record (`MULTI`, measure name `invoice_event`) per event. Clients are injected so
 * that the handler owns the module singletons and tests mock them with aws-sdk-client-mock.
 *
 * Idempotency: Timestream accepts a record whose dimensions, time, measure name *and values* equal
 * a stored one (same version) as a no-op. A record with the same identity but other values and a
 * version not above the stored one is rejected with `ExistingVersion`. Identity includes `eventId`,
 * so that happens only when the same eventId arrives again with other values — typically a producer
 * retry after the 5-minute dedup window, which carries a new `receivedAtMs`. The eventId is the
 * idempotency key, so the first write wins: such a record counts as stored (reported through
 * `onDuplicate`), not as a failure that would loop through the queue into the DLQ forever.
 *
 * Errors: SDK throttling, 5xx and dropped connections become {@link TransientStoreError} (the
 * port's retryable error); anything else is thrown as the SDK threw it.
 *
 * @example
 * const store = new TimestreamStore({ writeClient, queryClient, database: 'invoices', table: 'events', topology });
 * const { rejected } = await store.writeRecords(records);
 */
export class TimestreamStore implements TimeseriesStore {
  readonly #write: TimestreamWriteClient;
  readonly #query: TimestreamQueryClient;
  readonly #database: string;
  readonly #table: string;
  readonly #topology: CellTopology;
  readonly #onDuplicate: TimestreamStoreOptions['onDuplicate'];

  constructor(options: TimestreamStoreOptions) {
    timestreamTable(options.database, options.table); // validates both names, throwing a message with the bad value
    this.#write = options.writeClient;
    this.#query = options.queryClient;
    this.#database = options.database;
    this.#table = options.table;
    this.#topology = options.topology;
    this.#onDuplicate = options.onDuplicate;
  }

  async writeRecords(records: readonly InvoiceRecord[]): Promise<WriteResult> {
    const { requests, invalid } = planWrites(records, this.#database, this.#table);
    const rejected: RejectedRecord[] = [...invalid];
    for (const request of requests) {
      rejected.push(...(await this.#send(request, records)));
    }
    return { rejected: rejected.sort((a, b) => a.index - b.index) };
  }

  async #send(request: WriteRequest, records: readonly InvoiceRecord[]): Promise<RejectedRecord[]> {
    try {
      await this.#write.send(new WriteRecordsCommand(request.input));
      return [];
    } catch (error) {
      if (isRejectedRecordsError(error)) {
        // The records not listed were written: RejectedRecords is per record, not per request.
        const { rejected, duplicates } = classifyRejections(error.RejectedRecords ?? [], request, records);
        for (const d of duplicates) {
          this.#onDuplicate?.(records[d.index] as InvoiceRecord, d.existingVersion, d.reason);
        }
        return rejected;
      }
      if (isTransientAwsError(error)) {
        throw new TransientStoreError(`Timestream WriteRecords failed: ${describeAwsError(error)}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async timeline(invoiceId: string): Promise<InvoiceRecord[]> {
    const rows = await queryAllRows(this.#query, timelineQuery(this.#database, this.#table, invoiceId));
    return sortTimeline(rows.map(recordFromRow), this.#topology);
  }

  async aggregate(query: AggregateQuery): Promise<AggregateRow[]> {
    const rows = await queryAllRows(this.#query, aggregateQuery(this.#database, this.#table, query));
    return sortAggregateRows(
      rows.map((row) => aggregateRowFrom(row, query.byCurrency === true)),
      this.#topology,
    );
  }
}
