import { DeleteMessageCommand, type Message, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { StageTopology } from '../../../cells/topology.js';
import {
  InterruptedError,
  REDRIVE_STATES,
  type RedriveProgress,
  type RedriveRequest,
  type Watch,
} from '../backend.js';
import type { AwsCell } from './aws-cell.js';
import { awsCall } from './aws-error.js';
import { queueNameFromUrl } from './cell-resources.js';
import { dlqMessageOf } from './dlq-message.js';
import { MAX_SCAN, peekDlq, receiveFresh, releaseMessages } from './dlq-peek.js';
import { type DlqQueues, dlqQueues } from './dlq-queues.js';

const DEFAULT_INVOICE_REDRIVE_RATE = 50;
/** How long the scan hides received messages: long enough to resend and delete the invoice's ones. */
const SCAN_VISIBILITY_SEC = 120;
const NOTE =
  'by-invoice redrive: ReceiveMessage + SendMessage + DeleteMessage (a move task would move every invoice)';

/** What a by-invoice redrive has done so far. */
interface Tally {
  moved: number;
  skipped: number;
  lastSendMs: number;
}

/**
 * By-invoice redrive. A move task moves a whole DLQ, so this receives DLQ messages, resends the
 * invoice's ones to the stage queue (same MessageGroupId; MessageDeduplicationId = the original
 * one, else the eventId), deletes them from the DLQ, and releases every other group's message
 * (visibility 0) at the end. FIFO order within the group is kept: SQS hands out a group's next
 * message only after the previous one is deleted.
 *
 * A message sent to the queue less than the dedup window ago is skipped (left in the DLQ): with the
 * original dedup id SQS would accept the resend as a duplicate and drop it.
 *
 * @example
 * const done = await redriveInvoice(aws, stage, 'INV-1', { dryRun: false }, watch);
 */
export async function redriveInvoice(
  aws: AwsCell,
  stage: StageTopology,
  invoiceId: string,
  request: RedriveRequest,
  watch: Watch<RedriveProgress>,
): Promise<RedriveProgress> {
  const r = await dlqQueues(aws, stage, request.subscriber);
  if (request.dryRun) {
    const peeked = await peekDlq(aws.clients.sqs, r.dlqUrl, { limit: MAX_SCAN, groupId: invoiceId });
    const progress: RedriveProgress = {
      stage: stage.name,
      state: REDRIVE_STATES.dryRun,
      invoiceId,
      total: peeked.length,
      moved: 0,
      notes: [NOTE, 'counted by peeking the DLQ (held ≤ 30 s, then released)'],
    };
    watch.onProgress(progress);
    return progress;
  }
  const rate = request.ratePerSec ?? DEFAULT_INVOICE_REDRIVE_RATE;
  const tally: Tally = { moved: 0, skipped: 0, lastSendMs: 0 };
  const report = (state: RedriveProgress['state']) => invoiceProgress(aws, stage, invoiceId, tally, state);
  const held: Message[] = [];
  try {
    await moveGroup(aws, r, { invoiceId, rate, tally, held }, watch.signal, () =>
      watch.onProgress(report(REDRIVE_STATES.running)),
    );
  } finally {
    await releaseMessages(aws.clients.sqs, r.dlqUrl, held);
  }
  if (watch.signal.aborted) {
    throw new InterruptedError(
      `stopped the ${stage.name} redrive of ${invoiceId} after ${tally.moved} message(s)`,
    );
  }
  const done = report(REDRIVE_STATES.completed);
  watch.onProgress(done);
  return { ...done, total: tally.moved + tally.skipped };
}

/** The progress of a by-invoice redrive, with a note on skipped messages. Pure. */
function invoiceProgress(
  aws: AwsCell,
  stage: StageTopology,
  invoiceId: string,
  tally: Tally,
  state: RedriveProgress['state'],
): RedriveProgress {
  const { moved, skipped } = tally;
  return {
    stage: stage.name,
    state,
    invoiceId,
    moved,
    ...(skipped > 0 ? { skipped } : {}),
    notes:
      skipped > 0
        ? [
            NOTE,
            `${skipped} message(s) were sent less than ${aws.topology.settings.dedupWindowSec}s ago and stay in the DLQ: a resend with the original dedup id would be dropped; retry later`,
          ]
        : [NOTE],
  };
}

/**
 * Receives the DLQ until it comes back empty (or the signal aborts), moving the group's messages
 * at `rate` per second; every message left in the DLQ goes to `held`, to be released.
 */
async function moveGroup(
  aws: AwsCell,
  r: DlqQueues,
  run: { invoiceId: string; rate: number; tally: Tally; held: Message[] },
  signal: AbortSignal,
  onMoved: () => void,
): Promise<void> {
  const { invoiceId, tally, held } = run;
  const dedupWindowMs = aws.topology.settings.dedupWindowSec * 1000;
  const seen = new Set<string>();
  while (!signal.aborted && held.length < MAX_SCAN) {
    const fresh = await receiveFresh(aws.clients.sqs, r.dlqUrl, SCAN_VISIBILITY_SEC, seen);
    if (fresh.length === 0) break;
    for (const m of fresh) {
      const listed = dlqMessageOf(m);
      const sentMs = Date.parse(listed.sentAt);
      if (listed.invoiceId !== invoiceId) {
        held.push(m);
        continue;
      }
      if (Number.isFinite(sentMs) && aws.now() - sentMs < dedupWindowMs) {
        tally.skipped++;
        held.push(m);
        continue;
      }
      const waitMs = tally.lastSendMs + 1000 / run.rate - aws.now();
      if (waitMs > 0) await aws.sleep(waitMs);
      tally.lastSendMs = aws.now();
      await resend(aws, r, invoiceId, m, m.Attributes?.MessageDeduplicationId ?? listed.eventId);
      tally.moved++;
      onMoved();
    }
  }
}

/** Sends one DLQ message back to the stage queue, then deletes it from the DLQ. */
async function resend(
  aws: AwsCell,
  r: DlqQueues,
  invoiceId: string,
  m: Message,
  dedupId: string,
): Promise<void> {
  await awsCall(`SendMessage ${queueNameFromUrl(r.queueUrl)}`, () =>
    aws.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: r.queueUrl,
        MessageBody: m.Body ?? '',
        MessageGroupId: invoiceId,
        MessageDeduplicationId: dedupId,
        ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0
          ? { MessageAttributes: m.MessageAttributes }
          : {}),
      }),
    ),
  );
  await awsCall(`DeleteMessage ${queueNameFromUrl(r.dlqUrl)}`, () =>
    aws.clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: r.dlqUrl, ReceiptHandle: m.ReceiptHandle as string }),
    ),
  );
}
