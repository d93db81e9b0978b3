import type { InvoiceRecord } from '../record.js';
import type { RejectedRecord } from '../store.js';
import { jsonParam, type SqlTransaction, sqlParam } from './sql-executor.js';

/**
 * The record insert of `PostgresStore.writeRecords`: the checks made before any SQL, and the one
 * statement that inserts a whole batch and says, per record, what happened to it.
 *
 * Before SQL ({@link planInsert}), in record order, as the local store does: an amount that is not
 * a BIGINT or a stage outside the topology is refused, and so is every later record of the same
 * invoice in the call (the FIFO group rule fails them anyway; refusing them here keeps the store
 * from holding an invoice's event N+1 without event N). A record whose eventId already appeared in
 * the call is not sent again: identical, it shares the first one's fate; different, it is refused.
 *
 * In SQL ({@link INSERT_RECORDS_SQL}), one statement for the batch: the rows travel as one JSON
 * parameter (ExecuteStatement has no array parameters), records whose eventId is stored with other
 * values are refused (Timestream's version conflict: the first write wins) together with the
 * later records of their invoice, and the rest go through `ON CONFLICT (event_id) DO NOTHING`.
 * The final SELECT reads `records` from the statement's snapshot, which does not contain the rows
 * this statement inserts, so "existed" means stored before this write.
 *
 * @example
 * const plan = planInsert(records, stageOrder);
 * const outcome = await insertCandidates(tx, plan.candidates, storedAtMs);
 */

/** A record that passed the checks and is sent to the database. */
export interface InsertCandidate {
  readonly index: number;
  readonly record: InvoiceRecord;
  readonly stageOrder: number;
}

/** A record whose eventId appeared earlier in the call with identical values. */
export interface RepeatedRecord {
  readonly index: number;
  /** Index of the first record with that eventId (a candidate). */
  readonly of: number;
}

export interface InsertPlan {
  readonly candidates: readonly InsertCandidate[];
  readonly repeats: readonly RepeatedRecord[];
  readonly rejected: readonly RejectedRecord[];
}

