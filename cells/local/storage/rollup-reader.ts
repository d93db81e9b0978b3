import type { Statement } from 'better-sqlite3';
import type { RollupRow } from '../../../dashboards/rollups/apply-record.js';
import type { KeyValue } from '../../../dashboards/rollups/contributions.js';
import type { RollupRowReader } from '../../../dashboards/rollups/read-panel.js';
import type { RollupSpec } from '../../../dashboards/rollups/rollup-specs.js';
import type { RollupTier } from '../../../dashboards/rollups/window-plan.js';
import type { DatabaseHandle } from './db.js';
import { MONEY_SPLIT } from './rollup-writer.js';

/**
 * Range reads of the rollup rows (migration 5, written by `rollup-writer.ts`): one read per segment
 * run of a panel's window plan, `spec_id = ? AND tier = ? AND bin_start_ms >= ? AND < ?`, which is
 * a range of the table's primary key — the cost follows the rows in the window, never the history.
 *
 * @example
 * const reader = rollupReaderOf(db);
 * readPanel(spec, panel, { fromMs, toMs, panelBin }, reader.rowsOf(spec));
 */

/** A stored row as read in raw mode: bin, key values, bucket, count, money hi, lo, sum. */
type StoredRow = [bigint | number, string, bigint | number, bigint | number, bigint, bigint, bigint | number];

type RangeParams = [string, string, number, number];

const RANGE_SQL = `SELECT bin_start_ms, key_values, bucket, count, money_hi, money_lo, value_sum
  FROM rollup_rows
  WHERE spec_id = ? AND tier = ? AND bin_start_ms >= ? AND bin_start_ms < ?
  ORDER BY spec_id, tier, bin_start_ms, key_values, bucket`;

/** Reads the rollup rows of one cell database. */
export class RollupReader {
  /** Money specs: 64-bit integers as bigint, so hi * 1e9 + lo stays exact. */
  readonly #rangeExact: Statement<RangeParams, StoredRow>;
  /** Counts, sums and histograms fit doubles: no bigint per value. */
  readonly #range: Statement<RangeParams, StoredRow>;

  constructor(db: DatabaseHandle) {
    this.#rangeExact = db.prepare<RangeParams, StoredRow>(RANGE_SQL).raw(true).safeIntegers(true);
    this.#range = db.prepare<RangeParams, StoredRow>(RANGE_SQL).raw(true);
  }

  /**
   * The stored rows of `spec`'s tier with a bin start in `[fromMs, toMs)`, one per bin and key
   * values (a histogram's bucket rows, adjacent in key order, become one row with their buckets).
   *
   * @example
   * reader.rows(spec, '1h', from, to).length;
   */
  rows(spec: RollupSpec, tier: RollupTier, fromMs: number, toMs: number): RollupRow[] {
    const histogram = spec.value === 'histogram';
    const money = spec.value === 'money';
    const statement = money ? this.#rangeExact : this.#range;
    // Key values repeat in every bin: parse each distinct text once per read.
    const parsed = new Map<string, KeyValue[]>();
    const rows: RollupRow[] = [];
    let last: { binStartMs: number; keyText: string; row: RollupRow } | undefined;
    for (const [bin, keyText, bucket, n, hi, lo, sum] of statement.all(spec.id, tier, fromMs, toMs)) {
      const binStartMs = Number(bin);
      const count = Number(n);
      if (histogram && last && last.binStartMs === binStartMs && last.keyText === keyText) {
        last.row.cell.count += count;
        last.row.cell.buckets.set(Number(bucket), count);
        continue;
      }
      let keyValues = parsed.get(keyText);
      if (!keyValues) {
        keyValues = JSON.parse(keyText) as KeyValue[];
        parsed.set(keyText, keyValues);
      }
      const row: RollupRow = {
        binStartMs,
        keyValues,
        cell: {
          count,
          sumMinor: money ? BigInt(hi) * MONEY_SPLIT + BigInt(lo) : 0n,
          sum: Number(sum),
          buckets: histogram ? new Map([[Number(bucket), count]]) : new Map<number, number>(),
        },
      };
      rows.push(row);
      last = { binStartMs, keyText, row };
    }
    return rows;
  }

  /**
   * The {@link RollupRowReader} of one spec, for `readPanel`.
   *
   * @example
   * readPanel(spec, panel, options, reader.rowsOf(spec));
   */
  rowsOf(spec: RollupSpec): RollupRowReader {
    return (tier, fromMs, toMs) => this.rows(spec, tier, fromMs, toMs);
  }
}

const readers = new WeakMap<DatabaseHandle, RollupReader>();

/**
 * The reader of a database connection, its statement prepared once per connection.
 *
 * @example
 * rollupReaderOf(db).rows(spec, '1d', from, to);
 */
export function rollupReaderOf(db: DatabaseHandle): RollupReader {
  let reader = readers.get(db);
  if (!reader) {
    reader = new RollupReader(db);
    readers.set(db, reader);
  }
  return reader;
}
