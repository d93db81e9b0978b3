import { describe, expect, it } from 'vitest';
import { deriveAlarmRules } from '../../../../cells/alarm-rules.js';
import { assembleStats, type CellStats } from '../../../../cells/local/monitoring/cell-stats.js';
import { CounterSampler, deltaWindowMsOf } from '../../../../cells/local/monitoring/counter-sampler.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';

const topology = CELL_TOPOLOGY;
const first = topology.stages[0] as StageTopology;

/** Stats of an idle cell with `processed` messages and `invalid` failures in the first stage. */
function statsWith(processed: number, invalid: number): CellStats {
  const stats = assembleStats({
    topology,
    queues: new Map(),
    snapshot: undefined,
    state: 'ready',
    cellName: 'local',
  });
  const stage = stats.stages[first.name];
  if (!stage) throw new Error('no first stage');
  return {
    ...stats,
    stages: {
      ...stats.stages,
      [first.name]: { ...stage, processed, failures: { ...stage.failures, invalid, 'group-blocked': 5 } },
    },
  };
}

describe('CounterSampler', () => {
  describe('sample', () => {
    it('answers counter deltas against the newest sample at least one window old', () => {
      // Prepare
      const sampler = new CounterSampler(topology, 60_000);
      sampler.sample(statsWith(10, 1), { answers: 100, errors5xx: 1 }, 0);
      sampler.sample(statsWith(30, 2), { answers: 150, errors5xx: 1 }, 60_000);

      // Act
      const deltas = sampler.sample(statsWith(45, 4), { answers: 170, errors5xx: 3 }, 90_000);

      // Assess: the baseline is the sample at 0 (the one at 60 s is less than a window old).
      expect(deltas.stages[first.name]).toMatchObject({ processed: 35, failures: 3, latencyP99Sec: null });
      expect(deltas.apiAnswers).toBe(70);
      expect(deltas.api5xx).toBe(2);
    });
  });

  describe('deltaWindowMsOf', () => {
    it('is the shortest period of the rate and latency rules', () => {
      const rules = deriveAlarmRules(topology).map((r) =>
        r.signal === 'errorRatePct' ? { ...r, periodSec: 30 } : r,
      );
      expect(deltaWindowMsOf(rules)).toBe(30_000);
    });
  });
});
