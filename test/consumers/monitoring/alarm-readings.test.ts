import { describe, expect, it } from 'vitest';
import { ALARM_RULES, ruleSignalKey, signalKey } from '../../../cells/alarm-rules.js';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { evaluateAlarms } from '../../../consumers/monitoring/alarm-evaluator.js';
import { buildAlarmReadings } from '../../../consumers/monitoring/alarm-readings.js';

describe('buildAlarmReadings', () => {
  it('gives a reading key for the signal of every rule', () => {
    // Act
    const readings = buildAlarmReadings(CELL_TOPOLOGY, { stages: {} });

    // Assess
    const missingKeys = ALARM_RULES.map(ruleSignalKey).filter((key) => !Object.hasOwn(readings, key));
    expect(missingKeys).toEqual([]);
  });

  it('derives the error rate from period counts and reads an empty queue as age 0', () => {
    // Act
    const readings = buildAlarmReadings(CELL_TOPOLOGY, {
      stages: {
        posting: { processed: 90, failures: 10, oldestMessageAgeSec: null, queueDepth: 0, dlqDepth: 1 },
        ingestion: { processed: 0, failures: 0 },
      },
      apiAnswers: 200,
      api5xx: 3,
    });

    // Assess
    expect(readings[signalKey('errorRatePct', 'posting')]).toBe(10);
    expect(readings[signalKey('oldestMessageAgeSec', 'posting')]).toBe(0);
    expect(readings[signalKey('errorRatePct', 'ingestion')]).toBeUndefined();
    expect(readings[signalKey('apiErrorRatePct')]).toBe(1.5);
  });

  it('feeds the evaluator: a message in a DLQ puts its rule in ALARM', () => {
    // Prepare
    const readings = buildAlarmReadings(CELL_TOPOLOGY, {
      stages: { posting: { dlqDepth: 1, queueDepth: 0, oldestMessageAgeSec: null } },
      relayDlqDepth: 0,
      busDlqDepth: 0,
    });

    // Act
    const { states } = evaluateAlarms(ALARM_RULES, readings, new Map(), Date.parse('2026-11-20T09:00:00Z'));

    // Assess
    expect(states.get('posting-dlq-not-empty')?.value).toBe('ALARM');
    expect(states.get('relay-dlq-not-empty')?.value).toBe('OK');
    expect(states.get('posting-stuck-invoices')).toBeUndefined();
    expect(states.get('ingestion-stuck-invoices')?.value).toBe('INSUFFICIENT_DATA');
  });
});
