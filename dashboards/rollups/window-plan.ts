import { TIME_BINS, type TimeBin } from '../panels/panel-types.js';

/**
 * Which rollup bins answer a window: the window is cut into aligned tier segments (one rollup bin
 * each) with the fewest rows — coarse tiers in the middle, finer ones at the edges, as a ruler's
 * marks nest. Example, tiers 1m/1h/1d over [Mon 22:50, Thu 01:10): 10 minute bins, 1 hour bin,
 * 2 day bins, 1 hour bin, 10 minute bins = 24 rows instead of 3,020 minute bins.
 *
 * Retention: finer tiers are kept for shorter periods (`oldestRetainedMs`: the start of the oldest
 * bin each tier still holds). A window resolves to the finest tier still kept at its edges: the
 * start snaps down to the bin of the finest tier retained there, the end snaps up the same way, and
 * a window older than every retained bin starts at the oldest retained bin. {@link planWindow}
 * returns the effective `[fromMs, toMs)` it covers, so a reader can say what it shows.
 *
 * Panel bins: a segment of tier T serves a panel bin B only when T's width divides B's (1w bins
 * start on Monday 1970-01-05, a day boundary, so day tiers serve weeks); then an aligned segment
 * lies inside one panel bin and never straddles two.
 *
 * @example
 * const { segments, fromMs, toMs } = planWindow(from, to, ['1m', '1h', '1d'], { panelBin: '1h' });
 * for (const s of segments) read(s.tier, s.startMs); // each lies inside one hour bin
 */

/** The widths a rollup table can be kept at (a week is built from days). */
export const ROLLUP_TIERS = ['1m', '5m', '1h', '1d'] as const;
export type RollupTier = (typeof ROLLUP_TIERS)[number];

/** One rollup bin read for a window: tier `tier`, covering `[startMs, startMs + width)`. */
export interface WindowSegment {
  readonly tier: RollupTier;
  readonly startMs: number;
}

/** The segments and the window they cover exactly. */
export interface WindowPlan {
  readonly segments: readonly WindowSegment[];
  /** Effective window start (inclusive), a bin boundary of the finest tier retained there. */
  readonly fromMs: number;
  /** Effective window end (exclusive). */
  readonly toMs: number;
}

export interface WindowPlanOptions {
  /** Per tier, the start of the oldest bin still kept; a tier left out keeps everything. */
  readonly oldestRetainedMs?: Readonly<Partial<Record<RollupTier, number>>>;
  /** The panel's time bin over the window (none: one value per group for the whole window). */
  readonly panelBin?: TimeBin;
}

/** A window the tiers cannot answer; names the field and why. */
export class WindowPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WindowPlanError';
  }
}

/**
 * Whether bins of `tier` can be summed into panel bins of `bin`: the tier's width divides the
 * bin's, and both are aligned (every tier divides the 4-day week offset).
 *
 * @example
 * tierServesBin('1m', '5m'); // true
 * tierServesBin('1h', '5m'); // false
 */
export function tierServesBin(tier: RollupTier, bin: TimeBin): boolean {
  return TIME_BINS[bin] % TIME_BINS[tier] === 0;
}

function isAligned(ms: number, tier: RollupTier): boolean {
  return ms % TIME_BINS[tier] === 0;
}

function floorTo(ms: number, tier: RollupTier): number {
  return Math.floor(ms / TIME_BINS[tier]) * TIME_BINS[tier];
}

function usableTiers(tiers: readonly RollupTier[], panelBin: TimeBin | undefined): RollupTier[] {
  const usable = [...new Set(tiers)]
    .filter((t) => panelBin === undefined || tierServesBin(t, panelBin))
    .sort((a, b) => TIME_BINS[a] - TIME_BINS[b]);
  if (usable.length === 0) {
    throw new WindowPlanError(
      `panelBin ${String(panelBin)}: none of the tiers ${tiers.join(', ')} divides it; use a coarser bin`,
    );
  }
  return usable;
}

/** The effective start: `fromMs` snapped down to the finest tier retained there. */
function effectiveStart(fromMs: number, tiers: readonly RollupTier[], oldest: (t: RollupTier) => number) {
  for (const tier of tiers) {
    const start = floorTo(fromMs, tier);
    if (start >= oldest(tier)) return start;
  }
  // Older than every retained bin: start at the oldest bin still kept (of any usable tier).
  return Math.min(...tiers.map((t) => Math.ceil(oldest(t) / TIME_BINS[t]) * TIME_BINS[t]));
}

