import { describe, expect, it } from 'vitest';
import { deriveAlarmRules, deriveCellUnhealthy } from '../../../../cells/alarm-rules.js';
import type { TransitionRow } from '../../../../cells/local/monitoring/alarm-store.js';
import { alarmsAnswer } from '../../../../cells/local/monitoring/alarms-answer.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';
import type { AlarmTransition } from '../../../../consumers/monitoring/alarm-evaluator.js';

const topology = CELL_TOPOLOGY;
const first = topology.stages[0] as StageTopology;
const rules = deriveAlarmRules(topology);
const composite = deriveCellUnhealthy(rules);
const rule = rules.find((r) => r.id === `${first.name}-dlq-not-empty`);
const NOW = Date.parse('2026-11-20T12:00:00Z');

describe('alarmsAnswer', () => {
  it('lists unstored transitions first, each with the field order the CLI and web app read', () => {
    // Prepare
    if (!rule) throw new Error('no DLQ rule');
    const pending: AlarmTransition[] = [
      {
        ruleId: rule.id,
        title: rule.title,
        severity: rule.severity,
        stage: first.name,
        from: 'ALARM',
        to: 'OK',
        atMs: NOW - 1_000,
        value: undefined,
        threshold: 0,
        reason: 'recovered',
      },
    ];
    const stored: TransitionRow[] = [
      {
        rule_id: rule.id,
        from_state: 'OK',
        to_state: 'ALARM',
        at_ms: NOW - 60_000,
        value: 1,
        threshold: 0,
        reason: 'breached',
      },
    ];

    // Act
    const answer = alarmsAnswer({
      rules,
      composite,
      states: new Map(),
      pending,
      stored,
      sinceMs: 0,
      nowMs: NOW,
    });

    // Assess
    expect(answer.cellUnhealthy).toBe('OK');
    expect(answer.alarms).toHaveLength(rules.length);
    expect(answer.transitions.map((t) => Object.keys(t))).toEqual([
      ['ruleId', 'title', 'severity', 'stage', 'from', 'to', 'atMs', 'value', 'threshold', 'reason', 'at'],
      ['ruleId', 'from', 'to', 'atMs', 'value', 'threshold', 'reason', 'title', 'severity', 'stage', 'at'],
    ]);
    expect(answer.transitions[0]).toMatchObject({ value: null, at: '2026-11-20T11:59:59.000Z' });
    expect(Object.keys(answer)).toEqual([
      'generatedAt',
      'cellUnhealthy',
      'cellUnhealthyAlarming',
      'alarms',
      'transitions',
    ]);
  });
});
