import type { Statement } from 'better-sqlite3';
import {
  type BinCounts,
  binStartOf,
  RECONCILE_BIN_MS,
  type StageTotals,
} from '../../../consumers/monitoring/reconcile-bins.js';
import type { RollupRecord } from '../../../dashboards/rollups/contributions.js';
import type { CellTopology, StageName } from '../../topology.js';
import type { DatabaseHandle } from './db.js';
import type { FirstWriteHook } from './first-write-hook.js';

/**
 * The reconciliation counters of the local cell (migration 7), kept so that `/reconcile` and
 * `/stats` read counters instead of scanning history:
 *
 * - `reconcile_bins`, per minute of *acceptance* time (`received_at_ms`, the same clock in the
 *   archive, the records and the messages) and stage: `accepted`, counted by the trigger on
 *   `archive` inserts (the archive holds each event once, so duplicates and conflicts never count,
 *   in the ingest transaction itself); `stored`, counted by this first-write hook and lowered by
 *   the trigger on `records` deletes (a record lost behind the store's back unbalances its bin);
 *   `unaccepted`, the records this hook wrote without a matching archive row (same event id, stage
 *   and received time), never lowered.
 * - `reconcile_unexpected`: the first {@link MAX_NAMED_UNEXPECTED} unaccepted records by id, so
 *   `/reconcile` can name them without an index on `records.received_at_ms`.
 * - `counters`: `stored:<stage>`, records ever first-written (`/stats`; the engine's start no longer
 *   counts `records`), and `records_deleted:<stage>` (the delete trigger), so a rebuild that
 *   resets and re-applies the stored records still counts the deleted ones.
 *
 * A record received before the oldest archived event is never called unaccepted: its archive row
 * may simply have been pruned.
 *
 * @example
 * const hooks = [new ReconcileCounters(db, topology)];
 * const totals = readStageTotals(db, fromMs, toMs);
 */

/** How many unaccepted records are named at most (the rest are counted in `unaccepted`). */
export const MAX_NAMED_UNEXPECTED = 1_000;

const NAMED_COUNTER = 'reconcile_named_unexpected';
const PRUNED_BEFORE_KEY = 'reconcile_bins_pruned_before_ms';

interface BinDelta {
  binStartMs: number;
  stage: string;
  stored: number;
  unaccepted: number;
}

/** The first-write hook keeping `stored` / `unaccepted` counts and the named unexpected records. */
export class ReconcileCounters implements FirstWriteHook {
  readonly name = 'reconcile-counters';
  readonly version = 'reconcile-v1';
  readonly #db: DatabaseHandle;
  readonly #detailTypes: ReadonlyMap<string, string>;
  readonly #archived: Statement<[string], { received_at_ms: number; detail_type: string }>;
  readonly #oldestArchived: Statement<[], { ms: number | null }>;
  readonly #prunedBefore: Statement<[string], { value: string }>;
  readonly #counter: Statement<[string], { value: number }>;
  readonly #bumpCounter: Statement<[string, number]>;
  readonly #upsertBin: Statement<[number, string, number, number]>;
  readonly #insertNamed: Statement<[number, string, string]>;

