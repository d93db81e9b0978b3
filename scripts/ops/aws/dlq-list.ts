import type { StageTopology } from '../../../cells/topology.js';
import type { DlqListing, DlqListRequest } from '../backend.js';
import type { AwsCell } from './aws-cell.js';
import { peekDlq } from './dlq-peek.js';
import { dlqQueues } from './dlq-queues.js';
import { queueDepth } from './queue-depth.js';

/**
 * `dlq list` on a deployed cell: the DLQ's approximate depth (`GetQueueAttributes`) and a peek of
 * its messages (held ≤ 30 s, then released); with `invoiceId`, only that message group's; with
 * `subscriber`, the DLQ of that subscriber of the stage (`dlq-queues.ts`).
 *
 * @example
 * const listing = await listDlq(aws, stage, { limit: 100 });
 */
export async function listDlq(
  aws: AwsCell,
  stage: StageTopology,
  request: DlqListRequest,
): Promise<DlqListing> {
  const r = await dlqQueues(aws, stage, request.subscriber);
  const depth = await queueDepth(aws.clients.sqs, r.dlqUrl);
  const total = depth.visible + depth.inFlight;
  const peeked =
    total === 0
      ? []
      : await peekDlq(aws.clients.sqs, r.dlqUrl, {
          limit: request.limit,
          ...(request.invoiceId ? { groupId: request.invoiceId } : {}),
        });
  const notes = ['SQS counts are approximate; messages were peeked (held ≤ 30 s, then released)'];
  if (depth.inFlight > 0) notes.push(`${depth.inFlight} message(s) were in flight and could not be listed`);
  return {
    stage: stage.name,
    ...(request.subscriber !== undefined ? { subscriber: request.subscriber } : {}),
    total: request.invoiceId ? peeked.length : total,
    messages: peeked.map((p) => p.listed),
    notes,
  };
}
