import type { Statement } from 'better-sqlite3';
import { type SlaOutcome, slaOutcomeOf } from '../../../consumers/monitoring/sla-outcome.js';
import { binStartOf } from '../../../dashboards/rollups/bin-start.js';
import { isNewer, type RollupRecord } from '../../../dashboards/rollups/contributions.js';
import type { RollupTier } from '../../../dashboards/rollups/window-plan.js';
import type { CellTopology } from '../../topology.js';
import type { DatabaseHandle } from './db.js';
import type { FirstWriteHook } from './first-write-hook.js';
import { slaTopologyHash } from './invoice-state-writer.js';

/**
 * SLA attainment kept at write time (migration 6), as a first-write hook, so the executive `sla`
 * panel reads counters instead of scanning events:
 * - `sla_entries`: one row per (invoice, stage) — entered time (the first record time there), the
 *   latest status there by (record time, eventId), and its outcome (`slaOutcomeOf`: met, missed,
 *   ended, open; NULL at the last stage);
 * - `sla_bins`: per tier (1m, 1h, 1d), stage and bin of the entered time, how many entries have
 *   each outcome.
 * A record changes its own entry (created, entered time lowered by a late event, newer status) and,
 * when its entered time changes, the outcome of the invoice's entry at the stage before (whose
 * "entered the next stage" time it is). Each changed entry moves one count from its old
 * (outcome, bin) to its new one, so the bins always equal a recount of the entries, whatever order
 * records arrive in. Deltas are summed per bin over the call and written once per bin; a bin whose
 * counters all fall to zero is deleted.
 *
 * @example
 * const store = new SqliteStore(db, { topology, clock, hooks: [new SlaRollupWriter(db, topology)] });
 */

/** The bin widths `sla_bins` keeps, finest first (as the records rollups: `planWindow` reads them). */
export const SLA_TIERS: readonly RollupTier[] = ['1m', '1h', '1d'];

/** An `sla_entries` row. */
export interface SlaEntryRow {
  readonly invoice_id: string;
  readonly stage_order: number;
  readonly entered_ms: number;
  readonly status: string;
  readonly status_time_ms: number;
  readonly status_event_id: string;
  readonly outcome: SlaOutcome | null;
}

/** The counters of one `sla_bins` row (or a change to them). */
export interface SlaBinCounts {
  met: number;
  missed: number;
  ended: number;
  open: number;
}

/**
 * The entry of the record's (invoice, stage) after the record, outcome aside, or undefined when the
 * record changes nothing (older than the latest status and not before the entered time). Pure.
 *
 * @example
 * nextSlaEntry(undefined, record); // entered = status time = the record's time
 */
export function nextSlaEntry(
  current: SlaEntryRow | undefined,
  record: RollupRecord,
): Omit<SlaEntryRow, 'outcome'> | undefined {
  const base = { invoice_id: record.invoiceId, stage_order: record.stageOrder };
  const latest = { status: record.status, status_time_ms: record.timeMs, status_event_id: record.eventId };
  if (!current) return { ...base, entered_ms: record.timeMs, ...latest };
  const newer = isNewer(record, { timeMs: current.status_time_ms, eventId: current.status_event_id });
  const enteredMs = Math.min(current.entered_ms, record.timeMs);
  if (!newer && enteredMs === current.entered_ms) return undefined;
  const kept = {
    status: current.status,
    status_time_ms: current.status_time_ms,
    status_event_id: current.status_event_id,
  };
  return { ...base, entered_ms: enteredMs, ...(newer ? latest : kept) };
}

/** Counter changes per bin of one hook call, keyed by tier, stage and bin start. */
class BinDeltas {
  readonly #deltas = new Map<string, { tier: RollupTier; stage: number; bin: number; d: SlaBinCounts }>();

  /** Moves one entry of `stage` from its old (outcome, entered time) to its new one. */
  move(
    stage: number,
    from: { outcome: SlaOutcome | null; enteredMs: number } | undefined,
    to: { outcome: SlaOutcome | null; enteredMs: number },
  ): void {
    if (from?.outcome) this.#add(stage, from.outcome, from.enteredMs, -1);
    if (to.outcome) this.#add(stage, to.outcome, to.enteredMs, 1);
  }

  #add(stage: number, outcome: SlaOutcome, enteredMs: number, sign: 1 | -1): void {
    for (const tier of SLA_TIERS) {
      const bin = binStartOf(enteredMs, tier);
      const key = `${tier}|${stage}|${bin}`;
      let entry = this.#deltas.get(key);
      if (!entry) {
        entry = { tier, stage, bin, d: { met: 0, missed: 0, ended: 0, open: 0 } };
        this.#deltas.set(key, entry);
      }
      entry.d[outcome] += sign;
    }
  }

  *changes(): Iterable<{ tier: RollupTier; stage: number; bin: number; d: SlaBinCounts }> {
    for (const entry of this.#deltas.values()) {
      const { met, missed, ended, open } = entry.d;
      if (met !== 0 || missed !== 0 || ended !== 0 || open !== 0) yield entry;
    }
  }
}