function checkWindow(fromMs: number, toMs: number): void {
  if (!Number.isSafeInteger(fromMs)) throw new WindowPlanError(`fromMs ${fromMs} is not an integer ms time`);
  if (!Number.isSafeInteger(toMs)) throw new WindowPlanError(`toMs ${toMs} is not an integer ms time`);
  if (toMs < fromMs) throw new WindowPlanError(`toMs ${toMs} is before fromMs ${fromMs}`);
}

/**
 * Cuts `[fromMs, toMs)` into aligned segments of the usable tiers (those serving `panelBin`),
 * fewest first: at each point the coarsest tier that is aligned there, retained there and ends by
 * the window end; when none ends by it, the finest one (the end snaps up to it). With nested tiers
 * (each width divides the next) this greedy cut is the minimum, and the count is at most
 * {@link maxSegments}. Throws {@link WindowPlanError} for a bad window or when no tier serves the
 * panel bin. Pure.
 *
 * @example
 * planWindow(0, 2 * 3_600_000 + 60_000, ['1m', '1h', '1d'], {}).segments.length; // 3 (1h, 1h, 1m)
 */
export function planWindow(
  fromMs: number,
  toMs: number,
  tiers: readonly RollupTier[],
  options: WindowPlanOptions = {},
): WindowPlan {
  checkWindow(fromMs, toMs);
  const usable = usableTiers(tiers, options.panelBin);
  const oldest = (t: RollupTier): number => options.oldestRetainedMs?.[t] ?? Number.NEGATIVE_INFINITY;
  if (fromMs === toMs) return { segments: [], fromMs, toMs };
  const start = effectiveStart(fromMs, usable, oldest);
  const segments: WindowSegment[] = [];
  let end = Math.max(toMs, start);
  let cursor = start;
  while (cursor < end) {
    const here = usable.filter((t) => isAligned(cursor, t) && cursor >= oldest(t));
    const fitting = here.filter((t) => cursor + TIME_BINS[t] <= end);
    const tier = fitting[fitting.length - 1] ?? here[0];
    // Unreachable with nested tiers and retention that shrinks towards the past; kept as a guard.
    if (tier === undefined) throw new WindowPlanError(`no retained tier is aligned at ${cursor}`);
    segments.push({ tier, startMs: cursor });
    cursor += TIME_BINS[tier];
    end = Math.max(end, cursor);
  }
  return { segments, fromMs: start, toMs: end };
}

/**
 * The most segments {@link planWindow} returns for an effective window of `spanMs` with these
 * tiers and panel bin (retention shrinking towards the past): at each edge, fewer than one of
 * each coarser tier's width in each finer tier (tiers 1m/1h/1d: 59 minutes and 23 hours), plus
 * the coarsest tier's bins in between: 2·(59 + 23) + ⌈span / 1 d⌉ for 1m/1h/1d.
 *
 * @example
 * maxSegments(['1m', '1h', '1d'], undefined, 30 * 86_400_000); // 194
 */
export function maxSegments(
  tiers: readonly RollupTier[],
  panelBin: TimeBin | undefined,
  spanMs: number,
): number {
  const usable = usableTiers(tiers, panelBin);
  let edges = 0;
  for (let i = 0; i + 1 < usable.length; i++) {
    edges += TIME_BINS[usable[i + 1] as RollupTier] / TIME_BINS[usable[i] as RollupTier] - 1;
  }
  const coarsest = usable[usable.length - 1] as RollupTier;
  return 2 * edges + Math.ceil(spanMs / TIME_BINS[coarsest]);
}

/** Consecutive segments of one tier, as one range read: `[fromMs, toMs)` of tier `tier`. */
export interface SegmentRun {
  readonly tier: RollupTier;
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * Joins consecutive segments of the same tier into ranges, so a store reads a window in a few range
 * scans (2·tiers − 1 without retention: fine, coarser, coarsest, coarser, fine) instead of one
 * lookup per segment.
 *
 * @example
 * segmentRuns(planWindow(from, to, ['1m', '1h', '1d']).segments); // e.g. 1m, 1h, 1d, 1h, 1m runs
 */
export function segmentRuns(segments: readonly WindowSegment[]): SegmentRun[] {
  const runs: SegmentRun[] = [];
  for (const s of segments) {
    const end = s.startMs + TIME_BINS[s.tier];
    const last = runs[runs.length - 1];
    if (last && last.tier === s.tier && last.toMs === s.startMs)
      runs[runs.length - 1] = { ...last, toMs: end };
    else runs.push({ tier: s.tier, fromMs: s.startMs, toMs: end });
  }
  return runs;
}
