import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';

/**
 * FIFO topic props: the relay sets `MessageDeduplicationId = eventId` (no content-based dedup) and
 * throughput/dedup are scoped per message group, which lifts the 300 msg/s topic quota
 * (https://docs.aws.amazon.com/sns/latest/dg/fifo-high-throughput.html). Pure.
 *
 * @example
 * const topic = new sns.Topic(this, stage.ids.topic, fifoTopicProps(topicKey));
 */
export function fifoTopicProps(key: kms.IKey): sns.TopicProps {
  return {
    fifo: true,
    contentBasedDeduplication: false,
    fifoThroughputScope: sns.FifoThroughputScope.MESSAGE_GROUP,
    masterKey: key,
    enforceSSL: true,
  };
}
