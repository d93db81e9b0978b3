import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { dlqMessage, queueArn, queueUrl } from './support/aws-fixtures.js';
import { CELL, depth, INGESTION, NOW, POSTING, run, sqs, useAwsMocks } from './support/aws-mocks.js';
import { jsonOf } from './support/run-ops.js';

/**
 * `invoice-ops dlq redrive|list --cell`: SQS move tasks polled to the end, Ctrl-C, dry runs, the
 * by-invoice receive + send + delete, and peeked listings, with every AWS client mocked.
 */

useAwsMocks();

describe('invoice-ops against a deployed cell', () => {
  describe('dlq redrive', () => {
    it('starts a move task DLQ -> queue at the given rate and polls ListMessageMoveTasks until COMPLETED', async () => {
      // Prepare
      sqs.on(GetQueueAttributesCommand).resolves(depth(3));
      sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-1' });
      const task = {
        SourceArn: queueArn(POSTING, 'dlq'),
        StartedTimestamp: NOW,
        ApproximateNumberOfMessagesToMove: 3,
      };
      sqs
        .on(ListMessageMoveTasksCommand)
        .resolvesOnce({
          Results: [
            { ...task, TaskHandle: 'handle-1', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 1 },
          ],
        })
        .resolvesOnce({
          Results: [
            { ...task, TaskHandle: 'handle-1', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 2 },
          ],
        })
        // Finished tasks carry no handle: the most recent task started since the run began is ours.
        .resolvesOnce({ Results: [{ ...task, Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3 }] });

      // Act
      const result = await run(['dlq', 'redrive', ...CELL, '--stage', 'posting', '--rate', '50']);

      // Assess
      expect(result.code).toBe(0);
      expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
        SourceArn: queueArn(POSTING, 'dlq'),
        DestinationArn: queueArn(POSTING, 'queue'),
        MaxNumberOfMessagesPerSecond: 50,
      });
      expect(sqs.commandCalls(ListMessageMoveTasksCommand)).toHaveLength(3);
      expect(sqs.commandCalls(ListMessageMoveTasksCommand)[0]?.args[0].input).toEqual({
        SourceArn: queueArn(POSTING, 'dlq'),
        MaxResults: 10,
      });
      expect(result.stdout).toMatch(/posting\s+all\s+completed\s+3\s+3/);
    });

    it('reports a failed move task with its reason and exits 1', async () => {
      // Prepare
      sqs.on(GetQueueAttributesCommand).resolves(depth(2));
      sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-2' });
      sqs.on(ListMessageMoveTasksCommand).resolves({
        Results: [
          {
            Status: 'FAILED',
            StartedTimestamp: NOW,
            FailureReason: 'AWS.SimpleQueueService.KmsAccessDenied',
            ApproximateNumberOfMessagesMoved: 0,
          },
        ],
      });

      // Act
      const result = await run(['dlq', 'redrive', ...CELL, '--stage', 'posting']);

      // Assess
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/posting\s+all\s+failed.*KmsAccessDenied/);
    });

    it('cancels the move task on Ctrl-C and exits 130', async () => {
      // Prepare
      const controller = new AbortController();
      sqs.on(GetQueueAttributesCommand).resolves(depth(100));
      sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-3' });
      let polls = 0;
      sqs.on(ListMessageMoveTasksCommand).callsFake(() => {
        polls++;
        if (polls === 1) controller.abort();
        const status = polls < 3 ? 'RUNNING' : 'CANCELLED';
        return {
          Results: [
            {
              TaskHandle: 'handle-3',
              Status: status,
              StartedTimestamp: NOW,
              ApproximateNumberOfMessagesMoved: 7,
            },
          ],
        };
      });
      sqs.on(CancelMessageMoveTaskCommand).resolves({ ApproximateNumberOfMessagesMoved: 7 });

      // Act
      const result = await run(['dlq', 'redrive', ...CELL, '--stage', 'posting'], {
        signal: controller.signal,
      });

      // Assess
      expect(result.code).toBe(130);
      expect(sqs.commandCalls(CancelMessageMoveTaskCommand).map((c) => c.args[0].input)).toEqual([
        { TaskHandle: 'handle-3' },
      ]);
      expect(result.stderr).toMatch(/cancelled the posting move task after ~7 message\(s\)/);
    });

    it('counts a dry run from the DLQ depth without starting a task', async () => {
      // Prepare
      sqs.on(GetQueueAttributesCommand).resolves(depth(4, 1));

      // Act
      const result = await run(['dlq', 'redrive', ...CELL, '--stage', 'posting', '--dry-run', '--json']);

      // Assess
      expect(result.code).toBe(0);
      expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
      expect(jsonOf<{ stages: { state: string; total: number }[] }>(result).stages).toEqual([
        expect.objectContaining({ state: 'dry-run', total: 5 }),
      ]);
    });

    it('starts no move task for an empty DLQ', async () => {
      // Prepare
      sqs.on(GetQueueAttributesCommand).resolves(depth(0));

      // Act
      const result = await run(['dlq', 'redrive', ...CELL]);

      // Assess
      expect(result.code).toBe(0);
      expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
      for (const s of CELL_TOPOLOGY.stages)
        expect(result.stdout).toMatch(new RegExp(`${s.name}\\s+all\\s+completed\\s+0\\s+0`));
    });

    it('refuses a rate a move task cannot take with exit 2', async () => {
      // Prepare
      sqs.on(GetQueueAttributesCommand).resolves(depth(1));

      // Act
      const result = await run(['dlq', 'redrive', ...CELL, '--stage', 'posting', '--rate', '1000']);

      // Assess
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--rate must be an integer from 1 to 500 for an SQS move task/);
    });

    it('redrives one invoice by receive + send + delete, releasing other groups and skipping fresh messages', async () => {
      // Prepare: INV-1 has an old message and one sent within the 5-minute dedup window; INV-2 is someone else's.
      const old = dlqMessage(1, 'INV-1', NOW - 3_600_000);
      const other = dlqMessage(2, 'INV-2', NOW - 3_600_000);
      const fresh = dlqMessage(3, 'INV-1', NOW - 60_000);
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [old, other, fresh] })
        .resolves({ Messages: [] });
      sqs.on(SendMessageCommand).resolves({ MessageId: 'new-1' });
      sqs.on(DeleteMessageCommand).resolves({});
      sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });

      // Act
      const result = await run(['dlq', 'redrive', ...CELL, '--stage', 'ingestion', '--invoice', 'INV-1']);

      // Assess
      expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toMatchObject({
        QueueUrl: queueUrl(INGESTION, 'dlq'),
      });
      expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
        {
          QueueUrl: queueUrl(INGESTION, 'queue'),
          MessageBody: old.Body,
          MessageGroupId: 'INV-1',
          MessageDeduplicationId: '00000000-0000-4000-8000-000000000001',
        },
      ]);
      expect(sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input)).toEqual([
        { QueueUrl: queueUrl(INGESTION, 'dlq'), ReceiptHandle: 'receipt-1' },
      ]);
      const released = sqs
        .commandCalls(ChangeMessageVisibilityBatchCommand)
        .flatMap((c) => c.args[0].input.Entries ?? []);
      expect(released.map((e) => [e.ReceiptHandle, e.VisibilityTimeout])).toEqual([
        ['receipt-2', 0],
        ['receipt-3', 0],
      ]);
      expect(result.code).toBe(1); // one message had to stay
      expect(result.stdout).toMatch(/ingestion\s+INV-1\s+completed\s+1\s+2\s+1/);
      expect(result.stdout).toMatch(/1 message\(s\) were sent less than 300s ago and stay in the DLQ/);
    });
  });

  describe('dlq list', () => {
    it('peeks the DLQ messages and makes them visible again', async () => {
      // Prepare
      sqs.on(GetQueueAttributesCommand).resolves(depth(2));
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({
          Messages: [
            dlqMessage(1, 'INV-1', NOW - 1000, 'posting'),
            dlqMessage(2, 'INV-2', NOW - 1000, 'posting'),
          ],
        })
        .resolves({ Messages: [] });
      sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });

      // Act
      const result = await run(['dlq', 'list', ...CELL, '--stage', 'posting']);

      // Assess
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/posting DLQ: 2 message\(s\)/);
      expect(result.stdout).toMatch(/INV-1\s+00000000-0000-4000-8000-000000000001\s+5/);
      const released = sqs
        .commandCalls(ChangeMessageVisibilityBatchCommand)
        .flatMap((c) => c.args[0].input.Entries ?? []);
      expect(released.map((e) => e.ReceiptHandle)).toEqual(['receipt-1', 'receipt-2']);
    });
  });
});
