import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  type AlarmRule,
  type AlarmSeverity,
  type CellAlarmSettings,
  type CompositeAlarmRule,
  DEFAULT_CELL_ALARM_SETTINGS,
  deriveAwsAlarmRules,
  deriveCellUnhealthy,
} from '../cells/alarm-rules.js';
import type { CellTopology } from '../cells/topology.js';
import { renderAlarmMetric } from '../dashboards/renderers/cloudwatch-metric.js';
import { type CellMetricResources, toCloudWatchSignal } from './cloudwatch-signals.js';
import { alarmPropsOf } from './defaults/alarm-defaults.js';
import { cellKeyProps } from './defaults/key-defaults.js';
import { RETAINED } from './defaults/retained.js';

export interface CellAlarmsProps {
  readonly topology: CellTopology;
  /** The queues, DLQs and API the rules' metrics are about. */
  readonly resources: CellMetricResources;
  /** @default DEFAULT_CELL_ALARM_SETTINGS */
  readonly alarmSettings?: CellAlarmSettings;
  /**
   * Every alarm name is `<prefix><rule id>`. @default `<stack name>-`, so the ops CLI lists a cell's
   * alarms with `DescribeAlarms --alarm-name-prefix InvoiceCell-<cell>-`.
   */
  readonly alarmNamePrefix?: string;
}

/** CloudWatch allows alarm names of up to 255 characters. */
const MAX_ALARM_NAME = 255;

/** The service alarms notify as. */
const CLOUDWATCH_SERVICE = 'cloudwatch.amazonaws.com';

