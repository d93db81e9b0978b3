import type { Statement } from 'better-sqlite3';
import type { Clock } from '../../../consumers/clock.js';
import type { InvoiceRecord } from '../../../consumers/record.js';
import {
  type AggregateQuery,
  type AggregateRow,
  MAX_RECORDS_PER_WRITE,
  type RejectedRecord,
  type TimeseriesStore,
  TransientStoreError,
  type WriteResult,
} from '../../../consumers/store.js';
import type { RollupRecord } from '../../../dashboards/rollups/contributions.js';
import { toRollupRecord } from '../../../dashboards/rollups/rollup-record.js';
import type { CellTopology, StageName } from '../../topology.js';
import { type DatabaseHandle, WriteBatcher } from './db.js';
import type { FirstWriteHook } from './first-write-hook.js';
import { numberOrNull, type RecordRow, recordOfRow } from './record-row.js';
import { prepareVendorUpsert, type VendorUpsertParams } from './vendor-names.js';

/**
 * The local time-series store: `TimeseriesStore` on the `records` table of the cell database.
 *
 * - Idempotent writes: `INSERT ... ON CONFLICT DO NOTHING` on the record identity (eventId +
 *   dimensions + time + measure name); an identical record is a no-op, a *different* record with
 *   the same identity comes back `rejected`, not retryable (Timestream's behaviour for a
 *   same-version change).
 * - Per-invoice order within one call: once a record is refused, the later records of the same
 *   invoice in that call are refused too and not written. `processBatch` fails them anyway
 *   (FIFO group rule) and the queue redelivers them after the refused one; refusing them here keeps
 *   the store from holding an invoice's event N+1 without event N while N is being retried.
 * - Money is INTEGER minor units bound as BigInt (never REAL); an amount outside SQLite's 64-bit
 *   range is rejected, as Timestream BIGINT would.
 * - `stored_at_ms` is written beside the record on first write only, for ingest-to-store latency.
 * - Group commit: every `writeRecords` call made in the same event-loop turn (the poller runs many
 *   batches at once) is written in one transaction ({@link WriteBatcher}); each call still gets
 *   its own result.
 * - `timeline` is SQL over the (invoice_id, time) index. `aggregate` (the port's window query, which
 *   the local cell's own reads no longer use: they read rollups) scans the window.
 *
 * @example
 * const store = new SqliteStore(db, { topology, clock: SYSTEM_CLOCK });
 * const { rejected } = await store.writeRecords(records);
 */

export interface SqliteStoreOptions {
  readonly topology: CellTopology;
  readonly clock: Clock;
  /** Called once per record actually inserted (not for no-op rewrites). */
  readonly onInserted?: (record: InvoiceRecord, storedAtMs: number) => void;
  /** The connection's group commit; writes join its next transaction (one is created if absent). */
  readonly batcher?: WriteBatcher;
  /**
   * Run in the write transaction with the records inserted (rollups, invoice state, counters).
   * Build the store with `createRecordStore` (`record-store.ts`) to get the cell's hooks.
   */
  readonly hooks?: readonly FirstWriteHook[];
}

/** A stored record with the metadata kept beside it. */
export interface StoredRecord {
  readonly record: InvoiceRecord;
  readonly storedAtMs: number;
  /** Insertion sequence: the order records were first written. */
  readonly storeSeq: number;
}

/** A full `records` row: the record's columns and the store's metadata. */
interface StoredRow extends RecordRow {
  id: bigint;
  measure_name: string;
  version: bigint;
  stored_at_ms: bigint;
}

type InsertParams = [
  string,
  string,
  number,
  string,
  string,
  string,
  number,
  string,
  string,
  string,
  number,
  string,
  bigint,
  string,
  number,
  number | null,
  number | null,
  number,
];

type IdentityParams = [string, string, string, string, string, string, string, number, string];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

interface WriteOutcome extends WriteResult {
  readonly inserted: readonly InvoiceRecord[];
  readonly storedAtMs: number;
}

function sameMeasures(record: InvoiceRecord, amount: bigint, row: StoredRow): boolean {
  const m = record.measures;
  return (
    Number(row.version) === record.version &&
    row.status === m.status &&
    row.amount_minor === amount &&
    row.vendor_name === m.vendorName &&
    Number(row.received_at_ms) === m.receivedAtMs &&
    numberOrNull(row.due_date_ms) === m.dueDateMs &&
    numberOrNull(row.payment_terms_days) === m.paymentTermsDays
  );
}

/**
 * The port's error for a failed write: this adapter, not the core, knows SQLite's errors. The
 * expected case is a busy database (`SQLITE_BUSY`, or `DatabaseBusyError` once the batcher gave up
 * waiting for the other connection's write lock), which is transient by nature. Any other failure
 * of a local write (an I/O error, a full disk) is reported as transient too: the processor retries
 * it within its budget and the queue redelivers the batch, which the DLQ bounds. Pure.
 */