export interface InsertOutcome {
  /** Candidates inserted by this statement, in record order. */
  readonly inserted: readonly InsertCandidate[];
  /** Candidates refused by the database checks. */
  readonly rejected: readonly RejectedRecord[];
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The columns compared to decide "identical record" (not stage_order, not stored_at_ms). */
const RECORD_VALUE_COLUMNS = [
  'measure_name',
  'time_ms',
  'cell',
  'region',
  'stage',
  'invoice_id',
  'vendor_id',
  'currency',
  'version',
  'status',
  'amount_minor',
  'vendor_name',
  'received_at_ms',
  'due_date_ms',
  'payment_terms_days',
] as const;

/** The `records` columns a write inserts, besides `stored_at_ms`. */
export const INSERT_COLUMNS = ['event_id', ...RECORD_VALUE_COLUMNS, 'stage_order'] as const;

function amountProblem(amountMinor: string): string | undefined {
  let amount: bigint;
  try {
    amount = BigInt(amountMinor);
  } catch {
    return `amountMinor "${amountMinor}" is not an integer`;
  }
  if (amount < INT64_MIN || amount > INT64_MAX) return `amountMinor ${amountMinor} exceeds the BIGINT range`;
  return undefined;
}

/** Every value of a record in a fixed order (key order of the objects does not matter). */
function recordValues(r: InvoiceRecord): string {
  const d = r.dimensions;
  const m = r.measures;
  return JSON.stringify([
    r.measureName,
    r.timeMs,
    r.version,
    d.cell,
    d.region,
    d.stage,
    d.invoiceId,
    d.eventId,
    d.vendorId,
    d.currency,
    m.status,
    m.amountMinor,
    m.vendorName,
    m.receivedAtMs,
    m.dueDateMs,
    m.paymentTermsDays,
  ]);
}

function sameRecord(a: InvoiceRecord, b: InvoiceRecord): boolean {
  return recordValues(a) === recordValues(b);
}

/**
 * Sorts a call's records into candidates, repeats and refusals (see the module comment). Pure.
 *
 * @example
 * const { candidates, repeats, rejected } = planInsert(records, new Map([['ingestion', 0]]));
 */
export function planInsert(
  records: readonly InvoiceRecord[],
  stageOrder: ReadonlyMap<string, number>,
): InsertPlan {
  const candidates: InsertCandidate[] = [];
  const repeats: RepeatedRecord[] = [];
  const rejected: RejectedRecord[] = [];
  const refusedInvoices = new Set<string>();
  const firstByEvent = new Map<string, InsertCandidate>();
  for (const [index, record] of records.entries()) {
    const { invoiceId, eventId, stage } = record.dimensions;
    const order = stageOrder.get(stage);
    const first = firstByEvent.get(eventId);
    const problem = refusedInvoices.has(invoiceId)
      ? `an earlier record of invoice ${invoiceId} in this write was refused`
      : (amountProblem(record.measures.amountMinor) ??
        (order === undefined ? `stage "${stage}" is not in the topology` : undefined) ??
        (first && !sameRecord(first.record, record)
          ? `a different record with the same event id (${eventId}) is earlier in this write`
          : undefined));
    if (problem !== undefined) {
      rejected.push({ index, reason: problem, retryable: false });
      refusedInvoices.add(invoiceId);
    } else if (first) {
      repeats.push({ index, of: first.index });
    } else {
      const candidate = { index, record, stageOrder: order as number };
      candidates.push(candidate);
      firstByEvent.set(eventId, candidate);
    }
  }
  return { candidates, repeats, rejected };
}

/** The JSON rows of {@link insertRowOf} as `jsonb_to_recordset` columns. */
export const RECORDSET_COLUMNS = `idx integer, event_id text, measure_name text, time_ms bigint, cell text,
    region text, stage text, invoice_id text, vendor_id text, currency text, version bigint,
    status text, amount_minor bigint, vendor_name text, received_at_ms bigint, due_date_ms bigint,
    payment_terms_days integer, stage_order integer`;

const existingValues = RECORD_VALUE_COLUMNS.map((c) => `e.${c}`).join(', ');
const inputValues = RECORD_VALUE_COLUMNS.map((c) => `i.${c}`).join(', ');

/** The batch insert; parameters `:records` (JSON rows, see {@link insertCandidates}) and `:storedAtMs`. */
export const INSERT_RECORDS_SQL = `WITH input AS (
  SELECT * FROM jsonb_to_recordset(CAST(:records AS jsonb)) AS r(${RECORDSET_COLUMNS})
), conflicts AS (
  SELECT i.idx, i.invoice_id FROM input i JOIN records e ON e.event_id = i.event_id
  WHERE ROW(${existingValues}) IS DISTINCT FROM ROW(${inputValues})
), blocked AS (
  SELECT i.idx FROM input i
  WHERE EXISTS (SELECT 1 FROM conflicts c WHERE c.invoice_id = i.invoice_id AND c.idx < i.idx)
), inserted AS (
  INSERT INTO records (${INSERT_COLUMNS.join(', ')}, stored_at_ms)
  SELECT ${INSERT_COLUMNS.join(', ')}, :storedAtMs FROM input
  WHERE idx NOT IN (SELECT idx FROM conflicts) AND idx NOT IN (SELECT idx FROM blocked)
  ORDER BY idx
  ON CONFLICT (event_id) DO NOTHING
  RETURNING event_id
)
SELECT i.idx,
  EXISTS (SELECT 1 FROM inserted n WHERE n.event_id = i.event_id) AS inserted,
  EXISTS (SELECT 1 FROM conflicts c WHERE c.idx = i.idx) AS conflict,
  EXISTS (SELECT 1 FROM blocked b WHERE b.idx = i.idx) AS blocked,
  EXISTS (SELECT 1 FROM records e WHERE e.event_id = i.event_id) AS existed
FROM input i ORDER BY i.idx`;

/**
 * A candidate as the JSON row the insert reads (see {@link RECORDSET_COLUMNS}).
 *
 * @example
 * insertRowOf({ index: 0, record, stageOrder: 1 }).amount_minor; // "125000" (exact, a string)
 */
export function insertRowOf(c: InsertCandidate): Record<string, unknown> {
  const d = c.record.dimensions;
  const m = c.record.measures;
  return {
    idx: c.index,
    event_id: d.eventId,
    measure_name: c.record.measureName,
    time_ms: c.record.timeMs,
    cell: d.cell,
    region: d.region,
    stage: d.stage,
    invoice_id: d.invoiceId,
    vendor_id: d.vendorId,
    currency: d.currency,
    version: c.record.version,
    status: m.status,
    // A JSON string: PostgreSQL reads it into bigint exactly; a JSON number would pass through a double here.
    amount_minor: m.amountMinor,
    vendor_name: m.vendorName,
    received_at_ms: m.receivedAtMs,
    due_date_ms: m.dueDateMs,
    payment_terms_days: m.paymentTermsDays,
    stage_order: c.stageOrder,
  };
}

/**
 * Inserts the candidates in one statement and maps the answer back to record indexes.
 *
 * @example
 * const { inserted, rejected } = await insertCandidates(tx, plan.candidates, clock.now());
 */
export async function insertCandidates(
  tx: SqlTransaction,
  candidates: readonly InsertCandidate[],
  storedAtMs: number,
): Promise<InsertOutcome> {
  const { rows } = await tx.execute(INSERT_RECORDS_SQL, [
    jsonParam('records', candidates.map(insertRowOf)),
    sqlParam('storedAtMs', storedAtMs),
  ]);
  const byIndex = new Map(candidates.map((c) => [c.index, c]));
  const inserted: InsertCandidate[] = [];
  const rejected: RejectedRecord[] = [];
  for (const row of rows) {
    const candidate = byIndex.get(Number(row.idx));
    if (!candidate) throw new Error(`the record insert answered for unknown index ${String(row.idx)}`);
    const { eventId, invoiceId } = candidate.record.dimensions;
    const reject = (reason: string, retryable: boolean) =>
      rejected.push({ index: candidate.index, reason, retryable });
    if (row.inserted === true) inserted.push(candidate);
    else if (row.conflict === true)
      reject(`a different record with the same event id (${eventId}) is already stored`, false);
    else if (row.blocked === true)
      reject(`an earlier record of invoice ${invoiceId} in this write was refused`, false);
    // Neither inserted nor stored before: a concurrent transaction inserted it after this
    // statement's snapshot. A retry compares it with the stored row.
    else if (row.existed !== true) reject(`event ${eventId} was being written concurrently`, true);
  }
  if (rows.length !== candidates.length) {
    throw new Error(`the record insert answered ${rows.length} rows for ${candidates.length} records`);
  }
  return { inserted, rejected };
}
