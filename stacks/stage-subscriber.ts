import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageSubscriberTopology, StageTopology } from '../cells/topology.js';
import { fifoQueueProps } from './defaults/queue-defaults.js';

export interface StageSubscriberProps {
  readonly stage: StageTopology;
  readonly subscriber: StageSubscriberTopology;
  readonly topic: sns.ITopic;
  /** The stage's queue key: SNS may already use it for deliveries from this topic only. */
  readonly queueKey: kms.IKey;
}

/**
 * Turns a JSON filter policy into CDK's `FilterOrPolicy` tree without reinterpreting it: objects
 * become nested policies, arrays (value lists, `$or` branches) are passed through as conditions.
 * The policy was validated against SNS's rules when the topology was built. Pure.
 */
export function toFilterOrPolicy(
  policy: Readonly<Record<string, unknown>>,
): Record<string, sns.FilterOrPolicy> {
  const out: Record<string, sns.FilterOrPolicy> = {};
  for (const [key, value] of Object.entries(policy)) {
    out[key] = Array.isArray(value)
      ? sns.FilterOrPolicy.filter(new sns.SubscriptionFilter(value))
      : sns.FilterOrPolicy.policy(toFilterOrPolicy(value as Record<string, unknown>));
  }
  return out;
}

/**
 * One declared subscriber of a stage topic: a KMS FIFO queue (+ FIFO DLQ after the stage's
 * `maxReceiveCount`) subscribed with raw delivery and the subscriber's filter policy in
 * `MessageBody` scope, so a downstream team receives only the stage messages it asked for, in
 * per-invoice order. Nothing in the cell consumes it.
 *
 * @example
 * for (const subscriber of stage.subscribers) {
 *   new StageSubscriber(this, subscriber.ids.construct, { stage, subscriber, topic, queueKey });
 * }
 */
export class StageSubscriber extends Construct {
  readonly subscriber: StageSubscriberTopology;
  readonly queue: sqs.Queue;
  readonly dlq: sqs.Queue;

  constructor(scope: Construct, id: string, props: StageSubscriberProps) {
    super(scope, id);
    const { stage, subscriber } = props;
    this.subscriber = subscriber;
    const visibilityTimeout = Duration.seconds(stage.visibilityTimeoutSec);
    // FIFO topics deliver only to FIFO queues; the DLQ of a FIFO queue must be FIFO too.
    this.dlq = new sqs.Queue(this, 'Dlq', fifoQueueProps(props.queueKey, visibilityTimeout));
    this.queue = new sqs.Queue(this, 'Queue', {
      ...fifoQueueProps(props.queueKey, visibilityTimeout),
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: stage.maxReceiveCount },
    });
    props.topic.addSubscription(
      new subscriptions.SqsSubscription(this.queue, {
        rawMessageDelivery: true,
        deadLetterQueue: this.dlq,
        filterPolicyWithMessageBody: toFilterOrPolicy(subscriber.filterPolicy),
      }),
    );
  }
}
