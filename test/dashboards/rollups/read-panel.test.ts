import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import type { Panel } from '../../../dashboards/panels/panel-types.js';
import { buildDashboards, findPanel } from '../../../dashboards/panels/panels.js';
import {
  applyRecord,
  emptyRollupState,
  rollupsOf,
  stateRows,
} from '../../../dashboards/rollups/apply-record.js';
import type { RollupRecord } from '../../../dashboards/rollups/contributions.js';
import { readPanel } from '../../../dashboards/rollups/read-panel.js';
import type { RollupSpec } from '../../../dashboards/rollups/rollup-specs.js';
import { WindowPlanError } from '../../../dashboards/rollups/window-plan.js';

const dashboards = buildDashboards(CELL_TOPOLOGY);
const rollups = rollupsOf(dashboards);
const panel = (id: string): Panel => findPanel(dashboards, id) as Panel;
const spec = (id: string): RollupSpec => rollups.specs.find((s) => s.panelIds.includes(id)) as RollupSpec;
const T = Date.UTC(2026, 0, 7, 10);
const HOUR = 3_600_000;

function record(
  eventId: string,
  stage: RollupRecord['stage'],
  stageOrder: number,
  timeMs: number,
): RollupRecord {
  return {
    eventId,
    invoiceId: `inv-${eventId}`,
    stage,
    stageOrder,
    status: 'OK',
    currency: 'EUR',
    vendorId: 'v',
    amountMinor: 100n,
    paymentTermsDays: null,
    dueDateMs: null,
    timeMs,
    receivedAtMs: timeMs,
    storedAtMs: timeMs + 10,
  };
}

const state = emptyRollupState();
for (const r of [
  record('a', 'posting', 3, T),
  record('b', 'ingestion', 0, T + 5 * 60_000),
  record('c', 'ingestion', 0, T + HOUR),
]) {
  applyRecord(state, rollups, r);
}

const reader = (id: string) => (tier: '1m' | '5m' | '1h' | '1d', from: number, to: number) =>
  stateRows(state, spec(id).id, tier, from, to);

describe('readPanel', () => {
  it('re-bins tier rows into the panel bin and orders stages by the pipeline', () => {
    const stageOrder = new Map(CELL_TOPOLOGY.stages.map((s, i) => [s.name, i]));
    const read = readPanel(
      spec('exec-events-trend'),
      panel('exec-events-trend'),
      { fromMs: T, toMs: T + 2 * HOUR, panelBin: '1h', stageOrder },
      reader('exec-events-trend'),
    );
    expect(read.rows.map((r) => [r.binStartMs, r.groups.stage, r.value])).toEqual([
      [T, 'ingestion', 1],
      [T, 'posting', 1],
      [T + HOUR, 'ingestion', 1],
    ]);
    expect(read).toMatchObject({ fromMs: T, toMs: T + 2 * HOUR });
  });

  it('refuses a spec that does not serve the panel, a missing bin and a bin the tiers cannot build', () => {
    const read = reader('ops-throughput');
    expect(() =>
      readPanel(spec('ops-throughput'), panel('exec-outcomes'), { fromMs: T, toMs: T + HOUR }, read),
    ).toThrow(/panel exec-outcomes: rollup r_[0-9a-f]+ does not serve its query/);
    expect(() =>
      readPanel(spec('ops-throughput'), panel('ops-throughput'), { fromMs: T, toMs: T + HOUR }, read),
    ).toThrow(/panelBin is required/);
    expect(() =>
      readPanel(
        spec('ops-latency-p50'),
        panel('ops-latency-p50'),
        { fromMs: T, toMs: T + HOUR, panelBin: '1m' },
        read,
      ),
    ).toThrow(WindowPlanError);
  });
});
