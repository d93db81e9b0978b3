import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  type CellSettings,
  type CellTopology,
  type StageTopology,
  stageRulePattern,
} from '../cells/topology.js';
import { LAMBDA_ENV } from '../consumers/aws/lambda/lambda-env.js';
import { topologyEnvValue } from '../consumers/aws/lambda/topology-env.js';
import { CellFunction } from './cell-function.js';
import { cellKeyProps } from './defaults/key-defaults.js';
import { standardDlqProps } from './defaults/queue-defaults.js';
import { RETAINED } from './defaults/retained.js';

/** What routing needs from a stage consumer. */
export interface RoutedStage {
  readonly stage: StageTopology;
  /** The stage's SNS FIFO topic the relay publishes to. */
  readonly topic: sns.ITopic;
  /** The stage's topic key: the relay publishes under it. */
  readonly topicKey: kms.IKey;
}

export interface EventRoutingProps {
  /** The cell's topology: the settings of the bus, archive and rules, and what the relays' environment carries of it. */
  readonly topology: CellTopology;
  readonly stages: readonly RoutedStage[];
  readonly relayCode: () => lambda.Code;
  readonly logsKey: kms.IKey;
  /** Encrypts the bus DLQ and the relay DLQs; shares no failure with the bus or topic keys ({@link DeadLetterKey}). */
  readonly dlqKey: kms.IKey;
  readonly logRetention?: logs.RetentionDays;
  /** Lambda's own retries of a failed asynchronous relay invocation, 0..2. @default 2 */
  readonly relayAsyncRetryAttempts?: number;
}

/** The relay of one stage and where its failures go. */
export interface StageRoute {
  readonly stage: StageTopology;
  readonly rule: events.Rule;
  readonly relay: CellFunction;
  /** Standard queue (rule DLQs cannot be FIFO): events the rule could not deliver to the relay, and
   * events the relay failed on after Lambda's async retries. Both hold the original bus event. */
  readonly relayDlq: sqs.Queue;
}

const LIMITS = {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
  relayRetryAttempts: { min: 0, max: 185 },
  relayMaxEventAgeSec: { min: 60, max: 86_400 },
} as const;

/** Lambda keeps failed async events at most 6 h (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configure.html). */
const LAMBDA_MAX_EVENT_AGE = Duration.hours(6);

function validate(props: EventRoutingProps): void {
  const { stages } = props;
  const { settings } = props.topology;
  if (stages.length === 0) throw new Error('event routing needs at least one stage, got 0');
  for (const [key, range] of Object.entries(LIMITS) as [
    keyof typeof LIMITS,
    { min: number; max: number },
  ][]) {
    const value = settings[key];
    if (!Number.isInteger(value) || value < range.min || value > range.max) {
      throw new Error(`event routing ${key} must be an integer in ${range.min}..${range.max}, got ${value}`);
    }
  }
  if (!Number.isInteger(settings.archiveRetentionDays) || settings.archiveRetentionDays <= 0) {
    throw new Error(
      `event routing archiveRetentionDays must be a positive integer, got ${settings.archiveRetentionDays}`,
    );
  }
  const retries = props.relayAsyncRetryAttempts ?? 2;
  if (!Number.isInteger(retries) || retries < 0 || retries > 2) {
    throw new Error(`event routing relayAsyncRetryAttempts must be 0..2, got ${retries}`);
  }
}

/** The rule pattern of one stage ({@link stageRulePattern}, the local bus's too) in CDK's spelling. Pure. */
export function stageEventPattern(settings: CellSettings, stage: StageTopology): events.EventPattern {
  const pattern = stageRulePattern(settings, stage);
  return { source: [...pattern.source], detailType: [...pattern['detail-type']] };
}

/**
 * The cell's event bus (customer-managed key), its archive, and per stage a rule → relay Lambda →
 * SNS FIFO topic. The relay exists because classic EventBridge rules cannot target SNS FIFO topics
 * and an SQS FIFO target takes one fixed message group (DESIGN §2a). Nothing is dropped: the rule
 * retries, then dead-letters; Lambda retries the relay, then dead-letters to the same queue.
 *
 * @example
 * const routing = new EventRouting(this, 'Routing', { topology, stages: consumers, relayCode, logsKey });
 * routing.bus.grantPutEventsTo(apiRole);
 */
export class EventRouting extends Construct {
  readonly busKey: kms.Key;
  /** The archive's own key: the archive key policy names the bus, and the bus depends on the bus
   * key, so one key for both would be a dependency cycle. */
  readonly archiveKey: kms.Key;
  readonly bus: events.EventBus;
  /** Events the bus itself could not encrypt or decrypt (KMS failures). */
  readonly busDlq: sqs.Queue;
  readonly archive: events.Archive;
  readonly routes: readonly StageRoute[];

