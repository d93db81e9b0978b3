import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type CellTopology, type StageTopology, validateStageTimeouts } from '../cells/topology.js';
import { LAMBDA_ENV } from '../consumers/aws/lambda/lambda-env.js';
import { topologyEnvValue } from '../consumers/aws/lambda/topology-env.js';
import { CellFunction } from './cell-function.js';
import { cellKeyProps } from './defaults/key-defaults.js';
import { fifoQueueProps } from './defaults/queue-defaults.js';
import { RETAINED } from './defaults/retained.js';
import { fifoTopicProps } from './defaults/topic-defaults.js';
import type { ProcessorStoreTarget } from './processor-store.js';
import { StageSubscriber } from './stage-subscriber.js';

export interface StageConsumerProps {
  readonly stage: StageTopology;
  /** The cell's topology: its settings, and what the processor's environment carries of it. */
  readonly topology: CellTopology;
  /** Written into every record's dimensions (`LAMBDA_ENV.cellName`). */
  readonly cellName: string;
  /** The cell's store (Timestream or Aurora); the processor may write to it and nothing else. */
  readonly store: ProcessorStoreTarget;
  readonly processorCode: lambda.Code;
  readonly logsKey: kms.IKey;
  readonly logRetention?: logs.RetentionDays;
}

/** Limits AWS puts on the values the topology chooses. */
const LIMITS = {
  // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html (FIFO: at most 10)
  batchSize: { min: 1, max: 10 },
  // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html (maximum concurrency 2..1000)
  maxConcurrency: { min: 2, max: 1000 },
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
  maxReceiveCount: { min: 1, max: 1000 },
  // https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
  processorTimeoutSec: { min: 1, max: 900 },
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
  visibilityTimeoutSec: { min: 0, max: 43_200 },
} as const;

function validate(props: StageConsumerProps): void {
  const { stage } = props;
  for (const [key, range] of Object.entries(LIMITS) as [
    keyof typeof LIMITS,
    { min: number; max: number },
  ][]) {
    const value = stage[key];
    if (!Number.isInteger(value) || value < range.min || value > range.max) {
      throw new Error(
        `stage consumer ${stage.name}: ${key} must be an integer in ${range.min}..${range.max}, got ${value}`,
      );
    }
  }
  // A message must stay invisible while a processor (or Lambda's retry of a throttled batch) may
  // still be working on it: the topology's rule, checked again for a hand-built stage.
  validateStageTimeouts(stage);
  if (props.cellName.trim() === '')
    throw new Error(`stage consumer ${stage.name}: cellName must not be empty, got ""`);
}

/**
 * One stage's consumer: SNS FIFO topic → SQS FIFO queue (raw delivery) → processor Lambda, with a
 * FIFO DLQ after `maxReceiveCount` receives. Two keys per stage: the topic key (publishers: the
 * relay) and the queue key (SNS and the processor), so a processor can decrypt its own queue and
 * nothing else. One key for both would also be a dependency cycle: the queue key's policy names
 * the topic (SNS may use it only for this topic) and the topic names its key.
 *
 * @example
 * for (const stage of topology.stages) {
 *   new StageConsumer(this, stage.ids.consumer, { stage, topology, cellName, store, processorCode, logsKey });
 * }
 */
export class StageConsumer extends Construct {
  readonly stage: StageTopology;
  /** Encrypts the topic (and, in EventRouting, the stage's relay DLQ). */
  readonly topicKey: kms.Key;
  /** Encrypts the queue and its DLQ. */
  readonly queueKey: kms.Key;
  readonly topic: sns.Topic;
  readonly queue: sqs.Queue;
  readonly dlq: sqs.Queue;
  readonly processor: CellFunction;
  /** The stage's declared extra subscribers (none by default). */
  readonly subscribers: readonly StageSubscriber[];

  constructor(scope: Construct, id: string, props: StageConsumerProps) {
    super(scope, id);
    validate(props);
    const { stage } = props;
    this.stage = stage;

    this.topicKey = new kms.Key(
      this,
      'TopicKey',
      cellKeyProps(`${stage.name} stage topic of an invoice cell`),
    );
    this.queueKey = new kms.Key(
      this,
      'QueueKey',
      cellKeyProps(`${stage.name} stage queues of an invoice cell`),
    );

    this.topic = new sns.Topic(this, stage.ids.topic, fifoTopicProps(this.topicKey));
    this.topic.applyRemovalPolicy(RETAINED);

    const visibilityTimeout = Duration.seconds(stage.visibilityTimeoutSec);
    // A FIFO queue's DLQ must be FIFO too; it keeps per-invoice order for a later redrive.
    this.dlq = new sqs.Queue(this, stage.ids.dlq, fifoQueueProps(this.queueKey, visibilityTimeout));
    this.queue = new sqs.Queue(this, stage.ids.queue, {
      ...fifoQueueProps(this.queueKey, visibilityTimeout),
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: stage.maxReceiveCount },
    });

    this.topic.addSubscription(
      new subscriptions.SqsSubscription(this.queue, {
        // The processor reads the relay's message body, not an SNS envelope.
        rawMessageDelivery: true,
        // SNS gives up on a queue it cannot reach after its retries; keep such messages too.
        deadLetterQueue: this.dlq,
      }),
    );

    this.subscribers = stage.subscribers.map(
      (subscriber) =>
        new StageSubscriber(this, subscriber.ids.construct, {
          stage,
          subscriber,
          topic: this.topic,
          queueKey: this.queueKey,
        }),
    );

    this.processor = this.addProcessor(props);
  }

  /** The processor Lambda, fed by the stage queue, allowed to write the cell store only. */
  private addProcessor(props: StageConsumerProps): CellFunction {
    const { stage } = props;
    const processor = new CellFunction(this, stage.ids.processor, {
      code: props.processorCode,
      description: `Invoice cell ${props.cellName}: ${stage.name} queue -> time-series store`,
      timeout: Duration.seconds(stage.processorTimeoutSec),
      logsKey: props.logsKey,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      // E.g. Timestream endpoint discovery (granted by `store.grantWrite`); none for Aurora.
      unscopedActions: props.store.unscopedActions,
      environment: {
        [LAMBDA_ENV.stage]: stage.name,
        [LAMBDA_ENV.cellName]: props.cellName,
        ...props.store.processorEnvironment,
        [LAMBDA_ENV.retryBudgetMs]: String(props.topology.settings.storeRetryBudgetMs),
        [LAMBDA_ENV.topology]: topologyEnvValue(props.topology),
      },
    });
    // Grants the processor consume rights on its own queue and kms:Decrypt on its queue key only.
    processor.fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: stage.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: stage.maxConcurrency,
      }),
    );
    props.store.grantWrite(processor.role);
    return processor;
  }
}