type BinParams = [RollupTier, number, number, number, number, number, number];

/** Keeps `sla_entries` and `sla_bins` in step with `records`, in the record's write transaction. */
export class SlaRollupWriter implements FirstWriteHook {
  readonly name = 'sla-rollup';
  readonly version: string;
  readonly #topology: CellTopology;
  readonly #neighbours: Statement<[string, number, number], SlaEntryRow>;
  readonly #upsertEntry: Statement<SlaEntryRow>;
  readonly #setOutcome: Statement<[SlaOutcome | null, string, number]>;
  readonly #addBin: Statement<BinParams>;
  readonly #dropEmptyBin: Statement<[RollupTier, number, number]>;
  readonly #reset: readonly Statement[];

  constructor(db: DatabaseHandle, topology: CellTopology) {
    this.#topology = topology;
    this.version = `sla-rollup-v1:${slaTopologyHash(topology)}`;
    this.#neighbours = db.prepare(
      'SELECT * FROM sla_entries WHERE invoice_id = ? AND stage_order BETWEEN ? AND ?',
    );
    this.#upsertEntry = db.prepare(
      `INSERT INTO sla_entries (invoice_id, stage_order, entered_ms, status, status_time_ms,
         status_event_id, outcome)
       VALUES (:invoice_id, :stage_order, :entered_ms, :status, :status_time_ms, :status_event_id, :outcome)
       ON CONFLICT (invoice_id, stage_order) DO UPDATE SET entered_ms = excluded.entered_ms,
         status = excluded.status, status_time_ms = excluded.status_time_ms,
         status_event_id = excluded.status_event_id, outcome = excluded.outcome`,
    );
    this.#setOutcome = db.prepare(
      'UPDATE sla_entries SET outcome = ? WHERE invoice_id = ? AND stage_order = ?',
    );
    this.#addBin = db.prepare(
      `INSERT INTO sla_bins (tier, stage_order, bin_start_ms, met, missed, ended, open)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tier, bin_start_ms, stage_order) DO UPDATE SET met = met + excluded.met,
         missed = missed + excluded.missed, ended = ended + excluded.ended, open = open + excluded.open`,
    );
    this.#dropEmptyBin = db.prepare(
      `DELETE FROM sla_bins WHERE tier = ? AND stage_order = ? AND bin_start_ms = ?
         AND met = 0 AND missed = 0 AND ended = 0 AND open = 0`,
    );
    this.#reset = [db.prepare('DELETE FROM sla_entries'), db.prepare('DELETE FROM sla_bins')];
  }

  /** Per record one primary-key range read and one or two writes; one write per touched bin. */
  apply(records: readonly RollupRecord[]): void {
    const deltas = new BinDeltas();
    for (const record of records) this.#applyOne(record, deltas);
    for (const { tier, stage, bin, d } of deltas.changes()) {
      this.#addBin.run(tier, stage, bin, d.met, d.missed, d.ended, d.open);
      if (d.met < 0 || d.missed < 0 || d.ended < 0 || d.open < 0) this.#dropEmptyBin.run(tier, stage, bin);
    }
  }

  reset(): void {
    for (const statement of this.#reset) statement.run();
  }

  #applyOne(record: RollupRecord, deltas: BinDeltas): void {
    const s = record.stageOrder;
    const rows = new Map(this.#neighbours.all(record.invoiceId, s - 1, s + 1).map((r) => [r.stage_order, r]));
    const current = rows.get(s);
    const entry = nextSlaEntry(current, record);
    if (!entry) return;
    const judged = { enteredMs: entry.entered_ms, status: entry.status };
    const outcome = slaOutcomeOf(this.#topology, s, judged, rows.get(s + 1)?.entered_ms);
    this.#upsertEntry.run({ ...entry, outcome });
    deltas.move(s, current && { outcome: current.outcome, enteredMs: current.entered_ms }, {
      outcome,
      enteredMs: entry.entered_ms,
    });
    const previous = rows.get(s - 1);
    if (!previous || current?.entered_ms === entry.entered_ms) return;
    // The invoice entered this stage at another time: the stage before is judged against it.
    const before = { enteredMs: previous.entered_ms, status: previous.status };
    const previousOutcome = slaOutcomeOf(this.#topology, s - 1, before, entry.entered_ms);
    if (previousOutcome === previous.outcome) return;
    this.#setOutcome.run(previousOutcome, previous.invoice_id, s - 1);
    deltas.move(
      s - 1,
      { outcome: previous.outcome, enteredMs: previous.entered_ms },
      {
        outcome: previousOutcome,
        enteredMs: previous.entered_ms,
      },
    );
  }
}
