import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CancelReplayCommand,
  DescribeArchiveCommand,
  DescribeReplayCommand,
  EventBridgeClient,
  ListRulesCommand,
  PutEventsCommand,
  ResourceNotFoundException,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY, findStage, type StageTopology } from '../../../cells/topology.js';
import { toInvoiceRecord } from '../../../consumers/record.js';
import { readExampleEvent } from '../../../schemas/files.js';
import type { InvoiceEvent } from '../../../schemas/types.js';
import { createAwsClients } from '../../../scripts/ops/cli.js';
import { queryPage, timelinePage } from '../../consumers/support/timestream-fakes.js';
import {
  ALARM_PREFIX,
  ARCHIVE_ARN,
  ARCHIVE_NAME,
  BUS_ARN,
  BUS_NAME,
  describeStacks,
  dlqMessage,
  queueArn,
  queueUrl,
  ruleArn,
  STACK_NAME,
  stackOutputs,
} from './support/aws-fixtures.js';
import { jsonOf, runOpsInProcess } from './support/run-ops.js';

/**
 * `invoice-ops --cell us-east-1 ...` in-process, with every AWS client mocked by
 * aws-sdk-client-mock: request shapes, pagination, progress until a task ends, Ctrl-C, and the
 * mapping of AWS errors to messages and exit codes.
 */

const cfn = mockClient(CloudFormationClient);
const eventBridge = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
const cloudWatch = mockClient(CloudWatchClient);
const timestream = mockClient(TimestreamQueryClient);

const NOW = Date.parse('2026-11-22T12:00:00Z');
const CELL = ['--cell', 'us-east-1'];
const stage = (name: string) => findStage(CELL_TOPOLOGY, name) as StageTopology;
const POSTING = stage('posting');
const INGESTION = stage('ingestion');
const example = (name: string): InvoiceEvent => readExampleEvent(name) as unknown as InvoiceEvent;

function run(argv: string[], options: { signal?: AbortSignal; stdin?: string } = {}) {
  return runOpsInProcess(argv, { createAwsClients, now: () => NOW, ...options });
}

function depth(visible: number, notVisible = 0) {
  return {
    Attributes: {
      ApproximateNumberOfMessages: String(visible),
      ApproximateNumberOfMessagesNotVisible: String(notVisible),
    },
  };
}

beforeEach(() => {
  cfn.on(DescribeStacksCommand).resolves(describeStacks(stackOutputs()));
});

afterEach(() => {
  cfn.reset();
  eventBridge.reset();
  sqs.reset();
  cloudWatch.reset();
  timestream.reset();
});

