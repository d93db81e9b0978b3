import type { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import {
  type _Record,
  type MeasureValue,
  RejectedRecordsException,
  type TimestreamWriteClient,
  WriteRecordsCommand,
  type WriteRecordsCommandInput,
} from '@aws-sdk/client-timestream-write';
import { CELL_TOPOLOGY, type CellTopology, isStageName, type StageName } from '../../cells/topology.js';
import envelope from '../../schemas/envelope.schema.json' with { type: 'json' };
import { INVOICE_MEASURE_NAME, type InvoiceRecord } from '../record.js';
import { QueryParameterError, quoteIdentifier, quoteText } from '../sql/sql-text.js';
import { isTransientError } from '../stage-processor.js';
import {
  type AggregateQuery,
  type AggregateRow,
  MAX_RECORDS_PER_WRITE,
  type RejectedRecord,
  type TimeseriesStore,
  TransientStoreError,
  type WriteResult,
} from '../store.js';
import { type QueryRow, queryAllRows } from './timestream-query.js';
import { timestreamTable } from './timestream-sql.js';

/** Construction options of {@link TimestreamStore}. */
export interface TimestreamStoreOptions {
  readonly writeClient: TimestreamWriteClient;
  readonly queryClient: TimestreamQueryClient;
  readonly database: string;
  readonly table: string;
  /** Orders a timeline's records of equal time by lifecycle stage. */
  readonly topology?: CellTopology;
  /** Called for each record whose eventId was already stored with other values (first write wins). */
  readonly onDuplicate?: (record: InvoiceRecord, existingVersion: number, reason: string) => void;
}

export { QueryParameterError };

/** Multi-measure value names in the table. */
export const TIMESTREAM_MEASURES = {
  status: 'status',
  amountMinor: 'amount_minor',
  vendorName: 'vendor_name',
  receivedAt: 'received_at',
  dueDate: 'due_date',
  paymentTermsDays: 'payment_terms_days',
} as const;

type DimensionName = keyof InvoiceRecord['dimensions'];

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
const DIMENSION_NAMES = Object.keys(DIMENSIONS) as DimensionName[];

/** Dimensions every record of one processor shares; sent once per request in CommonAttributes. */
const WRITE_CONTEXT_DIMENSIONS: readonly DimensionName[] = ['cell', 'region', 'stage'];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Timestream database and table names: 3..256 of letters, digits, `_ . -`. */
const _TIMESTREAM_NAME = /^[A-Za-z0-9_.-]{3,256}$/;

/** The invoiceId rule of the event contract, taken from the schema so the two cannot drift. */
const INVOICE_ID = new RegExp(envelope.properties.invoiceId.pattern);

/** One WriteRecords request and, per record in it, the index of its `InvoiceRecord` in the input. */
export interface WriteRequest {
  readonly input: WriteRecordsCommandInput;
  readonly indexes: readonly number[];
}

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

/**
 * Splits records into WriteRecords requests of ≤ 100, with the measure name, type, time unit and
 * the dimensions all records of a request share in CommonAttributes. Records that Timestream
 * would refuse for certain (an amount beyond BIGINT) are returned as `invalid` and not sent. Pure.
 */
export function planWrites(
  records: readonly InvoiceRecord[],
  database: string,
  table: string,
): { requests: WriteRequest[]; invalid: RejectedRecord[] } {
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
  const requests: WriteRequest[] = [];
  for (let start = 0; start < sendable.length; start += MAX_RECORDS_PER_WRITE) {
    const indexes = sendable.slice(start, start + MAX_RECORDS_PER_WRITE);
    const chunk = indexes.map((i) => records[i] as InvoiceRecord);
    const first = chunk[0] as InvoiceRecord;
    const shared = new Set(
      WRITE_CONTEXT_DIMENSIONS.filter((name) =>
        chunk.every((r) => r.dimensions[name] === first.dimensions[name]),
      ),
    );
    requests.push({
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
    });
  }
  return { requests, invalid };
}

/** One entry of `RejectedRecordsException.RejectedRecords`. */
export interface TimestreamRejection {
  readonly RecordIndex?: number;
  readonly Reason?: string;
  readonly ExistingVersion?: number;
}

/**
 * Maps Timestream's rejections of one request back to input indexes and sorts them into real
 * rejections and duplicates of an already stored eventId (see {@link TimestreamStore}). A
 * rejection without a usable index fails the whole request: better retried than silently lost. Pure.
 */
export function classifyRejections(
  rejections: readonly TimestreamRejection[],
  request: WriteRequest,
  records: readonly InvoiceRecord[],
): { rejected: RejectedRecord[]; duplicates: { index: number; existingVersion: number; reason: string }[] } {
  const rejected: RejectedRecord[] = [];
  const duplicates: { index: number; existingVersion: number; reason: string }[] = [];
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

function isRejectedRecordsError(error: unknown): error is RejectedRecordsException {
  return (
    error instanceof RejectedRecordsException ||
    (error instanceof Error && error.name === 'RejectedRecordsException')
  );
}

const q = quoteIdentifier;

/**
 * The SQL of an invoice's timeline. Only an invoiceId that the event contract accepts is put into
 * the query; anything else throws {@link QueryParameterError}. Pure.
 */
export function timelineQuery(database: string, table: string, invoiceId: string): string {
  if (!INVOICE_ID.test(invoiceId)) {
    throw new QueryParameterError(
      `invoiceId ${JSON.stringify(invoiceId)} does not match the contract pattern ${INVOICE_ID.source}`,
    );
  }
  const M = TIMESTREAM_MEASURES;
  const columns = [
    ...DIMENSION_NAMES.map(q),
    'time',
    q(M.status),
    q(M.amountMinor),
    q(M.vendorName),
    q(M.receivedAt),
    q(M.dueDate),
    q(M.paymentTermsDays),
  ];
  return [
    `SELECT ${columns.join(', ')}`,
    `FROM ${timestreamTable(database, table)}`,
    `WHERE measure_name = ${quoteText(INVOICE_MEASURE_NAME)} AND ${q('invoiceId')} = ${quoteText(invoiceId)}`,
    'ORDER BY time ASC',
  ].join('\n');
}

/**
 * The SQL of a binned aggregate: events and summed minor units per bin and stage (and currency),
 * over `[fromMs, toMs)`. Throws {@link QueryParameterError} for a bad window, bin or stage. Pure.
 */
export function aggregateQuery(database: string, table: string, query: AggregateQuery): string {
  const { fromMs, toMs, binSec, stage, byCurrency } = query;
  if (!Number.isSafeInteger(fromMs) || !Number.isSafeInteger(toMs) || fromMs >= toMs) {
    throw new QueryParameterError(`time window [${fromMs}, ${toMs}) must be integer epoch ms with from < to`);
  }
  if (!Number.isSafeInteger(binSec) || binSec <= 0) {
    throw new QueryParameterError(`binSec must be a positive integer, got ${binSec}`);
  }
  if (stage !== undefined && !isStageName(stage)) {
    throw new QueryParameterError(`stage ${JSON.stringify(stage)} is not a stage`);
  }
  const bin = `bin(time, ${binSec}s)`;
  const groups = [q('stage'), ...(byCurrency ? [q('currency')] : [])];
  const where = [
    `measure_name = ${quoteText(INVOICE_MEASURE_NAME)}`,
    `time >= from_milliseconds(${fromMs})`,
    `time < from_milliseconds(${toMs})`,
    ...(stage ? [`${q('stage')} = ${quoteText(stage)}`] : []),
  ];
  return [
    `SELECT ${bin} AS bin_start, ${groups.join(', ')}, count(*) AS events, sum(${q(TIMESTREAM_MEASURES.amountMinor)}) AS amount_minor_sum`,
    `FROM ${timestreamTable(database, table)}`,
    `WHERE ${where.join(' AND ')}`,
    `GROUP BY ${bin}, ${groups.join(', ')}`,
    `ORDER BY bin_start ASC, ${groups.map((g) => `${g} ASC`).join(', ')}`,
  ].join('\n');
}

const TIMESTREAM_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?$/;

/** Parses Timestream's `2026-11-20 09:15:00.250000000` (UTC) to epoch ms (sub-ms digits dropped). Pure. */
export function parseTimestreamTimestamp(value: string): number {
  const match = TIMESTREAM_TIMESTAMP.exec(value);
  const ms = match ? Date.parse(`${match[1]}T${match[2]}Z`) : Number.NaN;
  if (!match || Number.isNaN(ms)) throw new Error(`"${value}" is not a Timestream timestamp`);
  return ms + Number((match[3] ?? '').padEnd(3, '0').slice(0, 3));
}

function field(row: QueryRow, name: string): string {
  const value = row[name];
  if (value === undefined || value === null) throw new Error(`query row has no value for ${name}`);
  return value;
}

function stageField(row: QueryRow): StageName {
  const stage = field(row, 'stage');
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
    timeMs: parseTimestreamTimestamp(field(row, 'time')),
    // Queries do not return the version; every record this code writes has version 1.
    version: 1,
    dimensions: {
      cell: field(row, 'cell'),
      region: field(row, 'region'),
      stage: stageField(row),
      invoiceId: field(row, 'invoiceId'),
      eventId: field(row, 'eventId'),
      vendorId: field(row, 'vendorId'),
      currency: field(row, 'currency'),
    },
    measures: {
      status: field(row, M.status),
      amountMinor: field(row, M.amountMinor),
      vendorName: field(row, M.vendorName),
      receivedAtMs: parseTimestreamTimestamp(field(row, M.receivedAt)),
      dueDateMs: dueDate === null ? null : parseTimestreamTimestamp(dueDate),
      paymentTermsDays: termsDays === null ? null : Number(termsDays),
    },
  };
}

/** Lifecycle order: time, then stage order in the topology, then eventId for a stable result. Pure. */
export function sortTimeline(records: readonly InvoiceRecord[], topology: CellTopology): InvoiceRecord[] {
  const order = new Map(topology.stages.map((s) => [s.name, s.order]));
  return [...records].sort(
    (a, b) =>
      a.timeMs - b.timeMs ||
      (order.get(a.dimensions.stage) ?? 0) - (order.get(b.dimensions.stage) ?? 0) ||
      a.dimensions.eventId.localeCompare(b.dimensions.eventId),
  );
}

/** Parses one aggregate row. Pure. */
export function aggregateRowFrom(row: QueryRow, byCurrency: boolean): AggregateRow {
  const currency = byCurrency ? field(row, 'currency') : undefined;
  return {
    binStartMs: parseTimestreamTimestamp(field(row, 'bin_start')),
    stage: stageField(row),
    ...(currency !== undefined ? { currency } : {}),
    events: Number(field(row, 'events')),
    // sum() over no non-null values is NULL; BIGINT sums stay decimal strings (no float).
    amountMinorSum: row.amount_minor_sum ?? '0',
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
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
 * @example
 * const store = new TimestreamStore({ writeClient, queryClient, database: 'invoices', table: 'events' });
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
    this.#topology = options.topology ?? CELL_TOPOLOGY;
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
      if (isTransientError(error)) {
        throw new TransientStoreError(`Timestream WriteRecords failed: ${describeError(error)}`, {
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
    const order = new Map(this.#topology.stages.map((s) => [s.name, s.order]));
    return rows
      .map((row) => aggregateRowFrom(row, query.byCurrency === true))
      .sort(
        (a, b) =>
          a.binStartMs - b.binStartMs ||
          (order.get(a.stage) ?? 0) - (order.get(b.stage) ?? 0) ||
          (a.currency ?? '').localeCompare(b.currency ?? ''),
      );
  }
}
