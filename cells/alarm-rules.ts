import type { AlarmRule, AlarmSignal, CompositeAlarmRule } from './alarm-signals.js';
import { CELL_TOPOLOGY, type CellTopology, type StageTopology } from './topology.js';

/**
 * The cell's alarms, defined once and derived from the topology: per stage, processing latency,
 * error rate, queue depth, oldest message age, DLQ not empty and business-stuck invoices; per
 * declared stage subscriber, its DLQ not empty; per cell, relay DLQ and bus DLQ not empty and the API 5xx rate; and the composite "cell unhealthy"
 * (any critical rule in ALARM). CDK renders each rule to a CloudWatch alarm
 * (`renderAlarmMetric` in dashboards/renderers/cloudwatch-metric.ts gives its metric); the local cell
 * evaluates the same rules in-process (consumers/monitoring/alarm-evaluator.ts) from readings
 * keyed by {@link signalKey}.
 *
 * Severity. Critical = the platform's promises are at risk (events lost, or not visible within two
 * minutes): DLQs, latency p99, error rate, oldest message age, API 5xx. Oldest message age is
 * critical because it is the only signal of a *stalled* processor: latency and error rate have no
 * data when nothing is processed. Warning = needs attention, not an outage: queue backlog (bursts
 * are expected) and business-stuck invoices (a process problem, not a platform one).
 *
 * Missing data. Traffic-driven signals (latency, error rate, API 5xx rate) have no value when
 * there is no traffic, which is fine: `notBreaching`. SQS stops publishing the metrics of a queue
 * that has been idle for six hours, and an idle queue or DLQ is a healthy one, so the queue and DLQ
 * rules are `notBreaching` too (a message arriving makes the queue active again). The stuck-invoice
 * count comes from a scheduled monitor: if it stops publishing, nobody is watching for stuck
 * invoices, so it is `missing` → INSUFFICIENT_DATA. The local cell supplies every reading on every
 * evaluation, so there a missing reading means broken wiring.
 *
 * @example
 * const rules = deriveAlarmRules(CELL_TOPOLOGY);
 * const readings = { [signalKey('dlqDepth', 'posting')]: 1 };
 */

export {
  ALARM_SIGNALS,
  type AlarmComparison,
  type AlarmRule,
  type AlarmSeverity,
  type AlarmSignal,
  type CompositeAlarmRule,
  type MissingDataTreatment,
} from './alarm-signals.js';

/** Cell-wide thresholds the topology does not carry. */
export interface CellAlarmSettings {
  /** API 5xx answers, percent of all answers. */
  readonly apiErrorRatePct: number;
  /** Relay DLQ depth above which the relay alarm fires (0: any message). */
  readonly relayDlqDepth: number;
  readonly busDlqDepth: number;
  /** Period of the stuck-invoice check; it is a store query, so it runs less often. */
  readonly stuckCheckPeriodSec: number;
}

export const DEFAULT_CELL_ALARM_SETTINGS: CellAlarmSettings = {
  apiErrorRatePct: 1,
  relayDlqDepth: 0,
  busDlqDepth: 0,
  stuckCheckPeriodSec: 300,
};

/** The composite alarm's id. */
export const CELL_UNHEALTHY_ID = 'cell-unhealthy';

/**
 * The key of a reading: `signal` for cell rules, `signal:stage` for stage rules,
 * `signal:stage/subscriber` for subscriber rules.
 */
export function signalKey(signal: AlarmSignal, stage?: string, subscriber?: string): string {
  if (stage === undefined) return signal;
  return subscriber === undefined ? `${signal}:${stage}` : `${signal}:${stage}/${subscriber}`;
}

/** The reading key a rule is evaluated on. */
export function ruleSignalKey(rule: AlarmRule): string {
  return signalKey(rule.signal, rule.stage, rule.subscriber);
}

/** The id of a subscriber's DLQ rule: `<stage>-<subscriber id>-subscriber-dlq-not-empty`. Pure. */
export function subscriberDlqRuleId(stage: Pick<StageTopology, 'name'>, subscriberId: string): string {
  return `${stage.name}-${subscriberId}-subscriber-dlq-not-empty`;
}

/** Whether a value breaches the rule's threshold. */
export function breaches(rule: AlarmRule, value: number): boolean {
  return rule.comparison === '>' ? value > rule.threshold : value >= rule.threshold;
}

const MINUTE = 60;

