import { describe, expect, it } from 'vitest';
import {
  ALARM_SIGNALS,
  deriveAlarmRules,
  deriveAwsAlarmRules,
  deriveCellUnhealthy,
  ruleSignalKey,
  signalKey,
  subscriberDlqRuleId,
} from '../../cells/alarm-rules.js';
import { buildTopology, CELL_TOPOLOGY, STAGE_SETTINGS } from '../../cells/topology.js';
import { evaluateAlarms } from '../../consumers/monitoring/alarm-evaluator.js';
import { buildAlarmReadings } from '../../consumers/monitoring/alarm-readings.js';
import { renderAlarmMetric } from '../../dashboards/renderers/cloudwatch-metric.js';

// Subscribers on two stages: a pull one and a push one on ingestion, a pull one on posting.
const topology = buildTopology({}, STAGE_SETTINGS, {
  ingestion: [
    { id: 'eur-only', filterPolicy: { event: { amount: { currency: ['EUR'] } } } },
    {
      id: 'billify',
      filterPolicy: { event: { status: ['RECEIVED'] } },
      endpoint: 'https://hooks.billify.example/invoice-cell?token=secret',
    },
  ],
  posting: [{ id: 'ledger', filterPolicy: { stage: ['posting'] } }],
});
const SUBSCRIBER_RULES = [
  'ingestion-eur-only-subscriber-dlq-not-empty',
  'ingestion-billify-subscriber-dlq-not-empty',
  'posting-ledger-subscriber-dlq-not-empty',
];