export function toStoreWriteError(error: unknown): TransientStoreError {
  const detail = error instanceof Error ? error.message : String(error);
  return new TransientStoreError(`record write failed: ${detail}`, { cause: error });
}

export class SqliteStore implements TimeseriesStore {
  readonly #db: DatabaseHandle;
  readonly #options: SqliteStoreOptions;
  readonly #stageOrder: ReadonlyMap<string, number>;
  readonly #insert: Statement<InsertParams>;
  readonly #upsertVendor: Statement<VendorUpsertParams>;
  readonly #selectIdentity: Statement<IdentityParams, StoredRow>;
  readonly #timeline: Statement<[string], StoredRow>;
  readonly #batcher: WriteBatcher;
  /** First writes of the commit being built, for {@link SqliteStore.#applyHooks}. */
  #firstWrites: RollupRecord[] = [];

  constructor(db: DatabaseHandle, options: SqliteStoreOptions) {
    this.#db = db;
    this.#options = options;
    this.#stageOrder = new Map(options.topology.stages.map((s) => [s.name, s.order]));
    this.#insert = db.prepare(
      `INSERT INTO records (event_id, measure_name, time_ms, cell, region, stage, stage_order, invoice_id,
         vendor_id, currency, version, status, amount_minor, vendor_name, received_at_ms, due_date_ms,
         payment_terms_days, stored_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    );
    this.#upsertVendor = prepareVendorUpsert(db);
    this.#selectIdentity = db
      .prepare<IdentityParams, StoredRow>(
        `SELECT * FROM records WHERE event_id = ? AND stage = ? AND invoice_id = ? AND cell = ?
           AND region = ? AND vendor_id = ? AND currency = ? AND time_ms = ? AND measure_name = ?`,
      )
      .safeIntegers(true);
    this.#timeline = db
      .prepare<[string], StoredRow>(
        'SELECT * FROM records WHERE invoice_id = ? ORDER BY time_ms, stage_order, id',
      )
      .safeIntegers(true);
    this.#batcher = options.batcher ?? new WriteBatcher(db);
    this.#batcher.onCommit({
      beforeCommit: () => this.#applyHooks(),
      discard: () => {
        this.#firstWrites = [];
      },
    });
  }

  /**
   * The hooks see the first writes of a whole commit at once (in the commit's transaction): a
   * commit carries many batches, and the rollup rows they touch overlap (same bins, same keys), so
   * adding their deltas up before writing costs a fraction of one upsert set per batch. A hook's
   * failure fails the whole commit: every write of it is rolled back and redelivered.
   */
  #applyHooks(): void {
    const records = this.#firstWrites;
    this.#firstWrites = [];
    if (records.length === 0) return;
    for (const hook of this.#options.hooks ?? []) hook.apply(records);
  }

  /** Writes ≤ 100 records; calls made in the same turn share one transaction. */
  async writeRecords(records: readonly InvoiceRecord[]): Promise<WriteResult> {
    if (records.length > MAX_RECORDS_PER_WRITE) {
      throw new RangeError(
        `writeRecords takes at most ${MAX_RECORDS_PER_WRITE} records, got ${records.length}`,
      );
    }
    let outcome: WriteOutcome;
    try {
      outcome = await this.#batcher.run(() => this.#writeNow(records));
    } catch (error) {
      throw toStoreWriteError(error);
    }
    // Only after the commit: a rolled-back insert must not count as stored.
    for (const record of outcome.inserted) this.#options.onInserted?.(record, outcome.storedAtMs);
    return { rejected: outcome.rejected };
  }

  #writeNow(records: readonly InvoiceRecord[]): WriteOutcome {
    const rejected: RejectedRecord[] = [];
    const inserted: InvoiceRecord[] = [];
    const firstWrites: RollupRecord[] = [];
    const storedAtMs = this.#options.clock.now();
    const refusedInvoices = new Set<string>();
    const reject = (index: number, invoiceId: string, reason: string) => {
      rejected.push({ index, reason, retryable: false });
      refusedInvoices.add(invoiceId);
    };
    records.forEach((record, index) => {
      const d = record.dimensions;
      const m = record.measures;
      if (refusedInvoices.has(d.invoiceId)) {
        reject(index, d.invoiceId, `an earlier record of invoice ${d.invoiceId} in this write was refused`);
        return;
      }
      let amount: bigint;
      try {
        amount = BigInt(m.amountMinor);
      } catch {
        reject(index, d.invoiceId, `amountMinor "${m.amountMinor}" is not an integer`);
        return;
      }
      if (amount < INT64_MIN || amount > INT64_MAX) {
        reject(index, d.invoiceId, `amountMinor ${m.amountMinor} exceeds the BIGINT range`);
        return;
      }
      const stageOrder = this.#stageOrder.get(d.stage);
      if (stageOrder === undefined) {
        reject(index, d.invoiceId, `stage "${d.stage}" is not in the topology`);
        return;
      }
      const info = this.#insert.run(
        d.eventId,
        record.measureName,
        record.timeMs,
        d.cell,
        d.region,
        d.stage,
        stageOrder,
        d.invoiceId,
        d.vendorId,
        d.currency,
        record.version,
        m.status,
        amount,
        m.vendorName,
        m.receivedAtMs,
        m.dueDateMs,
        m.paymentTermsDays,
        storedAtMs,
      );
      if (info.changes === 1) {
        // Same transaction as the record: the dashboards' vendor names never lag the records.
        this.#upsertVendor.run(d.vendorId, m.vendorName, record.timeMs);
        inserted.push(record);
        firstWrites.push(toRollupRecord(record, stageOrder, storedAtMs));
        return;
      }
      const existing = this.#selectIdentity.get(
        d.eventId,
        d.stage,
        d.invoiceId,
        d.cell,
        d.region,
        d.vendorId,
        d.currency,
        record.timeMs,
        record.measureName,
      );
      if (existing && !sameMeasures(record, amount, existing)) {
        reject(
          index,
          d.invoiceId,
          `a different record with the same identity (event ${d.eventId}) is already stored`,
        );
      }
    });
    // Last, so a job that threw midway (its savepoint rolled back) leaves nothing here.
    this.#firstWrites.push(...firstWrites);
    return { rejected, inserted, storedAtMs };
  }

  async timeline(invoiceId: string): Promise<InvoiceRecord[]> {
    return this.timelineWithMetadata(invoiceId).map((s) => s.record);
  }

  /** The invoice's records in lifecycle order, with stored-at time and insertion sequence. */
  timelineWithMetadata(invoiceId: string): StoredRecord[] {
    return this.#timeline.all(invoiceId).map((row) => ({
      record: recordOfRow(row),
      storedAtMs: Number(row.stored_at_ms),
      storeSeq: Number(row.id),
    }));
  }

  async aggregate(query: AggregateQuery): Promise<AggregateRow[]> {
    const binMs = Math.round(query.binSec * 1000);
    if (!(binMs > 0)) throw new RangeError(`binSec must be positive, got ${query.binSec}`);
    const stages = query.stage ? [query.stage] : this.#options.topology.stages.map((s) => s.name);
    const placeholders = stages.map(() => '?').join(', ');
    const currency = query.byCurrency ? ', currency' : '';
    const sql = (sum: string) =>
      `SELECT time_ms - (((time_ms % ?) + ?) % ?) AS bin_start, stage${currency},
         count(*) AS events, ${sum} AS amount_sum
       FROM records WHERE stage IN (${placeholders}) AND time_ms >= ? AND time_ms < ?
       GROUP BY bin_start, stage${currency}
       ORDER BY bin_start, min(stage_order)${currency}`;
    const params = [binMs, binMs, binMs, ...stages, query.fromMs, query.toMs];
    type Row = { bin_start: bigint; stage: string; currency?: string; events: bigint; amount_sum: bigint };
    let rows: Row[];
    try {
      rows = this.#db
        .prepare<unknown[], Row>(sql('sum(amount_minor)'))
        .safeIntegers(true)
        .all(...params);
    } catch (error) {
      if (!/integer overflow/i.test(String(error))) throw error;
      rows = this.#sumInJs(sql, params, query);
    }
    return rows.map((r) => ({
      binStartMs: Number(r.bin_start),
      stage: r.stage as StageName,
      ...(query.byCurrency ? { currency: r.currency } : {}),
      events: Number(r.events),
      amountMinorSum: r.amount_sum.toString(),
    }));
  }

  /** Sums beyond 64 bits (SQLite's SUM overflows): sum the amounts as BigInt in JS. */
  #sumInJs(
    sql: (sum: string) => string,
    params: unknown[],
    query: AggregateQuery,
  ): { bin_start: bigint; stage: string; currency?: string; events: bigint; amount_sum: bigint }[] {
    const groups = this.#db
      .prepare<unknown[], { bin_start: bigint; stage: string; currency?: string; events: bigint }>(sql('0'))
      .safeIntegers(true)
      .all(...params);
    const amounts = this.#db
      .prepare<unknown[], { time_ms: bigint; stage: string; currency: string; amount_minor: bigint }>(
        `SELECT time_ms, stage, currency, amount_minor FROM records
         WHERE stage IN (${params
           .slice(3, -2)
           .map(() => '?')
           .join(', ')}) AND time_ms >= ? AND time_ms < ?`,
      )
      .safeIntegers(true)
      .all(...params.slice(3));
    const binMs = BigInt(Math.round(query.binSec * 1000));
    const sums = new Map<string, bigint>();
    for (const a of amounts) {
      const bin = a.time_ms - (((a.time_ms % binMs) + binMs) % binMs);
      const key = `${bin}|${a.stage}|${query.byCurrency ? a.currency : ''}`;
      sums.set(key, (sums.get(key) ?? 0n) + a.amount_minor);
    }
    return groups.map((g) => ({
      ...g,
      amount_sum: sums.get(`${g.bin_start}|${g.stage}|${query.byCurrency ? g.currency : ''}`) ?? 0n,
    }));
  }
}
