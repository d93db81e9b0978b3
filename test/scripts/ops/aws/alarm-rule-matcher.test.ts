import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { alarmRuleMatcher } from '../../../../scripts/ops/aws/alarm-rule-matcher.js';

describe('alarmRuleMatcher', () => {
  it('finds the rule of an alarm by its generated or explicit name, the longest id first', () => {
    // Prepare
    const match = alarmRuleMatcher(CELL_TOPOLOGY);

    // Act + Assess
    expect(match('InvoiceCell-us-east-1-AlarmsPostingDlqNotEmpty1A2B-XYZ')).toMatchObject({
      id: 'posting-dlq-not-empty',
      stage: 'posting',
    });
    expect(match('InvoiceCell-us-east-1-relay-dlq-not-empty')).toMatchObject({
      id: 'relay-dlq-not-empty',
      severity: 'critical',
    });
    expect(match('InvoiceCell-us-east-1-SomethingElse')).toBeUndefined();
    const named = alarmRuleMatcher(CELL_TOPOLOGY, 'InvoiceCell-us-east-1-');
    expect(named('InvoiceCell-us-east-1-cell-unhealthy')).toMatchObject({ id: 'cell-unhealthy' });
  });

  it('names the AWS-only alarms on DLQ delivery failures', () => {
    // Prepare
    const named = alarmRuleMatcher(CELL_TOPOLOGY, 'InvoiceCell-us-east-1-');

    // Act + Assess
    expect(named('InvoiceCell-us-east-1-rule-dlq-delivery-failures')).toMatchObject({
      id: 'rule-dlq-delivery-failures',
      severity: 'critical',
    });
    expect(named('InvoiceCell-us-east-1-function-dlq-delivery-failures')).toMatchObject({
      id: 'function-dlq-delivery-failures',
    });
  });
});
