import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { RETAINED } from './retained.js';

/** SQS keeps messages at most 14 days; every queue of a cell keeps them that long. */
const MAX_RETENTION = Duration.days(14);

/**
 * High-throughput FIFO queue props: deduplication and throughput are per message group
 * (= per invoice), not per queue
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/high-throughput-fifo.html).
 * KMS-encrypted, TLS only, retained. Pure.
 *
 * @example
 * const dlq = new sqs.Queue(this, 'Dlq', fifoQueueProps(queueKey, Duration.seconds(180)));
 */
export function fifoQueueProps(key: kms.IKey, visibilityTimeout: Duration): sqs.QueueProps {
  return {
    fifo: true,
    contentBasedDeduplication: false,
    deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
    fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
    enforceSSL: true,
    retentionPeriod: MAX_RETENTION,
    visibilityTimeout,
    removalPolicy: RETAINED,
  };
}

/**
 * Standard (not FIFO) dead-letter queue props: EventBridge rule, bus and Scheduler DLQs must be
 * standard queues. KMS-encrypted, TLS only, retained. Pure.
 *
 * @example
 * const relayDlq = new sqs.Queue(this, 'IngestionRelayDlq', standardDlqProps(topicKey));
 */
export function standardDlqProps(key: kms.IKey): sqs.QueueProps {
  return {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
    enforceSSL: true,
    retentionPeriod: MAX_RETENTION,
    removalPolicy: RETAINED,
  };
}
