import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { AlarmComparison, AlarmRule, MissingDataTreatment } from '../../cells/alarm-rules.js';

const COMPARISONS: Readonly<Record<AlarmComparison, cloudwatch.ComparisonOperator>> = {
  '>': cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  '>=': cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
};

const MISSING_DATA: Readonly<Record<MissingDataTreatment, cloudwatch.TreatMissingData>> = {
  missing: cloudwatch.TreatMissingData.MISSING,
  notBreaching: cloudwatch.TreatMissingData.NOT_BREACHING,
};

/**
 * The alarm props of one rule, without the metric: threshold, comparison, consecutive breaching
 * periods and missing-data treatment as the rule (and the local evaluator) states them. Pure.
 *
 * @example
 * new cloudwatch.Alarm(this, alarmConstructId(rule.id), { ...alarmPropsOf(rule, `${prefix}${rule.id}`), metric });
 */
export function alarmPropsOf(rule: AlarmRule, alarmName: string): Omit<cloudwatch.AlarmProps, 'metric'> {
  return {
    alarmName,
    alarmDescription: `${rule.title}. ${rule.description} (severity ${rule.severity}, rule ${rule.id})`,
    threshold: rule.threshold,
    comparisonOperator: COMPARISONS[rule.comparison],
    evaluationPeriods: rule.evaluationPeriods,
    // Consecutive breaching periods, as the local evaluator counts them.
    datapointsToAlarm: rule.evaluationPeriods,
    treatMissingData: MISSING_DATA[rule.treatMissingData],
  };
}
