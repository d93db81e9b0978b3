import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../../cells/local/logger.js';
import { AlarmLoop, localAlarmRules } from '../../../../cells/local/monitoring/alarm-loop.js';
import { AlarmTransitionStore } from '../../../../cells/local/monitoring/alarm-store.js';
import { assembleStats } from '../../../../cells/local/monitoring/cell-stats.js';
import { StuckReport } from '../../../../cells/local/monitoring/stuck-answer.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { ManualClock } from '../../../../consumers/clock.js';
import type { AlarmTransition } from '../../../../consumers/monitoring/alarm-evaluator.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../../dashboards/support/cell-db.js';

// The stuck-invoice alarm on fake time: the loop as the monitoring plugin builds it (rules of
// `localAlarmRules`, the default 10 s interval, counts from the invoice state table) alarms an
// invoice within 60 s of passing its stage SLA, and clears when the invoice moves on.

const INTERVAL_MS = 10_000;
const T0 = Date.parse('2026-11-20T09:00:03.250Z');
const RULE = 'ingestion-stuck-invoices';
const INGESTION_SLA_MS = 15 * 60_000;

describe('AlarmLoop: stuck invoices', () => {
  let cell: TestCellDb;
  let clock: ManualClock;
  let loop: AlarmLoop;
  const notified: AlarmTransition[] = [];

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    cell = openTestCellDb();
    clock = new ManualClock(T0);
    const stuck = new StuckReport(cell.db, CELL_TOPOLOGY, 7 * 86_400);
    const idle = assembleStats({
      topology: CELL_TOPOLOGY,
      queues: new Map(),
      snapshot: undefined,
      state: 'ready',
      cellName: 'local',
    });
    loop = new AlarmLoop({
      topology: CELL_TOPOLOGY,
      rules: localAlarmRules(CELL_TOPOLOGY, { intervalMs: INTERVAL_MS }),
      store: new AlarmTransitionStore(cell.db),
      notifier: { notify: async (transitions) => void notified.push(...transitions) },
      logger: createLogger({ level: 'silent' }),
      clock,
      intervalMs: INTERVAL_MS,
      stats: async () => idle,
      apiCounts: () => ({ answers: 0, errors5xx: 0 }),
      stuckCounts: (nowMs) => stuck.counts(nowMs),
    });
  });

  afterEach(async () => {
    await loop.close();
    cell.close();
    vi.useRealTimers();
    notified.length = 0;
  });

  /** Moves the clock and the loop's timer on by one interval; returns the rule's state after it. */
  async function tick(): Promise<string | undefined> {
    clock.advance(INTERVAL_MS);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    return loop.states.get(RULE)?.value;
  }

  it('evaluates the stuck-invoice rule at every evaluation', () => {
    // Act
    const rule = localAlarmRules(CELL_TOPOLOGY, { intervalMs: INTERVAL_MS }).find((r) => r.id === RULE);

    // Assess
    expect(rule).toMatchObject({ periodSec: INTERVAL_MS / 1000, evaluationPeriods: 1 });
  });

  it('alarms an invoice within 60 s of passing its stage SLA, not before, and clears when it moves on', async () => {
    // Prepare: INV-1 enters ingestion now; INV-2 too, but moves on within the SLA.
    await cell.write(recordOf({ eventId: 'a1', invoiceId: 'INV-1', stage: 'ingestion', timeMs: T0 }));
    await cell.write(recordOf({ eventId: 'b1', invoiceId: 'INV-2', stage: 'ingestion', timeMs: T0 }));
    await cell.write(
      recordOf({ eventId: 'b2', invoiceId: 'INV-2', stage: 'reconciliation', timeMs: T0 + 60_000 }),
    );
    await loop.start();
    const deadlineMs = T0 + INGESTION_SLA_MS;

    // Act: evaluate every 10 s of fake time until the alarm fires (at most 2 minutes past the SLA).
    let alarmedAtMs: number | undefined;
    while (alarmedAtMs === undefined && clock.now() < deadlineMs + 120_000) {
      if ((await tick()) === 'ALARM') alarmedAtMs = clock.now();
      else expect(clock.now()).toBeLessThanOrEqual(deadlineMs + 60_000);
    }

    // Assess
    expect(alarmedAtMs).toBeGreaterThan(deadlineMs);
    expect((alarmedAtMs as number) - deadlineMs).toBeLessThanOrEqual(60_000);
    expect(loop.states.get(RULE)?.lastReading).toBe(1);
    expect(notified.filter((t) => t.ruleId === RULE).map((t) => t.to)).toEqual(['OK', 'ALARM']);

    // Act: INV-1 reaches reconciliation.
    await cell.write(
      recordOf({ eventId: 'a2', invoiceId: 'INV-1', stage: 'reconciliation', timeMs: clock.now() }),
    );
    const next = await tick();

    // Assess
    expect(next).toBe('OK');
  });
});
