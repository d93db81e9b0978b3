import type { Statement } from 'better-sqlite3';
import { TIME_BINS } from '../../../dashboards/panels/panel-types.js';
import { recordContributions } from '../../../dashboards/rollups/apply-record.js';
import { type CellRollups, cellRollups } from '../../../dashboards/rollups/cell-rollups.js';
import type { Contribution, RollupRecord } from '../../../dashboards/rollups/contributions.js';
import type { RollupSpec } from '../../../dashboards/rollups/rollup-specs.js';
import type { CellTopology, StageName } from '../../topology.js';
import type { DatabaseHandle } from './db.js';
import type { FirstWriteHook } from './first-write-hook.js';
import { numberOrNull } from './record-row.js';

/**
 * The rollups of the records panels in the cell database (migration 5), as a first-write hook: the
 * store calls {@link RollupWriter.apply} inside the record's write savepoint with the records it
 * actually inserted, so a duplicate, retry, redrive or replay never counts twice and a rolled-back
 * write leaves the rollups as they were.
 *
 * Per call: `recordContributions` (dashboards/rollups) for each record, with a latest-state lookup that
 * sees this call's earlier writes (a Map over primary-key reads of `rollup_latest`); every delta is
 * added up in memory per row, then each touched row gets one prepared UPSERT (zero deltas — a
 * latest record replaced by one that lands in the same row — are skipped), and a row that lost
 * records gets a primary-key delete guarded by `count = 0`, so the table holds only rows that
 * count (an UPSERT … RETURNING count on every row cost more CPU than these guarded deletes).
 * Then each changed latest row is written once. No statement scans: every one is a primary-key
 * lookup or write.
 *
 * @example
 * const store = new SqliteStore(db, { topology, clock, hooks: [new RollupWriter(db, topology)] });
 */

/** Money is stored as hi * 1e9 + lo (the split of `MONEY_SPLIT_FACTOR` in local-sql.ts). */
export const MONEY_SPLIT = 1_000_000_000n;

type UpsertParams = [string, string, number, string, number, number, bigint, bigint, number];
type RowKeyParams = [string, string, number, string, number];
type LatestParams = [
  string,
  string,
  string,
  string,
  string,
  number,
  string,
  string,
  string,
  bigint,
  number | null,
  number | null,
  number,
  number,
  number,
];

/** A `rollup_latest` row as read with `safeIntegers`. */
export interface LatestRow {
  event_id: string;
  invoice_id: string;
  stage: string;
  stage_order: bigint;
  status: string;
  currency: string;
  vendor_id: string;
  amount_minor: bigint;
  payment_terms_days: bigint | null;
  due_date_ms: bigint | null;
  time_ms: bigint;
  stored_at_ms: bigint;
  received_at_ms: bigint;
}

/** The columns of a `rollup_latest` row after its key, in {@link LatestParams} order. */
export const LATEST_COLUMNS =
  'event_id, invoice_id, stage, stage_order, status, currency, vendor_id, amount_minor, ' +
  'payment_terms_days, due_date_ms, time_ms, stored_at_ms, received_at_ms';

/**
 * A `rollup_latest` row as the record it holds. Pure.
 *
 * @example
 * const record = latestRecordOf(row);
 */
export function latestRecordOf(row: LatestRow): RollupRecord {
  return {
    eventId: row.event_id,
    invoiceId: row.invoice_id,
    stage: row.stage as StageName,
    stageOrder: Number(row.stage_order),
    status: row.status,
    currency: row.currency,
    vendorId: row.vendor_id,
    amountMinor: row.amount_minor,
    paymentTermsDays: numberOrNull(row.payment_terms_days),
    dueDateMs: numberOrNull(row.due_date_ms),
    timeMs: Number(row.time_ms),
    storedAtMs: Number(row.stored_at_ms),
    receivedAtMs: Number(row.received_at_ms),
  };
}

/** The sum of one call's deltas to one row. */
interface RowDelta {
  readonly specId: string;
  readonly tier: string;
  readonly binStartMs: number;
  readonly keyValues: string;
  readonly bucket: number;
  count: number;
  sumMinor: bigint;
  sum: number;
}

/** Adds a contribution to the call's row sums, once per tier of its spec (the key text built once). */
function addContribution(rows: Map<string, RowDelta>, spec: RollupSpec, c: Contribution): void {
  const keyValues = JSON.stringify(c.keyValues);
  const bucket = c.bucket ?? 0;
  const suffix = `\u0000${keyValues}\u0000${bucket}`;
  for (const tier of spec.tiers) {
    const width = TIME_BINS[tier];
    const binStartMs = Math.floor(c.windowMs / width) * width;
    const key = `${spec.id}\u0000${tier}\u0000${binStartMs}${suffix}`;
    const row = rows.get(key);
    if (row) {
      row.count += c.count;
      row.sumMinor += c.sumMinor;
      row.sum += c.sum;
    } else {
      rows.set(key, {
        specId: spec.id,
        tier,
        binStartMs,
        keyValues,
        bucket,
        count: c.count,
        sumMinor: c.sumMinor,
        sum: c.sum,
      });
    }
  }
}

