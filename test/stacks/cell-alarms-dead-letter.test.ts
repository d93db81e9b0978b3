import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveAlarmRules, deriveAwsAlarmRules } from '../../cells/alarm-rules.js';
import { CELL_TOPOLOGY } from '../../cells/topology.js';
import { logicalIdOf } from './cell-fixture.js';
import { type AlarmJson, loadCellAlarms, queueOf } from './support/cell-alarm-fixture.js';

const RULES = deriveAwsAlarmRules(CELL_TOPOLOGY);
const PREFIX = 'InvoiceCell-us-east-1-';

describe('CellAlarms (dead-letter paths)', () => {
  let template: Template;
  let alarms: ReadonlyMap<string, AlarmJson>;
  let criticalTopic: string;
  let warningTopic: string;

  beforeAll(() => {
    ({ template, alarms, criticalTopic, warningTopic } = loadCellAlarms());
  });

  it('adds the AWS-only dead-letter rules to the rules the local cell evaluates', () => {
    const local = deriveAlarmRules(CELL_TOPOLOGY).map((r) => r.id);
    expect(RULES.map((r) => r.id)).toEqual([
      ...local,
      'rule-dlq-delivery-failures',
      'function-dlq-delivery-failures',
      'stuck-monitor-dlq-not-empty',
    ]);
  });

  it('alarms on the first DLQ write EventBridge fails, summing every stage rule on the cell bus', () => {
    // Act
    const metrics = alarms.get(`${PREFIX}rule-dlq-delivery-failures`)?.Metrics ?? [];
    const stats = metrics.filter((m) => m.MetricStat);

    // Assess
    expect(metrics.find((m) => m.Expression)?.Expression).toBe(
      CELL_TOPOLOGY.stages.map((s) => `FILL(rule${s.order}, 0)`).join(' + '),
    );
    for (const m of stats) {
      expect(m.MetricStat?.Metric).toMatchObject({
        Namespace: 'AWS/Events',
        MetricName: 'InvocationsFailedToBeSentToDlq',
      });
      expect(m.MetricStat?.Metric.Dimensions.map((d) => d.Name)).toEqual(['EventBusName', 'RuleName']);
      expect(m.MetricStat?.Metric.Dimensions[0]?.Value).toEqual({
        Ref: logicalIdOf(template, 'AWS::Events::EventBus', 'RoutingBus'),
      });
    }
    const rules = stats.map((m) => JSON.stringify(m.MetricStat?.Metric.Dimensions[1]?.Value));
    expect(rules).toEqual(CELL_TOPOLOGY.stages.map((s) => expect.stringContaining(`"Routing${s.title}Rule`)));
  });

  it('alarms on Lambda DeadLetterErrors of every relay and of the stuck monitor', () => {
    // Act
    const metrics = alarms.get(`${PREFIX}function-dlq-delivery-failures`)?.Metrics ?? [];
    const functions = metrics
      .filter((m) => m.MetricStat)
      .map((m) => {
        expect(m.MetricStat?.Metric).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: 'DeadLetterErrors',
        });
        expect(m.MetricStat?.Stat).toBe('Sum');
        return (m.MetricStat?.Metric.Dimensions[0]?.Value as { Ref?: string } | undefined)?.Ref;
      });

    // Assess
    expect(functions).toEqual([
      ...CELL_TOPOLOGY.stages.map((s) =>
        expect.stringMatching(new RegExp(`^Routing${s.title}RelayFunction`)),
      ),
      expect.stringMatching(/^StuckMonitorFunction/),
    ]);
    expect(alarms.get(`${PREFIX}function-dlq-delivery-failures`)?.AlarmActions).toEqual([
      { Ref: criticalTopic },
    ]);
  });

  it('warns while the stuck-monitor DLQ holds failed checks', () => {
    const alarm = alarms.get(`${PREFIX}stuck-monitor-dlq-not-empty`);
    expect(queueOf(alarm?.Metrics[0]?.MetricStat?.Metric.Dimensions[0]?.Value)).toMatch(/^StuckMonitorDlq/);
    expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(alarm?.AlarmActions).toEqual([{ Ref: warningTopic }]);
  });
});
