import { describe, expect, it } from 'vitest';
import { TIME_BINS, type TimeBin } from '../../../dashboards/panels/panel-types.js';
import { binStartOf } from '../../../dashboards/rollups/bin-start.js';
import {
  maxSegments,
  planWindow,
  type RollupTier,
  segmentRuns,
  tierServesBin,
  type WindowPlan,
  WindowPlanError,
} from '../../../dashboards/rollups/window-plan.js';
import { int, mixSeed, mulberry32 } from '../../../scripts/ops/seeded-random.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5);
const COUNTERS: readonly RollupTier[] = ['1m', '1h', '1d'];
const HISTOGRAMS: readonly RollupTier[] = ['5m', '1h', '1d'];

/** Disjoint, aligned, in order, exactly covering the effective window, each inside one panel bin. */
function expectWellFormed(plan: WindowPlan, panelBin?: TimeBin): void {
  const problems: string[] = [];
  let cursor = plan.fromMs;
  for (const s of plan.segments) {
    const end = s.startMs + TIME_BINS[s.tier];
    if (s.startMs !== cursor) problems.push(`${s.tier}@${s.startMs} does not start at ${cursor}`);
    if (s.startMs % TIME_BINS[s.tier] !== 0) problems.push(`${s.tier}@${s.startMs} is not aligned`);
    if (panelBin && binStartOf(end - 1, panelBin) !== binStartOf(s.startMs, panelBin)) {
      problems.push(`${s.tier}@${s.startMs} straddles a ${panelBin} bin`);
    }
    cursor = end;
  }
  if (cursor !== plan.toMs) problems.push(`segments end at ${cursor}, not ${plan.toMs}`);
  expect(problems).toEqual([]);
}

