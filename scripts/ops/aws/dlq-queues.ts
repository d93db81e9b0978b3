import { subscriberTitle } from '../../../cells/subscribers.js';
import type { StageTopology } from '../../../cells/topology.js';
import { subscriberOutputIds } from '../../../stacks/cell-outputs.js';
import { NotFoundError } from '../backend.js';
import { type AwsCell, stageResources } from './aws-cell.js';
import { queueArnFromUrl } from './cell-resources.js';

/**
 * The queue pair a DLQ verb works on in a deployed cell: the stage's queue and DLQ, or, with a
 * subscriber id, the subscriber's filtered FIFO queue and its DLQ. A subscriber's queues are found
 * by its CloudFormation outputs (`<Stage><Subscriber>QueueUrl`, `...QueueArn`, `...DlqUrl`,
 * `stacks/cell-outputs.ts`), derived from the id alone, so the CLI's own topology need not declare
 * the subscribers the cell was deployed with.
 *
 * @example
 * const q = await dlqQueues(aws, stage, 'billify');
 * await queueDepth(aws.clients.sqs, q.dlqUrl);
 */
export interface DlqQueues {
  /** Where a redrive sends the messages back to. */
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

/**
 * The output ids of a subscriber's queues and the queues they name in `outputs`; `undefined` for a
 * subscriber the stack has no outputs for. Pure.
 */
export function subscriberQueuesOf(
  stage: Pick<StageTopology, 'title'>,
  subscriber: string,
  outputs: Readonly<Record<string, string>>,
  partition = 'aws',
): DlqQueues | undefined {
  const ids = subscriberOutputIds(stage, { title: subscriberTitle(subscriber) });
  const queueUrl = outputs[ids.queueUrl];
  const dlqUrl = outputs[ids.dlqUrl];
  if (!queueUrl || !dlqUrl) return undefined;
  const queueArn = outputs[ids.queueArn] || queueArnFromUrl(queueUrl, partition);
  const dlqArn = queueArnFromUrl(dlqUrl, partition);
  if (!queueArn || !dlqArn) return undefined;
  return { queueUrl, queueArn, dlqUrl, dlqArn };
}

/** The stage's queues, or the subscriber's; {@link NotFoundError} naming the missing outputs. */
export async function dlqQueues(
  aws: AwsCell,
  stage: StageTopology,
  subscriber: string | undefined,
): Promise<DlqQueues> {
  if (subscriber === undefined) return stageResources(aws, stage);
  const resources = await aws.resources();
  const found = subscriberQueuesOf(stage, subscriber, resources.outputs, resources.partition);
  if (!found) {
    const ids = subscriberOutputIds(stage, { title: subscriberTitle(subscriber) });
    throw new NotFoundError(
      `no subscriber ${subscriber} on stage ${stage.name} in ${resources.stackName}: the stack has no outputs ${ids.queueUrl} and ${ids.dlqUrl} (declare the subscriber in the topology and redeploy, or check the id)`,
    );
  }
  return found;
}
