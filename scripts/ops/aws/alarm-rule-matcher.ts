import { deriveAwsAlarmRules, deriveCellUnhealthy } from '../../../cells/alarm-rules.js';
import type { CellTopology } from '../../../cells/topology.js';

/** The rule an AWS alarm was rendered from, as the alarms report shows it. */
export interface MatchedAlarmRule {
  readonly id: string;
  readonly title: string;
  readonly severity: string;
  readonly stage?: string;
}

/**
 * Finds the rule (cells/alarm-rules.ts) an AWS alarm was rendered from by its name. CellAlarms names
 * every alarm `<stack name>-<rule id>` (`InvoiceCell-x-posting-dlq-not-empty`); for names made
 * otherwise (a CloudFormation-generated `InvoiceCell-x-AlarmsPostingDlqNotEmpty1A2B-XYZ`) the rule
 * id, letters and digits only, is looked for inside the name, the longest id first. Pure.
 *
 * @example
 * alarmRuleMatcher(CELL_TOPOLOGY, 'InvoiceCell-us-east-1-')('InvoiceCell-us-east-1-posting-dlq-not-empty');
 * // { id: 'posting-dlq-not-empty', title: ..., severity: 'critical', stage: 'posting' }
 */
export function alarmRuleMatcher(
  topology: CellTopology,
  prefix = '',
): (alarmName: string) => MatchedAlarmRule | undefined {
  // The AWS cell's rules: the shared ones plus the AWS-only DLQ-delivery alarms (stacks/cell-alarms.ts).
  const rules = deriveAwsAlarmRules(topology);
  const all = [...rules, deriveCellUnhealthy(rules)];
  const squash = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');
  const byLength = all
    .map((r) => ({ rule: r, key: squash(r.id) }))
    .sort((a, b) => b.key.length - a.key.length);
  return (alarmName) => {
    const rest = prefix !== '' && alarmName.startsWith(prefix) ? alarmName.slice(prefix.length) : alarmName;
    const exact = all.find((r) => r.id === rest);
    const name = squash(rest);
    const hit = exact ?? byLength.find((r) => name.includes(r.key))?.rule;
    if (!hit) return undefined;
    return {
      id: hit.id,
      title: hit.title,
      severity: hit.severity,
      ...('stage' in hit && hit.stage ? { stage: hit.stage } : {}),
    };
  };
}