describe('planWindow', () => {
  it('uses coarse tiers in the middle and finer ones at the edges', () => {
    const from = T0 + 22 * HOUR + 50 * MINUTE;
    const to = T0 + 3 * DAY + HOUR + 10 * MINUTE;
    const plan = planWindow(from, to, COUNTERS);
    expect(plan).toMatchObject({ fromMs: from, toMs: to });
    expect(segmentRuns(plan.segments).map((r) => [r.tier, (r.toMs - r.fromMs) / TIME_BINS[r.tier]])).toEqual([
      ['1m', 10],
      ['1h', 1],
      ['1d', 2],
      ['1h', 1],
      ['1m', 10],
    ]);
    expectWellFormed(plan);
  });

  it('covers an empty window with no segments and refuses a reversed or fractional one', () => {
    expect(planWindow(T0, T0, COUNTERS)).toEqual({ segments: [], fromMs: T0, toMs: T0 });
    expect(() => planWindow(T0 + 1, T0, COUNTERS)).toThrow(/toMs .* is before fromMs/);
    expect(() => planWindow(0.5, T0, COUNTERS)).toThrow(WindowPlanError);
    expect(() => planWindow(0, Number.NaN, COUNTERS)).toThrow(/toMs NaN/);
  });

  it('snaps unaligned edges outwards to the finest tier', () => {
    const plan = planWindow(T0 + 7 * MINUTE + 1_234, T0 + 2 * HOUR + 3 * MINUTE + 1, HISTOGRAMS);
    expect(plan.fromMs).toBe(T0 + 5 * MINUTE);
    expect(plan.toMs).toBe(T0 + 2 * HOUR + 5 * MINUTE);
    expectWellFormed(plan);
  });

  it('only uses tiers that divide the panel bin, and keeps every segment inside one bin', () => {
    const plan = planWindow(T0 + 3 * MINUTE, T0 + 2 * DAY + 7 * MINUTE, COUNTERS, { panelBin: '5m' });
    expect(new Set(plan.segments.map((s) => s.tier))).toEqual(new Set(['1m']));
    expectWellFormed(plan, '5m');
    const weekly = planWindow(T0 - 3 * DAY, T0 + 12 * DAY + 5 * HOUR, COUNTERS, { panelBin: '1w' });
    expect(weekly.segments.some((s) => s.tier === '1d')).toBe(true);
    expectWellFormed(weekly, '1w');
  });

  it('refuses a panel bin no tier divides, naming it', () => {
    expect(tierServesBin('5m', '1m')).toBe(false);
    expect(tierServesBin('1d', '1w')).toBe(true);
    expect(() => planWindow(T0, T0 + HOUR, HISTOGRAMS, { panelBin: '1m' })).toThrow(
      /panelBin 1m: none of the tiers/,
    );
  });

  it('resolves to the finest tier still retained at each edge', () => {
    const oldestRetainedMs = { '1m': T0 + 10 * DAY, '1h': T0 + 3 * DAY };
    // The start is older than minute and hour bins: it snaps down to its day.
    const plan = planWindow(T0 + DAY + 5 * HOUR + 7 * MINUTE, T0 + 12 * DAY + 30 * MINUTE, COUNTERS, {
      oldestRetainedMs,
    });
    expect(plan.fromMs).toBe(T0 + DAY);
    expect(plan.toMs).toBe(T0 + 12 * DAY + 30 * MINUTE);
    for (const s of plan.segments)
      expect(s.startMs).toBeGreaterThanOrEqual(oldestRetainedMs[s.tier as '1m'] ?? 0);
    expectWellFormed(plan);
    // Inside hour retention but before minutes: snaps to the hour.
    expect(planWindow(T0 + 5 * DAY + 7 * MINUTE, T0 + 6 * DAY, COUNTERS, { oldestRetainedMs }).fromMs).toBe(
      T0 + 5 * DAY,
    );
  });

  it('extends the end when the tier retained at the start is coarser than what remains', () => {
    const plan = planWindow(T0 + 10 * MINUTE, T0 + 40 * MINUTE, COUNTERS, {
      oldestRetainedMs: { '1m': T0 + 30 * MINUTE },
    });
    expect(plan).toMatchObject({ fromMs: T0, toMs: T0 + HOUR });
    expectWellFormed(plan);
  });

  it('starts at the oldest retained bin when the window is older than everything kept', () => {
    const plan = planWindow(T0 - 30 * DAY, T0 + 2 * DAY, COUNTERS, {
      oldestRetainedMs: { '1m': T0 + DAY, '1h': T0 + DAY, '1d': T0 },
    });
    expect(plan.fromMs).toBe(T0);
    expectWellFormed(plan);
    const kept = { '1m': T0 + DAY, '1h': T0 + DAY, '1d': T0 };
    expect(planWindow(T0 - 30 * DAY, T0 - 20 * DAY, COUNTERS, { oldestRetainedMs: kept })).toEqual({
      segments: [],
      fromMs: T0,
      toMs: T0,
    });
  });

  it('stays within the stated bound for random windows, bins and retention', () => {
    expect(maxSegments(COUNTERS, undefined, 30 * DAY)).toBe(2 * (59 + 23) + 30);
    expect(maxSegments(HISTOGRAMS, undefined, DAY)).toBe(2 * (11 + 23) + 1);
    expect(maxSegments(COUNTERS, '1h', DAY)).toBe(2 * 59 + 24);
    const random = mulberry32(mixSeed(5, 5));
    const bins: (TimeBin | undefined)[] = [undefined, '1m', '5m', '1h', '1d', '1w'];
    for (let i = 0; i < 500; i++) {
      const tiers = random() < 0.5 ? COUNTERS : HISTOGRAMS;
      const panelBin = bins[int(random, 0, bins.length - 1)];
      if (panelBin && !tiers.some((t) => tierServesBin(t, panelBin))) continue;
      const from = T0 + int(random, 0, 40 * DAY);
      // Minute bins over a month would be 43,200 segments by design: keep those windows short.
      const fineBin = panelBin === '1m' || panelBin === '5m';
      const to = from + int(random, 0, fineBin ? 2 * DAY : 35 * DAY);
      const fine = T0 + int(random, 0, 60 * DAY);
      const retained =
        random() < 0.5 ? {} : { '1m': fine, '5m': fine, '1h': fine - int(random, 0, 20 * DAY) };
      const plan = planWindow(from, to, tiers, {
        oldestRetainedMs: retained,
        ...(panelBin ? { panelBin } : {}),
      });
      expectWellFormed(plan, panelBin);
      expect(plan.segments.length).toBeLessThanOrEqual(maxSegments(tiers, panelBin, plan.toMs - plan.fromMs));
      if (Object.keys(retained).length === 0) {
        expect(plan.fromMs).toBeLessThanOrEqual(from);
        expect(plan.toMs).toBeGreaterThanOrEqual(to);
      }
      for (const s of plan.segments) {
        expect(s.startMs).toBeGreaterThanOrEqual(
          (retained as Partial<Record<RollupTier, number>>)[s.tier] ?? 0,
        );
      }
    }
  });
});

describe('segmentRuns', () => {
  it('joins consecutive segments of one tier into one range', () => {
    expect(
      segmentRuns([
        { tier: '1m', startMs: 0 },
        { tier: '1m', startMs: MINUTE },
        { tier: '1h', startMs: 2 * MINUTE },
        { tier: '1m', startMs: 2 * MINUTE + HOUR },
      ]),
    ).toEqual([
      { tier: '1m', fromMs: 0, toMs: 2 * MINUTE },
      { tier: '1h', fromMs: 2 * MINUTE, toMs: 2 * MINUTE + HOUR },
      { tier: '1m', fromMs: 2 * MINUTE + HOUR, toMs: 3 * MINUTE + HOUR },
    ]);
  });
});
