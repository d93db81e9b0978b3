import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CellDefinition } from '../../../../cells/catalog.js';
import {
  CELL_TOPOLOGY,
  DEFAULT_CELL_SETTINGS,
  findStage,
  type StageTopology,
} from '../../../../cells/topology.js';
import {
  createRelayHandler,
  defaultRelayDeps,
  type RelayEvent,
} from '../../../../consumers/aws/lambda/create-relay-handler.js';
import { RelayError } from '../../../../consumers/relay.js';
import { logicalIdOf, synthCells, templateJson } from '../../../stacks/cell-fixture.js';
import { eventFor, eventIdFor, lambdaContext, RECEIVED_AT_MS } from '../../support/builders.js';
import { captureOutput } from '../../support/capture-output.js';

const snsMock = mockClient(SNSClient);

/** A catalog cell whose producers put events under their own source. */
const PARTNER_CELL: CellDefinition = {
  name: 'us-east-2',
  region: 'us-east-2',
  overrides: { eventSource: 'invoice.partner' },
};
const POSTING_TOPIC_ARN = 'arn:aws:sns:us-east-2:111122223333:PostingTopic.fifo';

/**
 * The relay function's environment as Lambda would see it: the synthesized variables, with the one
 * CloudFormation reference (`Ref` of the posting topic) resolved to a topic ARN.
 */
function deployedRelayEnv(template: Template): Record<string, string> {
  const fnId = logicalIdOf(template, 'AWS::Lambda::Function', 'RoutingPostingRelayFunction');
  const topicId = logicalIdOf(template, 'AWS::SNS::Topic', 'PostingConsumerPostingTopic');
  const environment = templateJson(template).Resources[fnId]?.Properties?.Environment as
    | { Variables?: Record<string, unknown> }
    | undefined;
  const variables = environment?.Variables ?? {};
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      if (JSON.stringify(value) === JSON.stringify({ Ref: topicId })) return [name, POSTING_TOPIC_ARN];
      throw new Error(`unexpected unresolved environment variable ${name}: ${JSON.stringify(value)}`);
    }),
  );
}

function postingEvent(source: string, n: number): RelayEvent {
  // Detail-types come from the stage names, which a catalog entry cannot override.
  const posting = findStage(CELL_TOPOLOGY, 'posting') as StageTopology;
  return {
    version: '0',
    id: `bus-${n}`,
    'detail-type': posting.detailType,
    source,
    account: '111122223333',
    time: '2026-11-20T16:30:05Z',
    region: 'us-east-2',
    resources: [],
    detail: { receivedAtMs: RECEIVED_AT_MS, event: eventFor('posting', { eventId: eventIdFor(n) }) },
  };
}

describe('relay handler', () => {
  describe('in a catalog cell that overrides eventSource', () => {
    let env: Record<string, string>;
    let output: ReturnType<typeof captureOutput>;

    beforeAll(() => {
      // Prepare: the relay's environment exactly as the app synthesizes it for this cell.
      const template = synthCells(undefined, [PARTNER_CELL]).templates.get(PARTNER_CELL.name) as Template;
      env = deployedRelayEnv(template);
    });

    beforeEach(() => {
      vi.stubEnv('AWS_REGION', 'us-east-2');
      output = captureOutput();
    });

    afterEach(() => {
      output.restore();
      snsMock.reset();
      vi.unstubAllEnvs();
    });

    it('relays an event put under the cell’s own source', async () => {
      // Prepare
      snsMock.on(PublishBatchCommand).resolves({ Successful: [{ Id: 'e0' }] });
      const handler = createRelayHandler(defaultRelayDeps(env));

      // Act
      await handler(postingEvent('invoice.partner', 1), lambdaContext());

      // Assess
      const input = snsMock.commandCalls(PublishBatchCommand)[0]?.args[0].input;
      expect(input?.TopicArn).toBe(POSTING_TOPIC_ARN);
      expect(input?.PublishBatchRequestEntries?.[0]?.MessageDeduplicationId).toBe(eventIdFor(1));
    });

    it('refuses an event under the default source, publishing nothing', async () => {
      // Prepare
      const handler = createRelayHandler(defaultRelayDeps(env));

      // Act
      const act = handler(postingEvent(DEFAULT_CELL_SETTINGS.eventSource, 2), lambdaContext());

      // Assess
      await expect(act).rejects.toThrow(RelayError);
      await expect(act).rejects.toThrow(`no stage for source "${DEFAULT_CELL_SETTINGS.eventSource}"`);
      expect(snsMock.commandCalls(PublishBatchCommand)).toHaveLength(0);
    });
  });
});
