import { describe, expect, it } from 'vitest';
import { type AlarmRule, deriveCellUnhealthy, signalKey } from '../../../cells/alarm-rules.js';
import {
  type AlarmReadings,
  type AlarmState,
  evaluateAlarms,
  evaluateComposite,
} from '../../../consumers/monitoring/alarm-evaluator.js';

const T0 = Date.parse('2026-11-20T09:00:00Z');
const MINUTE = 60_000;

function rule(overrides: Partial<AlarmRule> = {}): AlarmRule {
  return {
    id: 'posting-queue-depth',
    title: 'Posting: queue depth over 100',
    stage: 'posting',
    signal: 'queueDepth',
    comparison: '>',
    threshold: 100,
    periodSec: 60,
    evaluationPeriods: 3,
    severity: 'warning',
    treatMissingData: 'missing',
    description: 'test rule',
    ...overrides,
  };
}

const KEY = signalKey('queueDepth', 'posting');

/** Runs one evaluation per minute over the readings; returns every state and transition. */
function run(rules: readonly AlarmRule[], readings: readonly AlarmReadings[]) {
  let states: ReadonlyMap<string, AlarmState> = new Map();
  const history = readings.map((r, i) => {
    const result = evaluateAlarms(rules, r, states, T0 + i * MINUTE);
    states = result.states;
    return result;
  });
  return { history, states };
}

describe('evaluateAlarms', () => {
  it('goes OK → ALARM only after N consecutive breaching periods', () => {
    // Prepare
    const readings = [50, 150, 150, 150].map((v) => ({ [KEY]: v }));

    // Act
    const { history } = run([rule()], readings);

    // Assess
    expect(history.map((h) => h.states.get('posting-queue-depth')?.value)).toEqual([
      'OK',
      'OK',
      'OK',
      'ALARM',
    ]);
    expect(history[3]?.transitions).toEqual([
      expect.objectContaining({
        ruleId: 'posting-queue-depth',
        from: 'OK',
        to: 'ALARM',
        atMs: T0 + 3 * MINUTE,
        value: 150,
        threshold: 100,
        reason: expect.stringContaining('3 consecutive'),
      }),
    ]);
  });

  it('restarts the streak after a good period', () => {
    // Prepare
    const readings = [50, 150, 150, 50, 150, 150].map((v) => ({ [KEY]: v }));

    // Act
    const { history } = run([rule()], readings);

    // Assess
    expect(history.flatMap((h) => h.transitions.map((t) => t.to))).toEqual(['OK']);
  });

  it('returns ALARM → OK on the first good period', () => {
    // Prepare
    const readings = [150, 150, 150, 20].map((v) => ({ [KEY]: v }));

    // Act
    const { history } = run([rule()], readings);

    // Assess
    expect(history.map((h) => h.states.get('posting-queue-depth')?.value)).toEqual([
      'INSUFFICIENT_DATA',
      'INSUFFICIENT_DATA',
      'ALARM',
      'OK',
    ]);
    expect(history[3]?.transitions).toEqual([
      expect.objectContaining({ from: 'ALARM', to: 'OK', value: 20 }),
    ]);
  });

  it('goes to INSUFFICIENT_DATA when a reading is missing', () => {
    // Prepare
    const readings: AlarmReadings[] = [{ [KEY]: 10 }, {}, { [KEY]: undefined }];

    // Act
    const { history } = run([rule()], readings);

    // Assess
    expect(history.map((h) => h.states.get('posting-queue-depth')?.value)).toEqual([
      'OK',
      'INSUFFICIENT_DATA',
      'INSUFFICIENT_DATA',
    ]);
    expect(history[1]?.transitions).toEqual([
      expect.objectContaining({
        from: 'OK',
        to: 'INSUFFICIENT_DATA',
        value: undefined,
        reason: `no reading for ${KEY}`,
      }),
    ]);
  });

  it('treats a missing reading as good for a notBreaching rule', () => {
    // Prepare
    const readings: AlarmReadings[] = [{ [KEY]: 150 }, {}];

    // Act
    const { history } = run([rule({ evaluationPeriods: 1, treatMissingData: 'notBreaching' })], readings);

    // Assess
    expect(history.map((h) => h.states.get('posting-queue-depth')?.value)).toEqual(['ALARM', 'OK']);
  });

  it('evaluates a rule at most once per period', () => {
    // Prepare
    const r = rule({ evaluationPeriods: 2, periodSec: 300 });
    const first = evaluateAlarms([r], { [KEY]: 150 }, new Map(), T0);

    // Act: a tick one minute later is inside the same 5-minute period; one five minutes later is not.
    const early = evaluateAlarms([r], { [KEY]: 150 }, first.states, T0 + MINUTE);
    const due = evaluateAlarms([r], { [KEY]: 150 }, early.states, T0 + 5 * MINUTE);

    // Assess
    expect(early.states.get(r.id)).toEqual(first.states.get(r.id));
    expect(due.states.get(r.id)?.value).toBe('ALARM');
  });
});

describe('evaluateComposite', () => {
  it('is ALARM while any critical member is in ALARM', () => {
    // Prepare
    const critical = rule({
      id: 'posting-dlq-not-empty',
      signal: 'dlqDepth',
      threshold: 0,
      evaluationPeriods: 1,
      severity: 'critical',
    });
    const warning = rule({ evaluationPeriods: 1 });
    const composite = deriveCellUnhealthy([critical, warning]);
    const readings = { [signalKey('dlqDepth', 'posting')]: 2, [KEY]: 500 };

    // Act
    const { states } = evaluateAlarms([critical, warning], readings, new Map(), T0);
    const healthy = evaluateAlarms(
      [critical, warning],
      { [KEY]: 500, [signalKey('dlqDepth', 'posting')]: 0 },
      new Map(),
      T0,
    );

    // Assess
    expect(evaluateComposite(composite, states)).toEqual({
      value: 'ALARM',
      alarming: ['posting-dlq-not-empty'],
    });
    expect(evaluateComposite(composite, healthy.states).value).toBe('OK');
  });
});
