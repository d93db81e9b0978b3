import {
  type MetricAlarm,
  paginateDescribeAlarmHistory,
  paginateDescribeAlarms,
} from '@aws-sdk/client-cloudwatch';
import type { AlarmReport, AlarmState, AlarmsRequest, AlarmTransition } from '../backend.js';
import { alarmRuleMatcher } from './alarm-rule-matcher.js';
import type { AwsCell } from './aws-cell.js';
import { awsCall } from './aws-error.js';

/**
 * `alarms` on a deployed cell: CloudWatch `DescribeAlarms` (metric and composite) by the stack's
 * alarm name prefix, matched to their rules for title, severity and stage, worst state first; and
 * the `DescribeAlarmHistory` state updates of the last `historySec`. Both through the SDK paginators.
 *
 * @example
 * const report = await alarmReport(aws, { historySec: 86_400 });
 */
export async function alarmReport(aws: AwsCell, request: AlarmsRequest): Promise<AlarmReport> {
  const resources = await aws.resources();
  const prefix = resources.alarmNamePrefix;
  const known = alarmRuleMatcher(aws.topology, prefix);
  const alarms = (await currentAlarms(aws, prefix)).map((alarm) => {
    const rule = known(alarm.name);
    if (!rule) return alarm;
    return {
      ...alarm,
      title: rule.title,
      severity: rule.severity,
      ...(rule.stage && !alarm.stage ? { stage: rule.stage } : {}),
    };
  });
  alarms.sort((x, y) => alarmRank(x.state) - alarmRank(y.state) || x.name.localeCompare(y.name));
  const transitions = await recentTransitions(aws, prefix, request.historySec);
  return {
    alarms,
    transitions,
    notes: [
      `alarms named ${prefix}<rule id> (stack output AlarmNamePrefix)`,
      ...(alarms.length === 0 ? ['no alarms found: the CellStack may not define alarms yet'] : []),
    ],
  };
}

/** The cell's composite alarms, then its metric alarms (with their `stage` dimension). */
async function currentAlarms(aws: AwsCell, prefix: string): Promise<AlarmState[]> {
  const metricAlarms: MetricAlarm[] = [];
  const alarms: AlarmState[] = [];
  await awsCall('CloudWatch DescribeAlarms', async () => {
    const input = {
      AlarmNamePrefix: prefix,
      AlarmTypes: ['MetricAlarm' as const, 'CompositeAlarm' as const],
    };
    for await (const page of paginateDescribeAlarms({ client: aws.clients.cloudWatch }, input)) {
      metricAlarms.push(...(page.MetricAlarms ?? []));
      for (const a of page.CompositeAlarms ?? []) {
        alarms.push({
          name: a.AlarmName ?? '',
          state: a.StateValue ?? 'UNKNOWN',
          ...(a.StateReason ? { reason: a.StateReason } : {}),
          ...(a.StateUpdatedTimestamp ? { since: a.StateUpdatedTimestamp.toISOString() } : {}),
        });
      }
    }
  });
  for (const a of metricAlarms) {
    const stage = a.Dimensions?.find((d) => d.Name === 'stage')?.Value;
    alarms.push({
      name: a.AlarmName ?? '',
      state: a.StateValue ?? 'UNKNOWN',
      ...(a.StateReason ? { reason: a.StateReason } : {}),
      ...(a.StateUpdatedTimestamp ? { since: a.StateUpdatedTimestamp.toISOString() } : {}),
      ...(stage ? { stage } : {}),
    });
  }
  return alarms;
}

/** State updates of the cell's alarms in the last `historySec`, newest first. */
async function recentTransitions(
  aws: AwsCell,
  prefix: string,
  historySec: number,
): Promise<AlarmTransition[]> {
  const nowMs = aws.now();
  const input = {
    HistoryItemType: 'StateUpdate' as const,
    StartDate: new Date(nowMs - historySec * 1000),
    EndDate: new Date(nowMs),
    ScanBy: 'TimestampDescending' as const,
  };
  const transitions: AlarmTransition[] = [];
  await awsCall('CloudWatch DescribeAlarmHistory', async () => {
    for await (const page of paginateDescribeAlarmHistory({ client: aws.clients.cloudWatch }, input)) {
      for (const item of page.AlarmHistoryItems ?? []) {
        if (!item.AlarmName?.startsWith(prefix)) continue;
        transitions.push({
          name: item.AlarmName,
          at: item.Timestamp?.toISOString() ?? '',
          ...historyStates(item.HistoryData),
          summary: item.HistorySummary ?? '',
        });
      }
    }
  });
  return transitions;
}

function alarmRank(state: string): number {
  return state === 'ALARM' ? 0 : state === 'INSUFFICIENT_DATA' ? 1 : 2;
}

/** The old and new state values of a history item's JSON `HistoryData`; `{}` when unreadable. */
function historyStates(data: string | undefined): { from?: string; to?: string } {
  try {
    const parsed = JSON.parse(data ?? '') as {
      oldState?: { stateValue?: string };
      newState?: { stateValue?: string };
    };
    return {
      ...(parsed.oldState?.stateValue ? { from: parsed.oldState.stateValue } : {}),
      ...(parsed.newState?.stateValue ? { to: parsed.newState.stateValue } : {}),
    };
  } catch {
    return {};
  }
}
