import {
  CancelReplayCommand,
  DescribeArchiveCommand,
  DescribeReplayCommand,
  ListRulesCommand,
  ResourceNotFoundException,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import { ARCHIVE_ARN, ARCHIVE_NAME, BUS_ARN, BUS_NAME, ruleArn } from './support/aws-fixtures.js';
import { CELL, eventBridge, POSTING, run, useAwsMocks } from './support/aws-mocks.js';

/**
 * `invoice-ops replay --cell`: the stage rule found over ListRules pages, StartReplay, progress
 * until DescribeReplay ends, Ctrl-C, dry runs and errors, with every AWS client mocked.
 */

useAwsMocks();

describe('invoice-ops against a deployed cell', () => {
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
});
