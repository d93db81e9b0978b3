import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { beforeEach, describe, expect, it } from 'vitest';
import { subscriberQueuesOf } from '../../../scripts/ops/aws/dlq-queues.js';
import type { DlqListing, RedriveProgress } from '../../../scripts/ops/backend.js';
import {
  ACCOUNT,
  describeStacks,
  dlqMessage,
  REGION,
  STACK_NAME,
  stackOutputs,
} from './support/aws-fixtures.js';
import { CELL, cfn, depth, NOW, run, sqs, useAwsMocks } from './support/aws-mocks.js';
import { jsonOf } from './support/run-ops.js';

/**
 * `invoice-ops dlq list|redrive --cell <c> --stage <s> --subscriber <id>`: the subscriber's queue
 * and DLQ are found by the stack outputs of its id (`IngestionBillifyQueueUrl`, ...), even though
 * the CLI's topology declares no subscriber; every AWS client mocked.
 */

useAwsMocks();

const name = (kind: 'Queue' | 'Dlq') => `${STACK_NAME}-IngestionConsumerBillifySubscriber${kind}XYZ.fifo`;
const url = (kind: 'Queue' | 'Dlq') => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name(kind)}`;
const arn = (kind: 'Queue' | 'Dlq') => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name(kind)}`;
/** The outputs CellStack adds for subscriber billify of stage ingestion (no DLQ ARN output). */
const SUBSCRIBER_OUTPUTS = {
  IngestionBillifyQueueUrl: url('Queue'),
  IngestionBillifyQueueArn: arn('Queue'),
  IngestionBillifyDlqUrl: url('Dlq'),
};
const SUBSCRIBER = ['--stage', 'ingestion', '--subscriber', 'billify'];

describe('invoice-ops dlq --subscriber against a deployed cell', () => {
  beforeEach(() => {
    cfn.on(DescribeStacksCommand).resolves(describeStacks({ ...stackOutputs(), ...SUBSCRIBER_OUTPUTS }));
  });

  it("lists the subscriber's DLQ, peeked and released", async () => {
    // Prepare
    sqs.on(GetQueueAttributesCommand).resolves(depth(1));
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [dlqMessage(1, 'INV-1', NOW - 1000)] })
      .resolves({ Messages: [] });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });

    // Act
    const result = await run(['dlq', 'list', ...CELL, ...SUBSCRIBER]);
    const json = jsonOf<{ stages: DlqListing[] }>(
      await run(['dlq', 'list', ...CELL, ...SUBSCRIBER, '--json']),
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ingestion\/billify DLQ: 1 message\(s\)/);
    expect(sqs.commandCalls(GetQueueAttributesCommand)[0]?.args[0].input.QueueUrl).toBe(url('Dlq'));
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.QueueUrl).toBe(url('Dlq'));
    expect(json.stages).toEqual([
      expect.objectContaining({ stage: 'ingestion', subscriber: 'billify', total: 1 }),
    ]);
  });

  it("moves the subscriber's DLQ back to the subscriber's queue with a move task", async () => {
    // Prepare
    sqs.on(GetQueueAttributesCommand).resolves(depth(2));
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-sub' });
    sqs.on(ListMessageMoveTasksCommand).resolves({
      Results: [{ Status: 'COMPLETED', StartedTimestamp: NOW, ApproximateNumberOfMessagesMoved: 2 }],
    });

    // Act
    const result = await run(['dlq', 'redrive', ...CELL, ...SUBSCRIBER, '--json']);

    // Assess
    expect(result.code).toBe(0);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: arn('Dlq'),
      DestinationArn: arn('Queue'),
    });
    expect(jsonOf<{ stages: RedriveProgress[] }>(result).stages).toEqual([
      expect.objectContaining({ stage: 'ingestion', subscriber: 'billify', state: 'completed', moved: 2 }),
    ]);
  });

  it("redrives one invoice of the subscriber's DLQ to the subscriber's queue", async () => {
    // Prepare
    const message = dlqMessage(1, 'INV-1', NOW - 3_600_000);
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message] })
      .resolves({ Messages: [] });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'new-1' });
    sqs.on(DeleteMessageCommand).resolves({});
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });

    // Act
    const result = await run(['dlq', 'redrive', ...CELL, ...SUBSCRIBER, '--invoice', 'INV-1']);

    // Assess
    expect(result.code).toBe(0);
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input).toMatchObject({
      QueueUrl: url('Queue'),
      MessageGroupId: 'INV-1',
    });
    expect(sqs.commandCalls(DeleteMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: url('Dlq'),
      ReceiptHandle: 'receipt-1',
    });
    expect(result.stdout).toMatch(/ingestion\/billify\s+INV-1\s+completed\s+1/);
  });

  it('names the missing outputs of an undeclared subscriber and exits 1, calling no SQS API', async () => {
    // Act
    const result = await run(['dlq', 'list', ...CELL, '--stage', 'ingestion', '--subscriber', 'nobody']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no subscriber nobody on stage ingestion in InvoiceCell-us-east-1');
    expect(result.stderr).toContain('IngestionNobodyQueueUrl');
    expect(sqs.calls()).toHaveLength(0);
  });
});

describe('subscriberQueuesOf', () => {
  it('finds the queue pair by the PascalCase id and derives the DLQ ARN from its URL', () => {
    // Act
    const found = subscriberQueuesOf({ title: 'Ingestion' }, 'billify', SUBSCRIBER_OUTPUTS);
    const multiWord = subscriberQueuesOf({ title: 'Posting' }, 'eur-only', {
      PostingEurOnlyQueueUrl: url('Queue'),
      PostingEurOnlyDlqUrl: url('Dlq'),
    });

    // Assess
    expect(found).toEqual({
      queueUrl: url('Queue'),
      queueArn: arn('Queue'),
      dlqUrl: url('Dlq'),
      dlqArn: arn('Dlq'),
    });
    expect(multiWord?.queueArn).toBe(arn('Queue'));
    expect(
      subscriberQueuesOf({ title: 'Ingestion' }, 'billify', { IngestionBillifyQueueUrl: url('Queue') }),
    ).toBe(undefined);
  });
});