/** The `rollups` first-write hook over the migration-5 tables. */
export class RollupWriter implements FirstWriteHook {
  readonly name = 'rollups';
  readonly version: string;
  readonly #rollups: CellRollups;
  readonly #upsertRow: Statement<UpsertParams>;
  readonly #deleteRow: Statement<RowKeyParams>;
  readonly #getLatest: Statement<[string, string], LatestRow>;
  readonly #putLatest: Statement<LatestParams>;
  readonly #clearRows: Statement<[]>;
  readonly #clearLatest: Statement<[]>;

  constructor(db: DatabaseHandle, topology: CellTopology) {
    this.#rollups = cellRollups(topology);
    this.version = this.#rollups.version;
    // The carry keeps |money_lo| < 1e9 (SQLite's / and % truncate towards zero, so hi * 1e9 + lo is
    // unchanged); SET expressions all read the row as it was before the update.
    this.#upsertRow = db.prepare<UpsertParams>(
      `INSERT INTO rollup_rows
           (spec_id, tier, bin_start_ms, key_values, bucket, count, money_hi, money_lo, value_sum)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (spec_id, tier, bin_start_ms, key_values, bucket) DO UPDATE SET
           count = count + excluded.count,
           money_hi = money_hi + excluded.money_hi + (money_lo + excluded.money_lo) / ${MONEY_SPLIT},
           money_lo = (money_lo + excluded.money_lo) % ${MONEY_SPLIT},
           value_sum = value_sum + excluded.value_sum`,
    );
    // count 0: no record contributes to the row any more, so its money and sum are 0 too.
    this.#deleteRow = db.prepare<RowKeyParams>(
      `DELETE FROM rollup_rows WHERE spec_id = ? AND tier = ? AND bin_start_ms = ? AND key_values = ?
         AND bucket = ? AND count = 0`,
    );
    this.#getLatest = db
      .prepare<[string, string], LatestRow>(
        `SELECT ${LATEST_COLUMNS} FROM rollup_latest WHERE scope_id = ? AND partition_key = ?`,
      )
      .safeIntegers(true);
    this.#putLatest = db.prepare<LatestParams>(
      `REPLACE INTO rollup_latest (scope_id, partition_key, ${LATEST_COLUMNS})
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#clearRows = db.prepare('DELETE FROM rollup_rows');
    this.#clearLatest = db.prepare('DELETE FROM rollup_latest');
  }

  apply(records: readonly RollupRecord[]): void {
    // Latest records as this call sees them: read once from the table, then this call's writes.
    const latest = new Map<string, RollupRecord | null>();
    const changed = new Map<string, { scopeId: string; partitionKey: string; record: RollupRecord }>();
    const lookup = (scopeId: string, partitionKey: string): RollupRecord | undefined => {
      const key = `${scopeId}\u0000${partitionKey}`;
      let known = latest.get(key);
      if (known === undefined) {
        const row = this.#getLatest.get(scopeId, partitionKey);
        known = row ? latestRecordOf(row) : null;
        latest.set(key, known);
      }
      return known ?? undefined;
    };
    const rows = new Map<string, RowDelta>();
    for (const record of records) {
      const effects = recordContributions(this.#rollups, record, lookup);
      for (const w of effects.latestWrites) {
        const key = `${w.scopeId}\u0000${w.partitionKey}`;
        latest.set(key, w.record);
        changed.set(key, w);
      }
      for (const { spec, contribution } of effects.contributions) addContribution(rows, spec, contribution);
    }
    for (const r of rows.values()) this.#writeRow(r);
    for (const w of changed.values()) this.#writeLatest(w.scopeId, w.partitionKey, w.record);
  }

  reset(): void {
    this.#clearRows.run();
    this.#clearLatest.run();
  }

  #writeRow(r: RowDelta): void {
    if (r.count === 0 && r.sumMinor === 0n && r.sum === 0) return;
    this.#upsertRow.run(
      r.specId,
      r.tier,
      r.binStartMs,
      r.keyValues,
      r.bucket,
      r.count,
      r.sumMinor / MONEY_SPLIT,
      r.sumMinor % MONEY_SPLIT,
      r.sum,
    );
    // Only a row losing records can fall to zero.
    if (r.count < 0) this.#deleteRow.run(r.specId, r.tier, r.binStartMs, r.keyValues, r.bucket);
  }

  #writeLatest(scopeId: string, partitionKey: string, r: RollupRecord): void {
    this.#putLatest.run(
      scopeId,
      partitionKey,
      r.eventId,
      r.invoiceId,
      r.stage,
      r.stageOrder,
      r.status,
      r.currency,
      r.vendorId,
      r.amountMinor,
      r.paymentTermsDays,
      r.dueDateMs,
      r.timeMs,
      r.storedAtMs,
      r.receivedAtMs,
    );
  }
}