describe('AlarmRules (subscribers)', () => {
  describe('deriveAlarmRules', () => {
    it("derives one DLQ rule per declared subscriber, right after its stage's own rules", () => {
      // Act
      const ids = deriveAlarmRules(topology).map((r) => r.id);

      // Assess
      expect(ids.filter((id) => id.includes('-subscriber-'))).toEqual(SUBSCRIBER_RULES);
      expect(ids.indexOf('ingestion-eur-only-subscriber-dlq-not-empty')).toBe(
        ids.indexOf('ingestion-stuck-invoices') + 1,
      );
      expect(ids.indexOf('posting-ledger-subscriber-dlq-not-empty')).toBe(
        ids.indexOf('posting-dlq-not-empty') + 1,
      );
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('derives no subscriber rule for a topology without subscribers', () => {
      expect(deriveAlarmRules(CELL_TOPOLOGY).filter((r) => r.signal === 'subscriberDlqDepth')).toEqual([]);
    });

    it('alarms on the first message in the DLQ as a warning: a downstream receiver down is not the cell down', () => {
      // Act
      const byId = new Map(deriveAlarmRules(topology).map((r) => [r.id, r]));
      const rule = byId.get(subscriberDlqRuleId({ name: 'ingestion' }, 'billify'));

      // Assess
      expect(rule).toMatchObject({
        title: 'Ingestion: subscriber billify DLQ not empty',
        stage: 'ingestion',
        subscriber: 'billify',
        signal: 'subscriberDlqDepth',
        comparison: '>',
        threshold: 0,
        periodSec: 60,
        evaluationPeriods: 1,
        severity: 'warning',
        treatMissingData: 'notBreaching',
      });
      const unhealthy = deriveCellUnhealthy([...byId.values()]).ruleIds;
      expect(unhealthy).toContain('ingestion-dlq-not-empty');
      for (const id of SUBSCRIBER_RULES) expect(unhealthy).not.toContain(id);
    });

    it('names the DLQ and the redrive in the description, never the endpoint', () => {
      // Act
      const rule = deriveAlarmRules(topology).find((r) => r.subscriber === 'billify');

      // Assess
      expect(rule?.description).toContain('IngestionBillifySubscriberDlq');
      expect(rule?.description).toContain('invoice-ops dlq redrive --stage ingestion --subscriber billify');
      expect(rule?.description).not.toContain('hooks.billify.example');
      expect(rule?.description).not.toContain('secret');
    });

    it('puts subscriber rules on the subscriber signal, with both a stage and a subscriber', () => {
      // Act
      const rules = deriveAwsAlarmRules(topology);
      const mismatched = rules.filter(
        (r) =>
          (ALARM_SIGNALS[r.signal].scope === 'subscriber') !== (r.subscriber !== undefined) ||
          (ALARM_SIGNALS[r.signal].scope !== 'cell') !== (r.stage !== undefined),
      );

      // Assess
      expect(mismatched).toEqual([]);
      expect(rules.filter((r) => r.subscriber !== undefined).map(ruleSignalKey)).toEqual([
        'subscriberDlqDepth:ingestion/eur-only',
        'subscriberDlqDepth:ingestion/billify',
        'subscriberDlqDepth:posting/ledger',
      ]);
    });
  });

  describe('buildAlarmReadings', () => {
    it("reads each subscriber's DLQ depth by <stage>/<id>, and none for a depth not given", () => {
      // Act
      const readings = buildAlarmReadings(topology, {
        stages: {},
        subscriberDlqDepths: { 'ingestion/billify': 2, 'ingestion/eur-only': 0 },
      });

      // Assess
      expect(readings[signalKey('subscriberDlqDepth', 'ingestion', 'billify')]).toBe(2);
      expect(readings[signalKey('subscriberDlqDepth', 'ingestion', 'eur-only')]).toBe(0);
      expect(readings[signalKey('subscriberDlqDepth', 'posting', 'ledger')]).toBeUndefined();
      expect(Object.hasOwn(readings, 'subscriberDlqDepth:posting/ledger')).toBe(true);
    });

    it('feeds the evaluator: a message in a subscriber DLQ puts only its rule in ALARM', () => {
      // Prepare
      const rules = deriveAlarmRules(topology).filter((r) => r.signal === 'subscriberDlqDepth');
      const readings = buildAlarmReadings(topology, {
        stages: {},
        subscriberDlqDepths: { 'ingestion/billify': 1, 'ingestion/eur-only': 0, 'posting/ledger': 0 },
      });

      // Act
      const { states, transitions } = evaluateAlarms(rules, readings, new Map(), 1_000);

      // Assess
      expect(Object.fromEntries([...states].map(([id, s]) => [id, s.value]))).toEqual({
        'ingestion-eur-only-subscriber-dlq-not-empty': 'OK',
        'ingestion-billify-subscriber-dlq-not-empty': 'ALARM',
        'posting-ledger-subscriber-dlq-not-empty': 'OK',
      });
      expect(transitions.find((t) => t.to === 'ALARM')?.reason).toContain(
        'subscriberDlqDepth (ingestion/billify) = 1',
      );
    });
  });

  describe('renderAlarmMetric', () => {
    it("watches the subscriber DLQ's visible messages (Maximum) over the rule's period", () => {
      // Prepare
      const rule = deriveAwsAlarmRules(topology).find((r) => r.subscriber === 'ledger');
      if (!rule) throw new Error('no ledger rule');

      // Act
      const spec = renderAlarmMetric(rule, topology);

      // Assess
      expect(spec).toMatchObject({
        kind: 'metric',
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        statistic: 'Maximum',
        periodSec: 60,
        resource: { kind: 'subscriberDlq', stage: 'posting', subscriber: 'ledger' },
      });
    });

    it('refuses a subscriber-signal rule without a subscriber', () => {
      // Prepare
      const rule = deriveAwsAlarmRules(topology).find((r) => r.subscriber === 'ledger');
      if (!rule) throw new Error('no ledger rule');
      const { subscriber: _dropped, ...withoutSubscriber } = rule;

      // Act / Assess
      expect(() => renderAlarmMetric(withoutSubscriber, topology)).toThrow(
        'rule posting-ledger-subscriber-dlq-not-empty: signal subscriberDlqDepth needs a subscriber',
      );
    });
  });
});
