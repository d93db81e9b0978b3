import { describe, expect, it } from 'vitest';
import type { StageName } from '../../../cells/topology.js';
import { reconcile, type StageEventIds } from '../../../consumers/monitoring/reconcile.js';

const WINDOW = { fromMs: Date.parse('2026-11-20T09:00:00Z'), toMs: Date.parse('2026-11-20T10:00:00Z') };

function ids(stage: StageName, sets: Partial<Omit<StageEventIds, 'stage'>>): StageEventIds {
  return { stage, accepted: [], stored: [], inDlq: [], inFlight: [], ...sets };
}

describe('reconcile', () => {
  it('balances when every accepted event is stored, in the DLQ or in flight', () => {
    // Prepare
    const inputs = [
      ids('ingestion', {
        accepted: ['e1', 'e2', 'e3', 'e4'],
        stored: ['e1', 'e2'],
        inDlq: ['e3'],
        inFlight: ['e4'],
      }),
      ids('posting', { accepted: ['p1'], stored: ['p1'], inFlight: ['p1'] }),
    ];

    // Act
    const report = reconcile(WINDOW, inputs);

    // Assess
    expect(report.balanced).toBe(true);
    expect(report.stages[0]).toEqual({
      stage: 'ingestion',
      accepted: 4,
      stored: 2,
      inDlq: 1,
      inFlight: 1,
      accounted: 4,
      missing: [],
      unexpected: [],
      balanced: true,
    });
  });

  it('names the eventId of an accepted event that is nowhere', () => {
    // Prepare
    const inputs = [ids('authorization', { accepted: ['a1', 'a2', 'a3'], stored: ['a1'], inDlq: ['a3'] })];

    // Act
    const report = reconcile(WINDOW, inputs);

    // Assess
    expect(report.balanced).toBe(false);
    expect(report.missing).toBe(1);
    expect(report.stages[0]).toMatchObject({ accounted: 2, missing: ['a2'], balanced: false });
  });

  it('reports stored events that were never accepted as unexpected', () => {
    // Prepare
    const inputs = [ids('posting', { accepted: ['p1'], stored: ['p1', 'pruned'] })];

    // Act
    const report = reconcile(WINDOW, inputs);

    // Assess
    expect(report.stages[0]).toMatchObject({ missing: [], unexpected: ['pruned'], balanced: false });
    expect(report.unexpected).toBe(1);
  });
});
