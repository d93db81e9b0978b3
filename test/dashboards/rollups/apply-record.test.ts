import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { buildDashboards } from '../../../dashboards/panels/panels.js';
import {
  applyDeltas,
  applyRecord,
  type BinDelta,
  emptyRollupState,
  recordEffects,
  rollupsOf,
  stateRows,
} from '../../../dashboards/rollups/apply-record.js';
import type { RollupRecord } from '../../../dashboards/rollups/contributions.js';
import type { RollupSpec } from '../../../dashboards/rollups/rollup-specs.js';

const rollups = rollupsOf(buildDashboards(CELL_TOPOLOGY));
const spec = (panelId: string): RollupSpec =>
  rollups.specs.find((s) => s.panelIds.includes(panelId)) as RollupSpec;
const T = Date.UTC(2026, 0, 7, 10, 30);

const FIRST: RollupRecord = {
  eventId: 'e-1',
  invoiceId: 'inv-1',
  stage: 'ingestion',
  stageOrder: 0,
  status: 'RECEIVED',
  currency: 'JPY',
  vendorId: 'v-1',
  amountMinor: 1_000n,
  paymentTermsDays: null,
  dueDateMs: null,
  timeMs: T,
  receivedAtMs: T + 5,
  storedAtMs: T + 50,
};
const LATER: RollupRecord = { ...FIRST, eventId: 'e-2', amountMinor: 1_500n, timeMs: T + 3 * 3_600_000 };

function money(
  state: ReturnType<typeof emptyRollupState>,
  tier: '1m' | '1h' | '1d',
  from: number,
  to: number,
) {
  return stateRows(state, spec('exec-value-by-stage').id, tier, from, to).map((r) => [
    r.binStartMs,
    r.keyValues,
    r.cell.sumMinor,
  ]);
}

describe('recordEffects / applyRecord', () => {
  it('adds an event rollup to one bin per tier', () => {
    const { deltas } = recordEffects(rollups, FIRST, () => undefined);
    const throughput = deltas.filter((d) => d.specId === spec('ops-throughput').id);
    expect(throughput.map((d) => [d.tier, d.binStartMs])).toEqual([
      ['1m', T],
      ['1h', Date.UTC(2026, 0, 7, 10)],
      ['1d', Date.UTC(2026, 0, 7)],
    ]);
  });

  it('moves a distinct invoice from its old bin to its new one when a later record arrives', () => {
    const state = emptyRollupState();
    applyRecord(state, rollups, FIRST);
    applyRecord(state, rollups, LATER);
    const day = Date.UTC(2026, 0, 7);
    expect(money(state, '1h', day, day + 86_400_000)).toEqual([
      [Date.UTC(2026, 0, 7, 13), ['ingestion', 'JPY'], 1_500n],
    ]);
    expect(money(state, '1d', day, day + 86_400_000)).toEqual([[day, ['ingestion', 'JPY'], 1_500n]]);
  });

  it('ends in the same state when the later record arrives first, and ignores a replay', () => {
    const inOrder = emptyRollupState();
    applyRecord(inOrder, rollups, FIRST);
    applyRecord(inOrder, rollups, LATER);
    const reversed = emptyRollupState();
    applyRecord(reversed, rollups, LATER);
    const effects = applyRecord(reversed, rollups, FIRST);
    expect(effects.latestWrites).toEqual([]);
    expect(effects.deltas.every((d) => !rollups.specs.find((s) => s.id === d.specId)?.latest)).toBe(true);
    expect(reversed.bins).toEqual(inOrder.bins);
    expect(reversed.latest).toEqual(inOrder.latest);
    // A replay of the latest record is never later than itself: distinct rollups do not move.
    const replay = recordEffects(rollups, LATER, (scope, key) => inOrder.latest.get(scope)?.get(key));
    expect(replay.latestWrites).toEqual([]);
  });

  it('breaks a tie of times by eventId', () => {
    const tie = { ...LATER, eventId: 'e-0', amountMinor: 7n };
    const state = emptyRollupState();
    applyRecord(state, rollups, LATER);
    applyRecord(state, rollups, tie);
    const day = Date.UTC(2026, 0, 7);
    expect(money(state, '1d', day, day + 86_400_000)).toEqual([[day, ['ingestion', 'JPY'], 1_500n]]);
  });
});

describe('applyDeltas', () => {
  const base: BinDelta = {
    specId: 'r_x',
    tier: '1m',
    binStartMs: 0,
    keyValues: ['a'],
    windowMs: 0,
    count: 1,
    sumMinor: 5n,
    sum: 0,
    bucket: 3,
  };

  it('removes a row that nets to nothing, keeps one that nets to an amount change', () => {
    const state = emptyRollupState();
    applyDeltas(state, [base, { ...base, count: -1, sumMinor: -5n }]);
    expect(stateRows(state, 'r_x', '1m', 0, 60_000)).toEqual([]);
    // A per-batch state: −old +new in one row nets count 0 but +2 minor units and moved buckets.
    const batch = emptyRollupState();
    applyDeltas(batch, [
      { ...base, count: -1, sumMinor: -5n },
      { ...base, sumMinor: 7n, bucket: 4 },
    ]);
    const [row] = stateRows(batch, 'r_x', '1m', 0, 60_000);
    expect(row?.cell).toEqual({
      count: 0,
      sumMinor: 2n,
      sum: 0,
      buckets: new Map([
        [3, -1],
        [4, 1],
      ]),
    });
  });
});