  constructor(scope: Construct, id: string, props: EventRoutingProps) {
    super(scope, id);
    validate(props);
    this.busKey = new kms.Key(this, 'BusKey', cellKeyProps('Event bus of an invoice cell'));
    this.archiveKey = new kms.Key(this, 'ArchiveKey', cellKeyProps('Event archive of an invoice cell'));
    // Not under the bus key: this queue catches the events that failed because of it.
    this.busDlq = new sqs.Queue(this, 'BusDlq', standardDlqProps(props.dlqKey));
    Validations.of(this.busDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter queue: the event bus DLQ for encryption failures.',
    });
    this.bus = this.addBus();
    this.archive = this.addArchive(props.topology.settings);

    this.routes = props.stages.map((routed) => this.addRoute(routed, props));
  }

  /** The bus under the bus key, dead-lettering to the bus DLQ. */
  private addBus(): events.EventBus {
    const bus = new events.EventBus(this, 'Bus', {
      description: 'Invoice events accepted by the cell API',
      kmsKey: this.busKey,
      // AWS recommends a bus DLQ whenever the bus uses a customer-managed key
      // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-event-bus-cmkey.html).
      deadLetterQueue: this.busDlq,
    });
    bus.applyRemovalPolicy(RETAINED);
    // The bus `deadLetterQueue` prop adds no queue policy; without one EventBridge cannot deliver.
    this.busDlq.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowTheCellBusToDeadLetter',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.busDlq.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': bus.eventBusArn } },
      }),
    );
    return bus;
  }

  /** The archive of every event from the API's source, under its own key. */
  private addArchive(settings: CellSettings): events.Archive {
    // Not `bus.archive()`: in aws-cdk-lib 2.276 it drops `kmsKey`, leaving the archive on an AWS-owned key.
    const archive = new events.Archive(this, 'Archive', {
      sourceEventBus: this.bus,
      description: 'Every accepted invoice event; auditors replay from here',
      eventPattern: { source: [settings.eventSource] },
      retention: Duration.days(settings.archiveRetentionDays),
      kmsKey: this.archiveKey,
    });
    archive.applyRemovalPolicy(RETAINED);
    return archive;
  }

  /** One stage's relay DLQ, relay Lambda (publish to its topic only) and rule. */
  private addRoute({ stage, topic, topicKey: key }: RoutedStage, props: EventRoutingProps): StageRoute {
    const { settings } = props.topology;
    // Not under the topic key: a relay that cannot publish because of it still dead-letters.
    const relayDlq = new sqs.Queue(this, `${stage.title}RelayDlq`, standardDlqProps(props.dlqKey));
    Validations.of(relayDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself a dead-letter queue: of the ${stage.name} rule target and of the relay's async invocations.`,
    });

    const relay = new CellFunction(this, stage.ids.relay, {
      code: props.relayCode(),
      description: `Invoice cell: ${stage.detailType} bus events -> ${stage.name} FIFO topic`,
      timeout: Duration.seconds(30),
      memorySize: 256,
      logsKey: props.logsKey,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      environment: {
        [LAMBDA_ENV.stage]: stage.name,
        [LAMBDA_ENV.topicArn]: topic.topicArn,
        // The relay refuses events whose source is not this cell's `eventSource`.
        [LAMBDA_ENV.topology]: topologyEnvValue(props.topology),
      },
      deadLetterQueue: relayDlq,
      retryAttempts: props.relayAsyncRetryAttempts ?? 2,
      maxEventAge: LAMBDA_MAX_EVENT_AGE,
    });
    // Publish to this stage's topic only; SNS SSE needs the publisher to generate data keys, and so
    // does SQS SSE for Lambda's own writes to the relay DLQ (CDK grants only sqs:SendMessage).
    relay.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }),
    );
    relay.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [key.keyArn, props.dlqKey.keyArn],
      }),
    );

    const rule = new events.Rule(this, stage.ids.rule, {
      description: `${stage.detailType} -> ${stage.name} relay`,
      eventBus: this.bus,
      eventPattern: stageEventPattern(settings, stage),
    });
    rule.addTarget(
      new targets.LambdaFunction(relay.fn, {
        retryAttempts: settings.relayRetryAttempts,
        maxEventAge: Duration.seconds(settings.relayMaxEventAgeSec),
        deadLetterQueue: relayDlq,
      }),
    );
    return { stage, rule, relay, relayDlq };
  }
}
