import { describe, expect, it } from 'vitest';
import {
  ALARM_RULES,
  ALARM_SIGNALS,
  breaches,
  CELL_UNHEALTHY,
  deriveAlarmRules,
  deriveCellUnhealthy,
  ruleSignalKey,
} from '../../cells/alarm-rules.js';
import { buildTopology, CELL_TOPOLOGY, STAGE_SETTINGS } from '../../cells/topology.js';

const STAGE_RULE_SUFFIXES = [
  'latency-p99',
  'error-rate',
  'queue-depth',
  'oldest-message-age',
  'dlq-not-empty',
];

describe('AlarmRules', () => {
  describe('deriveAlarmRules', () => {
    it('derives the five technical rules for every stage and the stuck rule for every stage with an SLA', () => {
      // Act
      const ids = deriveAlarmRules(CELL_TOPOLOGY).map((r) => r.id);

      // Assess
      for (const stage of CELL_TOPOLOGY.stages) {
        for (const suffix of STAGE_RULE_SUFFIXES) expect(ids).toContain(`${stage.name}-${suffix}`);
        expect(ids.includes(`${stage.name}-stuck-invoices`)).toBe(stage.slaSec > 0);
      }
      expect(ids).toEqual(
        expect.arrayContaining(['relay-dlq-not-empty', 'bus-dlq-not-empty', 'api-5xx-rate']),
      );
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('adds the rules of a stage added to the topology', () => {
      // Prepare
      const threeStages = buildTopology({}, STAGE_SETTINGS.slice(0, 3));
      const fourStages = buildTopology({}, STAGE_SETTINGS.slice(0, 4));
      const added = fourStages.stages[3]?.name;
      const wasLast = threeStages.stages[2]?.name;

      // Act
      const before = new Set(deriveAlarmRules(threeStages).map((r) => r.id));
      const after = deriveAlarmRules(fourStages).map((r) => r.id);
      const gained = after.filter((id) => !before.has(id));

      // Assess: the new stage's rules, and the former last stage now has an SLA, hence a stuck rule.
      expect(gained.sort()).toEqual(
        [...STAGE_RULE_SUFFIXES.map((s) => `${added}-${s}`), `${wasLast}-stuck-invoices`].sort(),
      );
    });

    it('takes thresholds from the stage alarms of the topology', () => {
      // Prepare
      const posting = CELL_TOPOLOGY.stages[3];
      if (!posting) throw new Error('four stages expected');

      // Act
      const byId = new Map(deriveAlarmRules(CELL_TOPOLOGY).map((r) => [r.id, r]));

      // Assess
      expect(byId.get('posting-latency-p99')).toMatchObject({
        stage: 'posting',
        signal: 'latencyP99Sec',
        comparison: '>',
        threshold: posting.alarms.latencyP99Sec,
        severity: 'critical',
      });
      expect(byId.get('posting-dlq-not-empty')).toMatchObject({ threshold: 0, evaluationPeriods: 1 });
      expect(byId.get('posting-queue-depth')?.threshold).toBe(posting.alarms.queueDepth);
      expect(byId.get('posting-error-rate')?.threshold).toBe(posting.alarms.errorRatePct);
      expect(byId.get('posting-oldest-message-age')?.threshold).toBe(posting.alarms.oldestMessageAgeSec);
    });

    it('uses only known signals, with stage rules on stage signals and cell rules on cell signals', () => {
      // Act
      const mismatched = ALARM_RULES.filter(
        (r) => (ALARM_SIGNALS[r.signal].scope === 'stage') !== (r.stage !== undefined),
      );

      // Assess
      expect(mismatched).toEqual([]);
      expect(ruleSignalKey(ALARM_RULES[0] as (typeof ALARM_RULES)[number])).toBe('latencyP99Sec:ingestion');
    });
  });

  describe('deriveCellUnhealthy', () => {
    it('is made of every critical rule and no warning', () => {
      // Act
      const composite = deriveCellUnhealthy(ALARM_RULES);

      // Assess
      const critical = ALARM_RULES.filter((r) => r.severity === 'critical').map((r) => r.id);
      expect(composite.ruleIds).toEqual(critical);
      expect(composite.ruleIds).not.toContain('posting-queue-depth');
      expect(CELL_UNHEALTHY.id).toBe('cell-unhealthy');
    });
  });

  describe('breaches', () => {
    it('compares strictly with > and inclusively with >=', () => {
      // Prepare
      const rule = ALARM_RULES.find((r) => r.id === 'posting-dlq-not-empty');
      if (!rule) throw new Error('no posting DLQ rule');

      // Act / Assess
      expect(breaches(rule, 0)).toBe(false);
      expect(breaches(rule, 1)).toBe(true);
      expect(breaches({ ...rule, comparison: '>=' }, 0)).toBe(true);
    });
  });
});
