import { DescribeStacksCommand, type DescribeStacksCommandInput } from '@aws-sdk/client-cloudformation';
import { DescribeReplayCommand, PutEventsCommand, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/client-timestream-query';
import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { toInvoiceRecord } from '../../../consumers/record.js';
import { timelinePage } from '../../consumers/support/timestream-fakes.js';
import {
  ARCHIVE_ARN,
  BUS_ARN,
  BUS_NAME,
  describeStacks,
  STACK_NAME,
  stackOutputs,
} from './support/aws-fixtures.js';
import {
  CELL,
  cfn,
  depth,
  eventBridge,
  example,
  NOW,
  run,
  sqs,
  timestream,
  useAwsMocks,
} from './support/aws-mocks.js';
import { jsonOf } from './support/run-ops.js';

/**
 * `invoice-ops --cell` finding the cell (stack outputs, derived ARNs, a missing stack), `send`
 * (PutEvents) and `timeline` (Timestream), with every AWS client mocked.
 */

useAwsMocks();

describe('invoice-ops against a deployed cell', () => {
  describe('locating the cell', () => {
    it('follows DescribeStacks NextToken until the stack is found', async () => {
      // Prepare
      // The SDK paginator reuses one input object across pages: record each request as sent.
      const pages = [{ $metadata: {}, Stacks: [], NextToken: 'page-2' }, describeStacks(stackOutputs())];
      const sent: DescribeStacksCommandInput[] = [];
      cfn.on(DescribeStacksCommand).callsFake((input: DescribeStacksCommandInput) => {
        sent.push({ ...input });
        return pages[sent.length - 1];
      });
      sqs.on(GetQueueAttributesCommand).resolves(depth(0));

      // Act
      const result = await run(['dlq', 'redrive', ...CELL, '--stage', 'posting', '--dry-run']);

      // Assess
      expect(result.code).toBe(0);
      expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(2);
      expect(sent).toEqual([{ StackName: STACK_NAME }, { StackName: STACK_NAME, NextToken: 'page-2' }]);
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
});