/** The five rules every stage has, from its alarm thresholds. Pure. */
function stageSignalRules(stage: StageTopology): AlarmRule[] {
  const a = stage.alarms;
  const s = stage.name;
  return [
    {
      id: `${s}-latency-p99`,
      title: `${stage.title}: latency p99 over ${a.latencyP99Sec} s`,
      stage: s,
      signal: 'latencyP99Sec',
      comparison: '>',
      threshold: a.latencyP99Sec,
      periodSec: MINUTE,
      evaluationPeriods: 3,
      severity: 'critical',
      treatMissingData: 'notBreaching',
      description: `p99 ingest-to-store latency of ${s} above ${a.latencyP99Sec} s for 3 minutes: events are not visible within the promised time.`,
    },
    {
      id: `${s}-error-rate`,
      title: `${stage.title}: error rate over ${a.errorRatePct}%`,
      stage: s,
      signal: 'errorRatePct',
      comparison: '>',
      threshold: a.errorRatePct,
      periodSec: MINUTE,
      evaluationPeriods: 3,
      severity: 'critical',
      treatMissingData: 'notBreaching',
      description: `More than ${a.errorRatePct}% of ${s} messages failed for 3 minutes (store errors, invalid or rejected events).`,
    },
    ...stageQueueRules(stage),
  ];
}

/** The queue rules of a stage: backlog, oldest message, DLQ. Pure. */
function stageQueueRules(stage: StageTopology): AlarmRule[] {
  const a = stage.alarms;
  const s = stage.name;
  return [
    {
      id: `${s}-queue-depth`,
      title: `${stage.title}: queue depth over ${a.queueDepth}`,
      stage: s,
      signal: 'queueDepth',
      comparison: '>',
      threshold: a.queueDepth,
      periodSec: MINUTE,
      evaluationPeriods: 5,
      severity: 'warning',
      treatMissingData: 'notBreaching',
      description: `More than ${a.queueDepth} messages waiting in the ${s} queue for 5 minutes: processing is not keeping up.`,
    },
    {
      id: `${s}-oldest-message-age`,
      title: `${stage.title}: oldest message older than ${a.oldestMessageAgeSec} s`,
      stage: s,
      signal: 'oldestMessageAgeSec',
      comparison: '>',
      threshold: a.oldestMessageAgeSec,
      periodSec: MINUTE,
      evaluationPeriods: 3,
      severity: 'critical',
      treatMissingData: 'notBreaching',
      description: `A ${s} message has waited more than ${a.oldestMessageAgeSec} s for 3 minutes: a stalled processor or a blocked invoice (technical stuck event).`,
    },
    {
      id: `${s}-dlq-not-empty`,
      title: `${stage.title}: DLQ not empty`,
      stage: s,
      signal: 'dlqDepth',
      comparison: '>',
      threshold: a.dlqDepth,
      periodSec: MINUTE,
      evaluationPeriods: 1,
      severity: 'critical',
      treatMissingData: 'notBreaching',
      description: `Messages in the ${s} DLQ: they exhausted ${stage.maxReceiveCount} receives. Inspect, fix, redrive.`,
    },
  ];
}

/**
 * One rule per subscriber declared on the stage: its DLQ not empty. Critical, like the stage DLQ:
 * the messages are events the cell promised a downstream team and did not hand over; they wait
 * there for a redrive (`invoice-ops dlq redrive --subscriber`). Pure.
 */
function subscriberDlqRules(stage: StageTopology): AlarmRule[] {
  return stage.subscribers.map((sub) => ({
    id: subscriberDlqRuleId(stage, sub.id),
    title: `${stage.title}: subscriber ${sub.id} DLQ not empty`,
    stage: stage.name,
    subscriber: sub.id,
    signal: 'subscriberDlqDepth',
    comparison: '>',
    threshold: 0,
    periodSec: MINUTE,
    evaluationPeriods: 1,
    severity: 'warning',
    treatMissingData: 'notBreaching',
    // No endpoint URL here: it goes into CloudFormation, and on AWS nothing is pushed to it.
    description: `Messages in the DLQ of subscriber ${sub.id} (${sub.ids.dlq}): not taken within ${stage.maxReceiveCount} receives (not acked, or no 2xx answer to any push of the local cell). Fix the subscriber, then redrive: invoice-ops dlq redrive --stage ${stage.name} --subscriber ${sub.id}.`,
  }));
}

/** The business-stuck rule of a stage; none for a stage without an SLA. Pure. */
function stuckInvoiceRules(stage: StageTopology, settings: CellAlarmSettings): AlarmRule[] {
  // The last stage has no SLA (slaSec 0): an invoice there is done, never stuck.
  if (stage.slaSec <= 0) return [];
  const s = stage.name;
  return [
    {
      id: `${s}-stuck-invoices`,
      title: `${stage.title}: invoices past the ${stage.slaSec} s SLA`,
      stage: s,
      signal: 'stuckInvoices',
      comparison: '>',
      threshold: 0,
      periodSec: settings.stuckCheckPeriodSec,
      evaluationPeriods: 1,
      severity: 'warning',
      treatMissingData: 'missing',
      description: `Invoices reached ${s} but not the next stage within ${stage.slaSec} s (business stuck event).`,
    },
  ];
}