describe('invoice-ops against a deployed cell', () => {
  describe('locating the cell', () => {
    it('follows DescribeStacks NextToken until the stack is found', async () => {
      // Prepare
      cfn
        .on(DescribeStacksCommand)
        .resolvesOnce({ $metadata: {}, Stacks: [], NextToken: 'page-2' })
        .resolvesOnce(describeStacks(stackOutputs()));
      sqs.on(GetQueueAttributesCommand).resolves(depth(0));

      // Act
      const result = await run(['dlq', 'redrive', ...CELL, '--stage', 'posting', '--dry-run']);

      // Assess
      expect(result.code).toBe(0);
      const calls = cfn.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input);
      expect(calls).toEqual([{ StackName: STACK_NAME }, { StackName: STACK_NAME, NextToken: 'page-2' }]);
    });

    it('exits 1 with a clear message when the cell stack does not exist', async () => {
      // Prepare
      const missing = Object.assign(new Error(`Stack with id ${STACK_NAME} does not exist`), {
        name: 'ValidationError',
      });
      cfn.on(DescribeStacksCommand).rejects(missing);

      // Act
      const result = await run(['stuck', ...CELL]);

      // Assess
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /cell us-east-1: stack InvoiceCell-us-east-1 does not exist in us-east-1 \(deploy it with/,
      );
    });

    it('derives ARNs the stack does not output, and names an output it cannot do without', async () => {
      // Prepare: an older stack without ARN outputs, and then one without its bus name.
      const { ArchiveArn: _a, BusArn: _b, ...withoutArns } = stackOutputs();
      cfn.on(DescribeStacksCommand).resolvesOnce(describeStacks(withoutArns));
      eventBridge.on(StartReplayCommand).resolves({ State: 'STARTING' });
      eventBridge.on(DescribeReplayCommand).resolves({ State: 'COMPLETED' });

      // Act
      const derived = await run([
        'replay',
        ...CELL,
        '--from',
        '2026-11-20T00:00:00Z',
        '--to',
        '2026-11-21T00:00:00Z',
      ]);
      const { BusName: _n, ...withoutBus } = stackOutputs();
      cfn.on(DescribeStacksCommand).resolves(describeStacks(withoutBus));
      const missing = await run([
        'replay',
        ...CELL,
        '--from',
        '2026-11-20T00:00:00Z',
        '--to',
        '2026-11-21T00:00:00Z',
      ]);

      // Assess
      expect(derived.code).toBe(0);
      const input = eventBridge.commandCalls(StartReplayCommand)[0]?.args[0].input;
      expect(input?.EventSourceArn).toBe(ARCHIVE_ARN);
      expect(input?.Destination?.Arn).toBe(BUS_ARN);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/stack InvoiceCell-us-east-1 has no output BusName; redeploy the cell/);
    });
  });

  describe('send', () => {
    it('puts events on the cell bus with the stage detail-type and BusDetail, mapping failed entries', async () => {
      // Prepare
      const first = {
        ...example('ingestion'),
        eventId: '00000000-0000-4000-8000-000000000001',
        invoiceId: 'INV-A',
      };
      const second = {
        ...example('ingestion'),
        eventId: '00000000-0000-4000-8000-000000000002',
        invoiceId: 'INV-B',
      };
      eventBridge.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'bus-1' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
      });

      // Act
      const result = await run(['send', ...CELL, '--stage', 'ingestion'], {
        stdin: `${JSON.stringify(first)}\n${JSON.stringify(second)}\n`,
      });

      // Assess
      expect(result.code).toBe(1);
      const entries = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
      expect(entries).toHaveLength(2);
      expect(entries[0]).toMatchObject({
        EventBusName: BUS_NAME,
        Source: 'invoice.platform',
        DetailType: 'invoice.ingestion',
      });
      expect(JSON.parse(entries[0]?.Detail ?? '')).toEqual({ receivedAtMs: NOW, event: first });
      expect(result.stdout).toMatch(/INV-A\s+00000000-0000-4000-8000-000000000001\s+accepted/);
      expect(result.stdout).toMatch(
        /INV-B\s+00000000-0000-4000-8000-000000000002\s+failed\s+InternalFailure: try again/,
      );
    });
  });

  describe('timeline', () => {
    it('prints the invoice records Timestream returns, in lifecycle order', async () => {
      // Prepare
      const records = CELL_TOPOLOGY.stages.map((s, i) =>
        toInvoiceRecord(
          { stage: s.name, receivedAtMs: NOW - 1000 + i, event: { ...example(s.name), invoiceId: 'INV-T' } },
          { cell: 'us-east-1', region: 'us-east-1' },
        ),
      );
      timestream.on(QueryCommand).resolves(timelinePage([...records].reverse()));

      // Act
      const result = await run(['timeline', 'INV-T', ...CELL, '--json']);

      // Assess
      expect(result.code).toBe(0);
      const body = jsonOf<{ timeline: { stage: string; amount: { value: string } }[] }>(result);
      expect(body.timeline.map((t) => t.stage)).toEqual(CELL_TOPOLOGY.stages.map((s) => s.name));
      expect(body.timeline[0]?.amount.value).toBe('12500.00');
      expect(timestream.commandCalls(QueryCommand)[0]?.args[0].input.QueryString).toMatch(
        /"InvoiceCellDatabase-abc"\."InvoiceEvents-abc"/,
      );
    });

    it('exits 1 when Timestream has no record of the invoice', async () => {
      // Prepare
      timestream.on(QueryCommand).resolves(timelinePage([]));

      // Act
      const result = await run(['timeline', 'INV-NONE', ...CELL]);

      // Assess
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/no stored events for invoice "INV-NONE"/);
    });
  });

  describe('replay', () => {
    const window = ['--from', '2026-11-20T00:00:00Z', '--to', '2026-11-21T00:00:00Z'];

    function rulesOnTwoPages(): void {
      const rule = (s: StageTopology) => ({
        Name: `rule-${s.name}`,
        Arn: ruleArn(s),
        EventPattern: JSON.stringify({ source: ['invoice.platform'], 'detail-type': [s.detailType] }),
      });
      const [first, ...rest] = CELL_TOPOLOGY.stages;
      eventBridge
        .on(ListRulesCommand)
        .resolvesOnce({
          Rules: [
            // The archive's managed rule matches every stage; it must not be taken for the stage rule.
            {
              Name: 'Events-Archive-x',
              Arn: 'arn:aws:events:us-east-1:123456789012:rule/archive',
              ManagedBy: 'events.amazonaws.com',
              EventPattern: '{"source":["invoice.platform"]}',
            },
            rule(first as StageTopology),
          ],
          NextToken: 'rules-2',
        })
        .resolvesOnce({ Rules: rest.map(rule) });
    }

    it('starts a replay of the stage rule and polls DescribeReplay until COMPLETED', async () => {
      // Prepare
      rulesOnTwoPages();
      eventBridge.on(StartReplayCommand).resolves({ State: 'STARTING' });
      eventBridge
        .on(DescribeReplayCommand)
        .resolvesOnce({ State: 'RUNNING', EventLastReplayedTime: new Date('2026-11-20T06:00:00Z') })
        .resolvesOnce({ State: 'RUNNING', EventLastReplayedTime: new Date('2026-11-20T18:00:00Z') })
        .resolvesOnce({ State: 'COMPLETED', EventLastReplayedTime: new Date('2026-11-20T23:59:00Z') });

      // Act
      const result = await run([
        'replay',
        ...CELL,
        ...window,
        '--stage',
        'posting',
        '--name',
        'audit-2026-11-20',
      ]);

      // Assess
      expect(result.code).toBe(0);
      expect(eventBridge.commandCalls(ListRulesCommand).map((c) => c.args[0].input)).toEqual([
        { EventBusName: BUS_NAME },
        { EventBusName: BUS_NAME, NextToken: 'rules-2' },
      ]);
      expect(eventBridge.commandCalls(StartReplayCommand)[0]?.args[0].input).toMatchObject({
        ReplayName: 'audit-2026-11-20',
        EventSourceArn: ARCHIVE_ARN,
        EventStartTime: new Date('2026-11-20T00:00:00Z'),
        EventEndTime: new Date('2026-11-21T00:00:00Z'),
        Destination: { Arn: BUS_ARN, FilterArns: [ruleArn(POSTING)] },
      });
      expect(eventBridge.commandCalls(DescribeReplayCommand)).toHaveLength(3);
      expect(result.stderr).toMatch(/replay: \d+% audit-2026-11-20 (starting|running)/);
      expect(result.stderr).toMatch(/replay: audit-2026-11-20 completed: 100% of the window/);
      expect(result.stdout).toMatch(
        /audit-2026-11-20\s+completed\s+2026-11-20T00:00:00.000Z\s+2026-11-21T00:00:00.000Z\s+posting\s+100% of the window/,
      );
    });

    it('cancels the replay on Ctrl-C and exits 130', async () => {
      // Prepare
      const controller = new AbortController();
      eventBridge.on(StartReplayCommand).resolves({ State: 'STARTING' });
      let polls = 0;
      eventBridge.on(DescribeReplayCommand).callsFake(() => {
        polls++;
        if (polls === 1) controller.abort();
        return polls < 3 ? { State: 'RUNNING' } : { State: 'CANCELLED' };
      });
      eventBridge.on(CancelReplayCommand).resolves({ State: 'CANCELLING' });

      // Act
      const result = await run(['replay', ...CELL, ...window, '--name', 'to-cancel'], {
        signal: controller.signal,
      });

      // Assess
      expect(result.code).toBe(130);
      expect(eventBridge.commandCalls(CancelReplayCommand).map((c) => c.args[0].input)).toEqual([
        { ReplayName: 'to-cancel' },
      ]);
      expect(result.stderr).toMatch(/replay to-cancel cancelled/);
    });

    it('says what a dry run would replay without starting one, and that AWS cannot count it', async () => {
      // Prepare
      eventBridge
        .on(DescribeArchiveCommand)
        .resolves({ ArchiveName: ARCHIVE_NAME, State: 'ENABLED', EventCount: 1234 });

      // Act
      const result = await run(['replay', ...CELL, ...window, '--dry-run']);

      // Assess
      expect(result.code).toBe(0);
      expect(eventBridge.commandCalls(StartReplayCommand)).toHaveLength(0);
      expect(result.stdout).toMatch(/dry run: nothing was replayed/);
      expect(result.stdout).toMatch(
        new RegExp(
          `would replay archive ${ARCHIVE_NAME} \\(ENABLED, 1234 events in all\\) to bus ${BUS_NAME}`,
        ),
      );
      expect(result.stdout).toMatch(/cannot count the archived events of a window/);
    });

    it('maps a missing archive to a clear message and exit 1', async () => {
      // Prepare
      eventBridge.on(StartReplayCommand).rejects(
        new ResourceNotFoundException({
          $metadata: {},
          message: `Archive ${ARCHIVE_NAME} does not exist.`,
        }),
      );

      // Act
      const result = await run(['replay', ...CELL, ...window, '--name', 'r1']);

      // Assess
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /StartReplay r1: not found \(ResourceNotFoundException: Archive .* does not exist\.\)/,
      );
    });

    it('refuses --invoice with exit 2: EventBridge replays filter by rule only', async () => {
      // Act
      const result = await run(['replay', ...CELL, ...window, '--invoice', 'INV-1']);

      // Assess
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--invoice is not supported against a deployed cell/);
    });
  });

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

  describe('stuck', () => {
    it('lists invoices past their SLA from Timestream and DLQ messages by invoice', async () => {
      // Prepare: INV-S1 entered reconciliation 2 h ago (SLA 1 h); INV-S2 is within its SLA.
      timestream.on(QueryCommand).resolves(
        queryPage(
          ['invoice_id', 'stage', 'status', 'time_ms', 'vendor_id'],
          [
            ['INV-S1', 'reconciliation', 'MISMATCHED', String(NOW - 2 * 3_600_000), 'V-1'],
            ['INV-S2', 'reconciliation', 'MATCHED', String(NOW - 60_000), 'V-2'],
          ],
        ),
      );
      cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
      sqs.on(GetQueueAttributesCommand).resolves(depth(0));
      sqs.on(GetQueueAttributesCommand, { QueueUrl: queueUrl(INGESTION, 'dlq') }).resolves(depth(1));
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [dlqMessage(9, 'INV-D', NOW - 600_000)] })
        .resolves({ Messages: [] });
      sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });

      // Act
      const result = await run(['stuck', ...CELL, '--json']);

      // Assess
      expect(result.code).toBe(0);
      const report = jsonOf<{
        business: { invoiceId: string; overdueSec: number }[];
        technical: { kind: string; invoiceId?: string; stage: string }[];
      }>(result);
      expect(report.business).toEqual([expect.objectContaining({ invoiceId: 'INV-S1', overdueSec: 3600 })]);
      expect(report.technical).toEqual([
        expect.objectContaining({ stage: 'ingestion', kind: 'dlq', invoiceId: 'INV-D' }),
      ]);
      const query = timestream.commandCalls(QueryCommand)[0]?.args[0].input.QueryString ?? '';
      expect(query).toMatch(/time >= ago\(7d\)/);
      expect(query).toMatch(/cell = 'us-east-1'/);
      expect(query).toMatch(/to_milliseconds\(now\(\)\)/); // overdue rows only, not every open invoice
    });
  });

  describe('reconcile', () => {
    it('exits 1 and says it is approximate when accepted exceeds stored + DLQ + in flight', async () => {
      // Prepare: 100 relayed per stage, 100 processed except 97 at posting, nothing queued.
      const postingIndex = CELL_TOPOLOGY.stages.indexOf(POSTING);
      cloudWatch.on(GetMetricDataCommand).resolves({
        MetricDataResults: CELL_TOPOLOGY.stages.flatMap((_s, i) => [
          { Id: `relayed${i}`, Values: [60, 40] },
          { Id: `processed${i}`, Values: i === postingIndex ? [57, 40] : [60, 40] },
        ]),
      });
      sqs.on(GetQueueAttributesCommand).resolves(depth(0));

      // Act
      const result = await run([
        'reconcile',
        ...CELL,
        '--from',
        '2026-11-21T00:00:00Z',
        '--to',
        '2026-11-22T00:00:00Z',
      ]);

      // Assess
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/\(approximate\)/);
      expect(result.stdout).toMatch(/posting\s+100\s+97\s+0\s+0\s+3\s+0\s+NO/);
      expect(result.stdout).toMatch(/GAP/);
    });
  });

  describe('alarms', () => {
    it('falls back to the stack name as the alarm prefix when the stack has no AlarmNamePrefix output', async () => {
      // Prepare
      const { AlarmNamePrefix: _p, ...older } = stackOutputs();
      cfn.on(DescribeStacksCommand).resolves(describeStacks(older));
      cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
      cloudWatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });

      // Act
      const result = await run(['alarms', ...CELL]);

      // Assess
      expect(result.code).toBe(0);
      expect(cloudWatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input.AlarmNamePrefix).toBe(
        `${STACK_NAME}-`,
      );
      expect(result.stdout).toMatch(/no alarms found/);
    });

    it('pages DescribeAlarms and DescribeAlarmHistory by NextToken and maps alarms to their rules', async () => {
      // Prepare
      const prefix = ALARM_PREFIX;
      cloudWatch
        .on(DescribeAlarmsCommand)
        .resolvesOnce({
          MetricAlarms: [
            {
              AlarmName: `${prefix}posting-dlq-not-empty`,
              StateValue: 'ALARM',
              StateReason: 'Threshold Crossed',
              StateUpdatedTimestamp: new Date(NOW - 60_000),
            },
          ],
          NextToken: 'alarms-2',
        })
        .resolvesOnce({
          MetricAlarms: [{ AlarmName: `${prefix}ingestion-latency-p99`, StateValue: 'OK' }],
          CompositeAlarms: [{ AlarmName: `${prefix}cell-unhealthy`, StateValue: 'ALARM' }],
        });
      cloudWatch
        .on(DescribeAlarmHistoryCommand)
        .resolvesOnce({
          AlarmHistoryItems: [
            {
              AlarmName: `${prefix}posting-dlq-not-empty`,
              Timestamp: new Date(NOW - 60_000),
              HistoryItemType: 'StateUpdate',
              HistorySummary: 'Alarm updated from OK to ALARM',
              HistoryData: JSON.stringify({
                oldState: { stateValue: 'OK' },
                newState: { stateValue: 'ALARM' },
              }),
            },
            { AlarmName: 'SomeoneElsesAlarm', Timestamp: new Date(NOW), HistorySummary: 'not ours' },
          ],
          NextToken: 'history-2',
        })
        .resolvesOnce({ AlarmHistoryItems: [] });

      // Act
      const result = await run(['alarms', ...CELL, '--history', '6h', '--json']);

      // Assess
      expect(result.code).toBe(0);
      const alarmCalls = cloudWatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
      expect(alarmCalls[0]).toMatchObject({ AlarmNamePrefix: prefix });
      expect(alarmCalls[1]).toMatchObject({ AlarmNamePrefix: prefix, NextToken: 'alarms-2' });
      const historyCalls = cloudWatch.commandCalls(DescribeAlarmHistoryCommand).map((c) => c.args[0].input);
      expect(historyCalls[0]).toMatchObject({
        HistoryItemType: 'StateUpdate',
        StartDate: new Date(NOW - 6 * 3_600_000),
      });
      expect(historyCalls[1]).toMatchObject({ NextToken: 'history-2' });
      const report = jsonOf<{
        alarms: { name: string; state: string; severity?: string; stage?: string }[];
        transitions: { name: string; from: string; to: string }[];
      }>(result);
      expect(report.alarms.map((a) => [a.state, a.severity, a.stage ?? null])).toEqual([
        ['ALARM', 'critical', null], // the composite "cell unhealthy"
        ['ALARM', 'critical', 'posting'],
        ['OK', 'critical', 'ingestion'],
      ]);
      expect(report.transitions).toEqual([
        expect.objectContaining({
          name: `${prefix}posting-dlq-not-empty`,
          from: 'OK',
          to: 'ALARM',
        }),
      ]);
    });
  });
});