/** `posting-dlq-not-empty` → `PostingDlqNotEmpty`: the construct id of a rule's alarm. Pure. */
export function alarmConstructId(ruleId: string): string {
  return ruleId
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * The cell's CloudWatch alarms: one per rule of `deriveAwsAlarmRules(topology)` (metric or metric math
 * from `renderAlarmMetric`, completed with the cell's queues and API), and the composite "cell
 * unhealthy" (any critical alarm in ALARM). A subscriber declared on a stage gets its DLQ alarm
 * (`<stage>-<id>-subscriber-dlq-not-empty`, critical like the stage DLQ's) on the DLQ's
 * `ApproximateNumberOfMessagesVisible`, so `resources` must carry each stage's `subscriberDlqs`. Alarms notify the SNS topic of their severity on ALARM
 * and on OK. Not on INSUFFICIENT_DATA: the stuck-invoice alarms read one datapoint per 5-minute
 * period from a scheduled monitor, and a run landing a few seconds late would page people about a
 * gap that heals itself; a monitor that stopped shows as INSUFFICIENT_DATA on the dashboard and in
 * `invoice-ops alarms`.
 *
 * Alarm names are set (`<stack name>-<rule id>`), the one exception to "no physical names" in the
 * cell: an alarm holds no data (a rename only restarts its history), and deterministic names let
 * operators and the ops CLI find a cell's alarms by prefix and map each back to its rule — the same
 * ids the local cell's evaluator reports — and let the topic and key policies admit this cell's
 * alarms only (`aws:SourceArn` = `arn:...:alarm:<prefix>*`).
 *
 * The alert topics are encrypted with a customer-managed key. CloudWatch cannot publish to a topic
 * under the AWS-managed `alias/aws/sns` key, and needs `kms:Decrypt` + `kms:GenerateDataKey*` on a
 * customer-managed one, plus `sns:Publish` in the topic policy
 * (https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns,
 * https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger,
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services);
 * both grants are limited with `aws:SourceAccount` and `aws:SourceArn` against the confused deputy.
 *
 * @example
 * const alarms = new CellAlarms(this, 'Alarms', { topology, resources });
 * new CfnOutput(this, 'CriticalAlertTopicArn', { value: alarms.criticalTopic.topicArn });
 */
export class CellAlarms extends Construct {
  /** Encrypts both alert topics. */
  readonly key: kms.Key;
  readonly criticalTopic: sns.Topic;
  readonly warningTopic: sns.Topic;
  readonly rules: readonly AlarmRule[];
  /** Alarm of each rule, by rule id. */
  readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;
  readonly cellUnhealthyRule: CompositeAlarmRule;
  readonly cellUnhealthy: cloudwatch.CompositeAlarm;
  readonly alarmNamePrefix: string;

  constructor(scope: Construct, id: string, props: CellAlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefix = props.alarmNamePrefix ?? `${stack.stackName}-`;
    if (Token.isUnresolved(prefix) || !/^[A-Za-z0-9._-]{1,128}$/.test(prefix)) {
      throw new Error(
        `cell alarms: alarmNamePrefix must be 1-128 letters, digits, '.', '_' or '-', got ${JSON.stringify(prefix)}`,
      );
    }
    this.alarmNamePrefix = prefix;
    this.rules = deriveAwsAlarmRules(props.topology, props.alarmSettings ?? DEFAULT_CELL_ALARM_SETTINGS);
    this.cellUnhealthyRule = deriveCellUnhealthy(this.rules);

    const sourceConditions = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: `${prefix}*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    this.key = new kms.Key(this, 'Key', cellKeyProps('Alert topics of an invoice cell'));
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisCellsAlarmsToPublishToEncryptedTopics',
        principals: [new iam.ServicePrincipal(CLOUDWATCH_SERVICE)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: sourceConditions,
      }),
    );
    this.criticalTopic = this.addTopic('CriticalTopic', 'critical', sourceConditions);
    this.warningTopic = this.addTopic('WarningTopic', 'warning', sourceConditions);
    this.alarms = this.addAlarms(props);
    this.cellUnhealthy = this.addCellUnhealthy();
  }

  /** An alert topic under the cell's alert key that only this cell's alarms may publish to. */
  private addTopic(
    topicId: string,
    severity: AlarmSeverity,
    sourceConditions: Record<string, unknown>,
  ): sns.Topic {
    const topic = new sns.Topic(this, topicId, {
      displayName: `Invoice cell ${severity} alerts`,
      masterKey: this.key,
      enforceSSL: true,
    });
    // Subscriptions (emails, chat, pagers) are confirmed by people and live with the topic.
    topic.applyRemovalPolicy(RETAINED);
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisCellsAlarmsToPublish',
        principals: [new iam.ServicePrincipal(CLOUDWATCH_SERVICE)],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: sourceConditions,
      }),
    );
    return topic;
  }

  /** The topic alarms of `severity` notify. */
  private topicOf(severity: AlarmSeverity): sns.ITopic {
    return severity === 'critical' ? this.criticalTopic : this.warningTopic;
  }

  /** One alarm per rule, notifying its severity's topic on ALARM and OK. */
  private addAlarms(props: CellAlarmsProps): ReadonlyMap<string, cloudwatch.Alarm> {
    const alarms = new Map<string, cloudwatch.Alarm>();
    for (const rule of this.rules) {
      const name = `${this.alarmNamePrefix}${rule.id}`;
      if (name.length > MAX_ALARM_NAME)
        throw new Error(`cell alarms: alarm name ${name} is over 255 characters`);
      const alarm = new cloudwatch.Alarm(this, alarmConstructId(rule.id), {
        ...alarmPropsOf(rule, name),
        metric: toCloudWatchSignal(renderAlarmMetric(rule, props.topology), props.resources),
      });
      const action = new actions.SnsAction(this.topicOf(rule.severity));
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      alarms.set(rule.id, alarm);
    }
    return alarms;
  }

  /** The composite "cell unhealthy": any critical alarm in ALARM. */
  private addCellUnhealthy(): cloudwatch.CompositeAlarm {
    const rule = this.cellUnhealthyRule;
    const members = rule.ruleIds.map((ruleId) => {
      const alarm = this.alarms.get(ruleId);
      if (!alarm) throw new Error(`cell alarms: composite names rule ${ruleId}, which has no alarm`);
      return cloudwatch.AlarmRule.fromAlarm(alarm, cloudwatch.AlarmState.ALARM);
    });
    if (members.length === 0)
      throw new Error('cell alarms: no critical rule for the cell-unhealthy composite');
    const composite = new cloudwatch.CompositeAlarm(this, alarmConstructId(rule.id), {
      compositeAlarmName: `${this.alarmNamePrefix}${rule.id}`,
      alarmDescription: `${rule.title}. ${rule.description}`,
      alarmRule: cloudwatch.AlarmRule.anyOf(...members),
    });
    const critical = new actions.SnsAction(this.topicOf(rule.severity));
    composite.addAlarmAction(critical);
    composite.addOkAction(critical);
    return composite;
  }

  /** Every alarm of the cell, metric alarms in rule order, then the composite. */
  get allAlarms(): cloudwatch.IAlarm[] {
    return [...this.alarms.values(), this.cellUnhealthy];
  }
}
