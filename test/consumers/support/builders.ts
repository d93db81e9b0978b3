import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import type { StageName } from '../../../cells/topology.js';
import authorization from '../../../schemas/examples/authorization.json' with { type: 'json' };
import ingestion from '../../../schemas/examples/ingestion.json' with { type: 'json' };
import posting from '../../../schemas/examples/posting.json' with { type: 'json' };
import reconciliation from '../../../schemas/examples/reconciliation.json' with { type: 'json' };
import type { InvoiceEvent, StageMessage } from '../../../schemas/types.js';

/** Test data builders: events from the schema examples, stage messages, SQS records, Lambda context. */

const EXAMPLES: Readonly<Record<StageName, unknown>> = { ingestion, reconciliation, authorization, posting };

/** A deterministic UUID for test event `n`. */
export function eventIdFor(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** A valid event of `stage` (its schema example) with `overrides` applied on top. */
export function eventFor(stage: StageName, overrides: Record<string, unknown> = {}): InvoiceEvent {
  return { ...structuredClone(EXAMPLES[stage] as InvoiceEvent), ...overrides } as InvoiceEvent;
}

/**
 * 2026-11-20T16:30:05Z, a fixed API acceptance time: 5 s after the latest example's `occurredAt`
 * (posting, 16:30Z), so every example lies inside the business-time window (at most 300 s ahead).
 */
export const RECEIVED_AT_MS = Date.UTC(2026, 10, 20, 16, 30, 5);

export function stageMessage(
  stage: StageName,
  event: InvoiceEvent,
  options: { receivedAtMs?: number; replayName?: string } = {},
): StageMessage {
  return {
    stage,
    receivedAtMs: options.receivedAtMs ?? RECEIVED_AT_MS,
    event,
    ...(options.replayName ? { replayName: options.replayName } : {}),
  };
}

/** One SQS FIFO record; the group defaults to the message's invoiceId when the body is a message. */
export function sqsRecordFactory(
  body: string,
  groupId: string,
  messageId: string,
  receiveCount = 1,
): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(RECEIVED_AT_MS),
      SenderId: 'AIDATEST',
      ApproximateFirstReceiveTimestamp: String(RECEIVED_AT_MS),
      MessageGroupId: groupId,
      MessageDeduplicationId: messageId,
      SequenceNumber: '1',
    },
    messageAttributes: {},
    md5OfBody: 'test',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:posting.fifo',
    awsRegion: 'us-east-1',
  };
}

export function sqsRecordFor(message: StageMessage, messageId: string): SQSRecord {
  return sqsRecordFactory(JSON.stringify(message), message.event.invoiceId, messageId);
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'test-function',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test-function',
    memoryLimitInMB: '256',
    awsRequestId: 'request-1',
    logGroupName: '/aws/lambda/test-function',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