/** The cell-wide rules: relay DLQ, bus DLQ, API 5xx rate. Pure. */
function cellRules(settings: CellAlarmSettings): AlarmRule[] {
  return [
    {
      id: 'relay-dlq-not-empty',
      title: 'Relay DLQ not empty',
      signal: 'relayDlqDepth',
      comparison: '>',
      threshold: settings.relayDlqDepth,
      periodSec: MINUTE,
      evaluationPeriods: 1,
      severity: 'critical',
      treatMissingData: 'notBreaching',
      description: 'Accepted events the relay could not publish to a stage topic: redrive them to the bus.',
    },
    {
      id: 'bus-dlq-not-empty',
      title: 'Bus DLQ not empty',
      signal: 'busDlqDepth',
      comparison: '>',
      threshold: settings.busDlqDepth,
      periodSec: MINUTE,
      evaluationPeriods: 1,
      severity: 'critical',
      treatMissingData: 'notBreaching',
      description: 'Events the bus could not deliver to a rule target (e.g. a KMS failure).',
    },
    {
      id: 'api-5xx-rate',
      title: `API 5xx rate over ${settings.apiErrorRatePct}%`,
      signal: 'apiErrorRatePct',
      comparison: '>',
      threshold: settings.apiErrorRatePct,
      periodSec: MINUTE,
      evaluationPeriods: 3,
      severity: 'critical',
      treatMissingData: 'notBreaching',
      description: `More than ${settings.apiErrorRatePct}% of API answers were 5xx for 3 minutes: producers are retrying.`,
    },
  ];
}

/**
 * A DLQ is only useful while it can be written: these rules fire on the first failed DLQ write (an
 * event lost for good) and on a failed stuck check. AWS only ({@link deriveAwsAlarmRules}). Pure.
 */
function deadLetterRules(): AlarmRule[] {
  const firstMinute = { comparison: '>', threshold: 0, periodSec: MINUTE, evaluationPeriods: 1 } as const;
  return [
    {
      id: 'rule-dlq-delivery-failures',
      title: 'Stage rules could not dead-letter events',
      signal: 'ruleDlqDeliveryFailures',
      ...firstMinute,
      severity: 'critical',
      treatMissingData: 'notBreaching',
      description:
        'EventBridge could not deliver events to a relay and could not write them to the relay DLQ either: they are lost. Check the DLQ policy and key.',
    },
    {
      id: 'function-dlq-delivery-failures',
      title: 'Lambda could not dead-letter failed runs',
      signal: 'functionDlqDeliveryFailures',
      ...firstMinute,
      severity: 'critical',
      treatMissingData: 'notBreaching',
      description:
        'A relay (or the stuck monitor) failed an asynchronous run and Lambda could not write it to its DLQ: relay events are lost. Check the role and the DLQ key.',
    },
    {
      id: 'stuck-monitor-dlq-not-empty',
      title: 'Stuck monitor DLQ not empty',
      signal: 'stuckMonitorDlqDepth',
      ...firstMinute,
      severity: 'warning',
      treatMissingData: 'notBreaching',
      description: 'Stuck-invoice checks failed or were not delivered: stuck invoices may go unreported.',
    },
  ];
}

/**
 * Every rule of a cell with this topology: per stage in lifecycle order its own rules, then its
 * subscribers' rules; then the cell rules. Pure.
 */
export function deriveAlarmRules(
  topology: CellTopology,
  settings: CellAlarmSettings = DEFAULT_CELL_ALARM_SETTINGS,
): AlarmRule[] {
  const stageRules = topology.stages.flatMap((stage) => [
    ...stageSignalRules(stage),
    ...stuckInvoiceRules(stage, settings),
    ...subscriberDlqRules(stage),
  ]);
  return [...stageRules, ...cellRules(settings)];
}

/**
 * The rules CloudWatch evaluates: every rule of {@link deriveAlarmRules}, then the dead-letter rules,
 * whose signals exist on AWS only (`ALARM_SIGNALS[...].local` says why). The local cell evaluates
 * {@link deriveAlarmRules}, for which it has a reading of every signal. Pure.
 *
 * @example
 * const rules = deriveAwsAlarmRules(topology); // CellAlarms renders one CloudWatch alarm per rule
 */
export function deriveAwsAlarmRules(
  topology: CellTopology,
  settings: CellAlarmSettings = DEFAULT_CELL_ALARM_SETTINGS,
): AlarmRule[] {
  return [...deriveAlarmRules(topology, settings), ...deadLetterRules()];
}

/** "Cell unhealthy": any critical rule in ALARM. Pure. */
export function deriveCellUnhealthy(rules: readonly AlarmRule[]): CompositeAlarmRule {
  return {
    id: CELL_UNHEALTHY_ID,
    title: 'Cell unhealthy',
    severity: 'critical',
    ruleIds: rules.filter((r) => r.severity === 'critical').map((r) => r.id),
    description: 'At least one critical alarm of the cell is in ALARM.',
  };
}

/** The rules of the default topology (`CELL_TOPOLOGY`). */
export const ALARM_RULES: readonly AlarmRule[] = deriveAlarmRules(CELL_TOPOLOGY);

/** The composite of the default rules. */
export const CELL_UNHEALTHY: CompositeAlarmRule = deriveCellUnhealthy(ALARM_RULES);
