import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { awsCall } from './aws-error.js';
import { queueNameFromUrl } from './cell-resources.js';

/** A queue's approximate message counts (SQS `GetQueueAttributes`). */
export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
}

/**
 * Reads a queue's approximate depth: visible and in-flight (not visible) messages.
 *
 * @example
 * const { visible, inFlight } = await queueDepth(sqs, r.dlqUrl);
 */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const out = await awsCall(`GetQueueAttributes ${queueNameFromUrl(queueUrl)}`, () =>
    sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    ),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}
