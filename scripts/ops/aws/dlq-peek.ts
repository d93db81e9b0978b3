import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DlqMessage } from '../backend.js';
import { awsCall } from './aws-error.js';
import { queueNameFromUrl } from './cell-resources.js';
import { dlqMessageOf } from './dlq-message.js';

/**
 * Reading a DLQ without consuming it. SQS has no peek: messages are received with a visibility
 * timeout (so repeated receives return others; FIFO hands out the next messages only while earlier
 * ones are hidden), then made visible again.
 *
 * @example
 * const peeked = await peekDlq(sqs, r.dlqUrl, { limit: 50, groupId: 'INV-1' });
 */
export interface PeekedMessage {
  readonly message: Message;
  readonly listed: DlqMessage;
}

/** Messages a scan of a DLQ receives at most, so a huge DLQ cannot keep it running forever. */
export const MAX_SCAN = 100_000;
/** How long peeked DLQ messages stay hidden before this tool releases them (or SQS does). */
const PEEK_VISIBILITY_SEC = 30;

/**
 * One `ReceiveMessage` of up to 10 messages with every attribute, hidden for `visibilitySec`;
 * returns only messages not in `seen` and adds them to it.
 */
export async function receiveFresh(
  sqs: SQSClient,
  queueUrl: string,
  visibilitySec: number,
  seen: Set<string>,
): Promise<Message[]> {
  const out = await awsCall(`ReceiveMessage ${queueNameFromUrl(queueUrl)}`, () =>
    sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: visibilitySec,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    ),
  );
  const fresh = (out.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
  for (const m of fresh) seen.add(m.MessageId as string);
  return fresh;
}

/**
 * Peeks DLQ messages: receives until `limit` matching messages (all, or those of message group
 * `groupId`) or until a receive comes back empty, then makes every received message visible again.
 */
export async function peekDlq(
  sqs: SQSClient,
  queueUrl: string,
  options: { limit: number; groupId?: string },
): Promise<PeekedMessage[]> {
  const seen = new Set<string>();
  const held: Message[] = [];
  const matched: PeekedMessage[] = [];
  try {
    while (matched.length < options.limit && held.length < MAX_SCAN) {
      const fresh = await receiveFresh(sqs, queueUrl, PEEK_VISIBILITY_SEC, seen);
      if (fresh.length === 0) break;
      for (const m of fresh) {
        held.push(m);
        const listed = dlqMessageOf(m);
        if ((!options.groupId || listed.invoiceId === options.groupId) && matched.length < options.limit) {
          matched.push({ message: m, listed });
        }
      }
    }
  } finally {
    await releaseMessages(sqs, queueUrl, held);
  }
  return matched;
}

/** Makes received messages visible again (ChangeMessageVisibilityBatch, 10 per call). */
export async function releaseMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Message[],
): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    const chunk = messages.slice(start, start + 10);
    await awsCall(`ChangeMessageVisibilityBatch ${queueNameFromUrl(queueUrl)}`, () =>
      sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((m, i) => ({
            Id: `m${start + i}`,
            ReceiptHandle: m.ReceiptHandle as string,
            VisibilityTimeout: 0,
          })),
        }),
      ),
    );
  }
}
