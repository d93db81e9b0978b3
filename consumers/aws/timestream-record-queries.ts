import { type CellTopology, isStageName } from '../../cells/topology.js';
import envelope from '../../schemas/envelope.schema.json' with { type: 'json' };
import { INVOICE_MEASURE_NAME, type InvoiceRecord } from '../record.js';
import { QueryParameterError, quoteIdentifier, quoteText } from '../sql/sql-text.js';
import type { AggregateQuery, AggregateRow } from '../store.js';
import type { QueryRow } from './timestream-query.js';
import {
  DIMENSION_NAMES,
  parseTimestreamTimestamp,
  rowField,
  rowStage,
  TIMESTREAM_MEASURES,
} from './timestream-record.js';
import { timestreamTable } from './timestream-sql.js';

/**
 * The store's two reads in Timestream SQL (an invoice's timeline, a binned aggregate) and the
 * shaping of their rows into the port's types.
 *
 * @example
 * const rows = await queryAllRows(client, timelineQuery('invoices', 'events', 'INV-2026-000123'));
 * const timeline = sortTimeline(rows.map(recordFromRow), topology);
 */

/** The invoiceId rule of the event contract, taken from the schema so the two cannot drift. */
const INVOICE_ID = new RegExp(envelope.properties.invoiceId.pattern);

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

/** Throws {@link QueryParameterError} for a bad window, bin or stage of an aggregate. Pure. */
function checkAggregateQuery({ fromMs, toMs, binSec, stage }: AggregateQuery): void {
  if (!Number.isSafeInteger(fromMs) || !Number.isSafeInteger(toMs) || fromMs >= toMs) {
    throw new QueryParameterError(`time window [${fromMs}, ${toMs}) must be integer epoch ms with from < to`);
  }
  if (!Number.isSafeInteger(binSec) || binSec <= 0) {
    throw new QueryParameterError(`binSec must be a positive integer, got ${binSec}`);
  }
  if (stage !== undefined && !isStageName(stage)) {
    throw new QueryParameterError(`stage ${JSON.stringify(stage)} is not a stage`);
  }
}

/**
 * The SQL of a binned aggregate: events and summed minor units per bin and stage (and currency),
 * over `[fromMs, toMs)`. Throws {@link QueryParameterError} for a bad window, bin or stage. Pure.
 */
export function aggregateQuery(database: string, table: string, query: AggregateQuery): string {
  checkAggregateQuery(query);
  const { fromMs, toMs, binSec, stage, byCurrency } = query;
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

function stageOrder(topology: CellTopology): ReadonlyMap<string, number> {
  return new Map(topology.stages.map((s) => [s.name, s.order]));
}

/** Lifecycle order: time, then stage order in the topology, then eventId for a stable result. Pure. */
export function sortTimeline(records: readonly InvoiceRecord[], topology: CellTopology): InvoiceRecord[] {
  const order = stageOrder(topology);
  return [...records].sort(
    (a, b) =>
      a.timeMs - b.timeMs ||
      (order.get(a.dimensions.stage) ?? 0) - (order.get(b.dimensions.stage) ?? 0) ||
      a.dimensions.eventId.localeCompare(b.dimensions.eventId),
  );
}

/** Parses one aggregate row. Pure. */
export function aggregateRowFrom(row: QueryRow, byCurrency: boolean): AggregateRow {
  const currency = byCurrency ? rowField(row, 'currency') : undefined;
  return {
    binStartMs: parseTimestreamTimestamp(rowField(row, 'bin_start')),
    stage: rowStage(row),
    ...(currency !== undefined ? { currency } : {}),
    events: Number(rowField(row, 'events')),
    // sum() over no non-null values is NULL; BIGINT sums stay decimal strings (no float).
    amountMinorSum: row.amount_minor_sum ?? '0',
  };
}

/** Aggregate rows in bin order, then stage order in the topology, then currency. Pure. */
export function sortAggregateRows(rows: readonly AggregateRow[], topology: CellTopology): AggregateRow[] {
  const order = stageOrder(topology);
  return [...rows].sort(
    (a, b) =>
      a.binStartMs - b.binStartMs ||
      (order.get(a.stage) ?? 0) - (order.get(b.stage) ?? 0) ||
      (a.currency ?? '').localeCompare(b.currency ?? ''),
  );
}
