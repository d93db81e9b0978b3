import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import {
  openOutcomeAt,
  pendingSinceMs,
  slaCountsOf,
  slaOutcomeOf,
} from '../../../consumers/monitoring/sla-outcome.js';

const T0 = Date.parse('2026-11-20T09:00:00Z');
const MIN = 60_000;
// Ingestion (order 0): 15 min SLA, REJECTED is terminal. Posting (order 3) is the last stage.
const INGESTION = 0;
const POSTING = 3;

describe('slaOutcomeOf', () => {
  it('judges an entry met when the next stage was entered within the SLA, the limit included', () => {
    // Act
    const outcome = slaOutcomeOf(
      CELL_TOPOLOGY,
      INGESTION,
      { enteredMs: T0, status: 'CAPTURED' },
      T0 + 15 * MIN,
    );

    // Assess
    expect(outcome).toBe('met');
  });

  it('judges an entry missed when the next stage was entered after the SLA', () => {
    // Act
    const outcome = slaOutcomeOf(
      CELL_TOPOLOGY,
      INGESTION,
      { enteredMs: T0, status: 'CAPTURED' },
      T0 + 15 * MIN + 1,
    );

    // Assess
    expect(outcome).toBe('missed');
  });

  it('keeps an entry without a next stage open, or ended when its status is terminal', () => {
    // Act
    const open = slaOutcomeOf(CELL_TOPOLOGY, INGESTION, { enteredMs: T0, status: 'CAPTURED' }, undefined);
    const ended = slaOutcomeOf(CELL_TOPOLOGY, INGESTION, { enteredMs: T0, status: 'REJECTED' }, undefined);

    // Assess
    expect([open, ended]).toEqual(['open', 'ended']);
  });

  it('judges by the next stage even when the latest status is terminal', () => {
    // Act
    const outcome = slaOutcomeOf(CELL_TOPOLOGY, INGESTION, { enteredMs: T0, status: 'REJECTED' }, T0 + MIN);

    // Assess
    expect(outcome).toBe('met');
  });

  it('does not judge an entry at the last stage or at a stage the topology does not know', () => {
    // Act
    const last = slaOutcomeOf(CELL_TOPOLOGY, POSTING, { enteredMs: T0, status: 'POSTED' }, undefined);
    const unknown = slaOutcomeOf(CELL_TOPOLOGY, 9, { enteredMs: T0, status: 'X' }, undefined);

    // Assess
    expect([last, unknown]).toEqual([null, null]);
  });
});

describe('openOutcomeAt', () => {
  it('counts an open entry pending up to its SLA and missed after it', () => {
    // Act
    const atSla = openOutcomeAt(CELL_TOPOLOGY, INGESTION, T0, T0 + 15 * MIN);
    const after = openOutcomeAt(CELL_TOPOLOGY, INGESTION, T0, T0 + 15 * MIN + 1);

    // Assess
    expect([atSla, after]).toEqual(['pending', 'missed']);
    expect(pendingSinceMs(CELL_TOPOLOGY, INGESTION, T0 + 15 * MIN)).toBe(T0);
  });
});

describe('slaCountsOf', () => {
  it('adds the open entries past their SLA to the missed ones and computes the attainment', () => {
    // Act
    const row = slaCountsOf('ingestion', { met: 3, missed: 1, ended: 2, open: 4 }, 3);

    // Assess: one open entry is past its SLA.
    expect(row).toEqual({ stage: 'ingestion', met: 3, missed: 2, pending: 3, ended: 2, value: 60 });
  });

  it('has no attainment when nothing was judged', () => {
    // Act
    const row = slaCountsOf('ingestion', { met: 0, missed: 0, ended: 1, open: 2 }, 2);

    // Assess
    expect(row.value).toBeNull();
  });
});
