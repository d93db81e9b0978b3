import { pendingSinceMs, type SlaCounts, slaCountsOf } from '../../../consumers/monitoring/sla-outcome.js';
import {
  planWindow,
  type RollupTier,
  segmentRuns,
  type WindowPlanOptions,
} from '../../../dashboards/rollups/window-plan.js';
import type { CellTopology } from '../../topology.js';
import type { DatabaseHandle } from './db.js';
import { SLA_TIERS, type SlaBinCounts } from './sla-rollup-writer.js';

/**
 * The `sla` panel from the SLA rollups (`sla-rollup-writer.ts`), with no scan of `records`: of the
 * entries into each judged stage whose entered time lies in the window,
 * - met, missed (the next stage entered late) and ended come from `sla_bins`, read as a few range
 *   reads over the window's tier segments (`planWindow`: the window snaps to minute bins at its
 *   edges — start down, end up — and the read says which window it covers);
 * - the open ones (next stage not entered, not ended) are counted in the bins too; those still
 *   within their SLA at `nowMs` are counted with one range read of the partial index of open
 *   `sla_entries` (entered since `nowMs − SLA`: bounded by the SLA, not by the window), and
 *   the rest of the open ones are missed.
 * Equal to the raw reference SQL (`renderLocalSql` of an `sla` query, over all history) for the
 * effective window.
 *
 * @example
 * const { rows, fromMs, toMs } = readSlaRollups(db, topology, { fromMs, toMs, nowMs });
 */

export interface SlaReadOptions extends Pick<WindowPlanOptions, 'oldestRetainedMs'> {
  /** Window start, epoch ms (inclusive). */
  readonly fromMs: number;
  /** Window end, epoch ms (exclusive). */
  readonly toMs: number;
  /** When open entries are judged (past their SLA: missed). */
  readonly nowMs: number;
}

/** The panel's rows (every stage with an SLA, zeros included) and the window they cover. */
export interface SlaRead {
  readonly rows: readonly SlaCounts[];
  /** Effective window start: `fromMs` snapped down to a bin boundary. */
  readonly fromMs: number;
  /** Effective window end: `toMs` snapped up to a bin boundary. */
  readonly toMs: number;
}

type BinSumRow = { stage_order: number } & SlaBinCounts;

/** Reads the `sla` panel over `[fromMs, toMs)` at `nowMs`. Throws `WindowPlanError` for a bad window. */
export function readSlaRollups(db: DatabaseHandle, topology: CellTopology, options: SlaReadOptions): SlaRead {
  const plan = planWindow(options.fromMs, options.toMs, SLA_TIERS, {
    ...(options.oldestRetainedMs ? { oldestRetainedMs: options.oldestRetainedMs } : {}),
  });
  const sums = db.prepare<[RollupTier, number, number], BinSumRow>(
    `SELECT stage_order, sum(met) AS met, sum(missed) AS missed, sum(ended) AS ended, sum(open) AS open
     FROM sla_bins WHERE tier = ? AND bin_start_ms >= ? AND bin_start_ms < ?
     GROUP BY stage_order`,
  );
  const totals = new Map<number, SlaBinCounts>();
  for (const run of segmentRuns(plan.segments)) {
    for (const row of sums.all(run.tier, run.fromMs, run.toMs)) {
      const t = totals.get(row.stage_order) ?? { met: 0, missed: 0, ended: 0, open: 0 };
      totals.set(row.stage_order, {
        met: t.met + row.met,
        missed: t.missed + row.missed,
        ended: t.ended + row.ended,
        open: t.open + row.open,
      });
    }
  }
  const pending = db.prepare<[number, number, number], { n: number }>(
    `SELECT count(*) AS n FROM sla_entries INDEXED BY sla_entries_open
     WHERE outcome = 'open' AND stage_order = ? AND entered_ms >= ? AND entered_ms < ?`,
  );
  const rows = topology.stages
    .filter((s) => s.slaSec > 0)
    .map((s) => {
      const counts = totals.get(s.order) ?? { met: 0, missed: 0, ended: 0, open: 0 };
      const since = Math.max(plan.fromMs, pendingSinceMs(topology, s.order, options.nowMs));
      const open = counts.open > 0 ? (pending.get(s.order, since, plan.toMs)?.n ?? 0) : 0;
      return slaCountsOf(s.name, counts, open);
    });
  return { rows, fromMs: plan.fromMs, toMs: plan.toMs };
}

/**
 * Deletes up to `limit` SLA entries entered before `beforeMs`, oldest first, whatever their
 * outcome, but never an open entry the panel may still count as pending: the cut is held back to
 * `nowMs` minus the longest stage SLA. One range read of the entered-time index per call (migration
 * 10), so a chunk costs the same however many entries stay. For the retention job, which calls it
 * in a loop of small transactions; returns the rows deleted.
 *
 * The bins keep their counts: a pruned open entry is past its SLA, so it stays counted as missed,
 * as it was. A record stored later for a pruned entry starts a new one (counted again), and a next
 * stage stored later no longer settles it, so prune only what raw retention no longer keeps.
 *
 * @example
 * pruneSlaEntries(db, topology, { beforeMs: Date.now() - 90 * 86_400_000, nowMs: Date.now() }, 1_000);
 */
export function pruneSlaEntries(
  db: DatabaseHandle,
  topology: CellTopology,
  cut: { readonly beforeMs: number; readonly nowMs: number },
  limit: number,
): number {
  const pendingFrom = Math.min(...topology.stages.map((s) => pendingSinceMs(topology, s.order, cut.nowMs)));
  return db
    .prepare<[number, number]>(
      `DELETE FROM sla_entries WHERE (invoice_id, stage_order) IN (
         SELECT invoice_id, stage_order FROM sla_entries INDEXED BY sla_entries_entered
         WHERE entered_ms < ? ORDER BY entered_ms LIMIT ?)`,
    )
    .run(Math.min(cut.beforeMs, pendingFrom), limit).changes;
}

/**
 * Deletes up to `limit` `sla_bins` rows of `tier` starting before `beforeMs` (minute bins are kept
 * for a shorter period than hour and day bins); readers then pass the retention as
 * `oldestRetainedMs` so windows resolve to the tiers still kept. Returns the rows deleted.
 *
 * @example
 * pruneSlaBins(db, '1m', Date.now() - 8 * 86_400_000, 1_000);
 */
export function pruneSlaBins(db: DatabaseHandle, tier: RollupTier, beforeMs: number, limit: number): number {
  return db
    .prepare(
      `DELETE FROM sla_bins WHERE (tier, bin_start_ms, stage_order) IN (
         SELECT tier, bin_start_ms, stage_order FROM sla_bins
         WHERE tier = ? AND bin_start_ms < ? LIMIT ?)`,
    )
    .run(tier, beforeMs, limit).changes;
}