  constructor(db: DatabaseHandle, topology: CellTopology) {
    this.#db = db;
    this.#detailTypes = new Map(topology.stages.map((s) => [s.name, s.detailType]));
    this.#archived = db.prepare('SELECT received_at_ms, detail_type FROM archive WHERE event_id = ?');
    this.#oldestArchived = db.prepare('SELECT min(received_at_ms) AS ms FROM archive');
    this.#prunedBefore = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.#counter = db.prepare('SELECT value FROM counters WHERE name = ?');
    this.#bumpCounter = db.prepare(
      `INSERT INTO counters (name, value) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET value = value + excluded.value`,
    );
    this.#upsertBin = db.prepare(
      `INSERT INTO reconcile_bins (bin_start_ms, stage, stored, unaccepted) VALUES (?, ?, ?, ?)
       ON CONFLICT (stage, bin_start_ms) DO UPDATE
       SET stored = stored + excluded.stored, unaccepted = unaccepted + excluded.unaccepted`,
    );
    this.#insertNamed = db.prepare(
      'INSERT OR IGNORE INTO reconcile_unexpected (bin_start_ms, stage, event_id) VALUES (?, ?, ?)',
    );
  }

  apply(records: readonly RollupRecord[]): void {
    const prunedBefore = Number(this.#prunedBefore.get(PRUNED_BEFORE_KEY)?.value ?? Number.NEGATIVE_INFINITY);
    const oldestArchived = this.#oldestArchived.get()?.ms ?? null;
    let named = this.#counter.get(NAMED_COUNTER)?.value ?? 0;
    const namedBefore = named;
    const bins = new Map<string, BinDelta>();
    const perStage = new Map<string, number>();
    for (const r of records) {
      perStage.set(r.stage, (perStage.get(r.stage) ?? 0) + 1);
      const binStartMs = binStartOf(r.receivedAtMs);
      // A pruned bin is not brought back by a late record or a rebuild.
      if (binStartMs < prunedBefore) continue;
      const unaccepted = oldestArchived !== null && r.receivedAtMs >= oldestArchived && !this.#isAccepted(r);
      if (unaccepted && named < MAX_NAMED_UNEXPECTED) {
        named += this.#insertNamed.run(binStartMs, r.stage, r.eventId).changes;
      }
      const key = `${binStartMs}|${r.stage}`;
      const delta = bins.get(key) ?? { binStartMs, stage: r.stage, stored: 0, unaccepted: 0 };
      delta.stored++;
      if (unaccepted) delta.unaccepted++;
      bins.set(key, delta);
    }
    for (const d of bins.values()) this.#upsertBin.run(d.binStartMs, d.stage, d.stored, d.unaccepted);
    for (const [stage, n] of perStage) this.#bumpCounter.run(`stored:${stage}`, n);
    if (named !== namedBefore) this.#bumpCounter.run(NAMED_COUNTER, named - namedBefore);
  }

  /** Zeroes what `apply` counts; `accepted` stays (it is not rebuilt from records). */
  reset(): void {
    this.#db.exec(`
      UPDATE reconcile_bins SET stored = 0, unaccepted = 0 WHERE stored != 0 OR unaccepted != 0;
      DELETE FROM reconcile_bins WHERE accepted = 0;
      DELETE FROM reconcile_unexpected;
      DELETE FROM counters WHERE name = '${NAMED_COUNTER}';
      UPDATE counters SET value = coalesce(
        (SELECT d.value FROM counters AS d WHERE d.name = 'records_deleted:' || substr(counters.name, 8)), 0)
      WHERE name LIKE 'stored:%';
    `);
  }

  /** Whether the archive holds this event for the record's stage at the record's received time. */
  #isAccepted(r: RollupRecord): boolean {
    const row = this.#archived.get(r.eventId);
    return (
      row !== undefined &&
      row.received_at_ms === r.receivedAtMs &&
      row.detail_type === this.#detailTypes.get(r.stage)
    );
  }
}

/** Records ever first-written per stage (`stored:<stage>` counters), for `/stats`. */
export function storedCounts(db: DatabaseHandle): Map<string, number> {
  const rows = db
    .prepare<[], { name: string; value: number }>(
      "SELECT name, value FROM counters WHERE name LIKE 'stored:%'",
    )
    .all();
  return new Map(rows.map((r) => [r.name.slice('stored:'.length), r.value]));
}

/** Width of a `reconcile_hours` row (migration 9). */
const HOUR_MS = 3_600_000;

/** A range of bin starts, `[fromMs, toMs)`. */
interface BinRange {
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * A window of minute bins as the whole hours inside it (read from `reconcile_hours`) and the
 * minutes before and after them (read from `reconcile_bins`): at most 118 minute rows per stage
 * around any number of hours. A window inside one or two hours is all minutes.
 */
function splitByHour(fromMs: number, toMs: number): { head?: BinRange; hours?: BinRange; tail?: BinRange } {
  const firstHour = binStartOf(fromMs, HOUR_MS) === fromMs ? fromMs : binStartOf(fromMs, HOUR_MS) + HOUR_MS;
  const endHour = binStartOf(toMs, HOUR_MS);
  if (firstHour >= endHour) return fromMs < toMs ? { head: { fromMs, toMs } } : {};
  return {
    ...(fromMs < firstHour ? { head: { fromMs, toMs: firstHour } } : {}),
    hours: { fromMs: firstHour, toMs: endHour },
    ...(endHour < toMs ? { tail: { fromMs: endHour, toMs } } : {}),
  };
}

/**
 * Counter sums per stage over the bins starting in `[fromMs, toMs)`: per stage one range of
 * `reconcile_hours` and up to two short ranges of minute bins, whatever the window's length.
 */
export function readStageTotals(
  db: DatabaseHandle,
  stages: readonly StageName[],
  fromMs: number,
  toMs: number,
): StageTotals[] {
  type Sums = { accepted: number | null; stored: number | null; bins: number | null };
  const minuteSums = db.prepare<[string, number, number], Sums>(
    `SELECT sum(accepted) AS accepted, sum(stored) AS stored, count(*) AS bins
     FROM reconcile_bins WHERE stage = ? AND bin_start_ms >= ? AND bin_start_ms < ?`,
  );
  const hourSums = db.prepare<[string, number, number], Sums>(
    `SELECT sum(accepted) AS accepted, sum(stored) AS stored, sum(bins) AS bins
     FROM reconcile_hours WHERE stage = ? AND hour_start_ms >= ? AND hour_start_ms < ?`,
  );
  const { head, hours, tail } = splitByHour(fromMs, toMs);
  return stages.map((stage) => {
    const parts = [head, tail].flatMap((r) => (r ? [minuteSums.get(stage, r.fromMs, r.toMs)] : []));
    if (hours) parts.push(hourSums.get(stage, hours.fromMs, hours.toMs));
    const total = (pick: (s: Sums) => number | null) => parts.reduce((n, p) => n + ((p && pick(p)) ?? 0), 0);
    return {
      stage,
      accepted: total((p) => p.accepted),
      stored: total((p) => p.stored),
      bins: total((p) => p.bins),
    };
  });
}

interface BinRow {
  bin_start_ms: number;
  stage: string;
  accepted: number;
  stored: number;
  unaccepted: number;
}

function countsOf(row: BinRow): BinCounts {
  return {
    stage: row.stage as StageName,
    binStartMs: row.bin_start_ms,
    accepted: row.accepted,
    stored: row.stored,
    unaccepted: row.unaccepted,
  };
}

/**
 * The bins in `[fromMs, toMs)` whose counters differ, oldest first, at most `limit`. Inside whole
 * hours only the hours `reconcile_hours` counts an unbalanced minute in are opened, so a window of
 * balanced history costs its hour rows, not its minutes.
 */
export function readUnbalancedBins(
  db: DatabaseHandle,
  stages: readonly StageName[],
  fromMs: number,
  toMs: number,
  limit: number,
): BinCounts[] {
  const select = db.prepare<[string, number, number, number], BinRow>(
    `SELECT bin_start_ms, stage, accepted, stored, unaccepted FROM reconcile_bins
     WHERE stage = ? AND bin_start_ms >= ? AND bin_start_ms < ? AND (accepted != stored OR unaccepted != 0)
     ORDER BY bin_start_ms LIMIT ?`,
  );
  const unbalancedHours = db.prepare<[string, number, number], { hour_start_ms: number }>(
    `SELECT hour_start_ms FROM reconcile_hours
     WHERE stage = ? AND hour_start_ms >= ? AND hour_start_ms < ? AND unbalanced > 0
     ORDER BY hour_start_ms`,
  );
  const { head, hours, tail } = splitByHour(fromMs, toMs);
  const ofStage = (stage: string): BinRow[] => {
    const rows: BinRow[] = [];
    const take = (range: BinRange) => {
      if (rows.length < limit) rows.push(...select.all(stage, range.fromMs, range.toMs, limit - rows.length));
    };
    if (head) take(head);
    if (hours) {
      for (const { hour_start_ms: hour } of unbalancedHours.iterate(stage, hours.fromMs, hours.toMs)) {
        if (rows.length >= limit) break;
        take({ fromMs: hour, toMs: hour + HOUR_MS });
      }
    }
    if (tail) take(tail);
    return rows;
  };
  return stages
    .flatMap(ofStage)
    .sort((a, b) => a.bin_start_ms - b.bin_start_ms || (a.stage < b.stage ? -1 : 1))
    .slice(0, limit)
    .map(countsOf);
}

/** One bin's counters (zeros when it has none). */
export function readBinCounts(db: DatabaseHandle, binStartMs: number, stage: StageName): BinCounts {
  const row = db
    .prepare<[number, string], BinRow>(
      `SELECT bin_start_ms, stage, accepted, stored, unaccepted FROM reconcile_bins
       WHERE bin_start_ms = ? AND stage = ?`,
    )
    .get(binStartMs, stage);
  return row ? countsOf(row) : { stage, binStartMs, accepted: 0, stored: 0, unaccepted: 0 };
}

/** The named unaccepted records of the bins in `[fromMs, toMs)` (at most {@link MAX_NAMED_UNEXPECTED}). */
export function readNamedUnexpected(
  db: DatabaseHandle,
  fromMs: number,
  toMs: number,
): { binStartMs: number; stage: StageName; eventId: string }[] {
  return db
    .prepare<[number, number], { binStartMs: number; stage: StageName; eventId: string }>(
      `SELECT bin_start_ms AS binStartMs, stage, event_id AS eventId FROM reconcile_unexpected
       WHERE bin_start_ms >= ? AND bin_start_ms < ?`,
    )
    .all(fromMs, toMs);
}

/** Start of the oldest bin kept ({@link pruneReconcileBins}); -Infinity when none was pruned. */
export function reconcileBinsPrunedBefore(db: DatabaseHandle): number {
  const row = db
    .prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?')
    .get(PRUNED_BEFORE_KEY);
  return row ? Number(row.value) : Number.NEGATIVE_INFINITY;
}

/**
 * Retention of the reconciliation bins: deletes at most `limit` bins (and `limit` named records)
 * that end at or before `beforeMs`, and remembers the cut, so `/reconcile` says where its window
 * was clipped and a late record or a rebuild does not bring a pruned bin back. Runs in its own
 * savepoint (call it inside the engine's write transaction). Returns the rows deleted; call again
 * while it returns `limit` or more.
 *
 * @example
 * while (pruneReconcileBins(db, now - 35 * 86_400_000, 2_000) > 0);
 */
export function pruneReconcileBins(db: DatabaseHandle, beforeMs: number, limit: number): number {
  const cut = binStartOf(beforeMs, RECONCILE_BIN_MS);
  return db.transaction(() => {
    db.prepare(
      `INSERT INTO meta (key, value) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))`,
    ).run(PRUNED_BEFORE_KEY, String(cut));
    // One key range per stage (the next stage found by a seek: no scan of the table).
    const nextStage = db.prepare<[string], { stage: string | null }>(
      'SELECT min(stage) AS stage FROM reconcile_bins WHERE stage > ?',
    );
    const remove = db.prepare<[string, string, number, number]>(
      `DELETE FROM reconcile_bins WHERE stage = ? AND bin_start_ms IN
         (SELECT bin_start_ms FROM reconcile_bins WHERE stage = ? AND bin_start_ms < ? LIMIT ?)`,
    );
    let bins = 0;
    for (let stage = nextStage.get('')?.stage; stage && bins < limit; stage = nextStage.get(stage)?.stage) {
      bins += remove.run(stage, stage, cut, limit - bins).changes;
    }
    const named = db
      .prepare(
        `DELETE FROM reconcile_unexpected WHERE (bin_start_ms, stage, event_id) IN
           (SELECT bin_start_ms, stage, event_id FROM reconcile_unexpected WHERE bin_start_ms < ? LIMIT ?)`,
      )
      .run(cut, limit).changes;
    if (named > 0) {
      db.prepare('UPDATE counters SET value = max(0, value - ?) WHERE name = ?').run(named, NAMED_COUNTER);
    }
    return bins + named;
  })();
}
