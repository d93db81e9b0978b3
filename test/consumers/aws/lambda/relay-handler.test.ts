import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CELL_TOPOLOGY, findStage, type StageName, type StageTopology } from '../../../../cells/topology.js';
import {
  createRelayHandler,
  type RelayEvent,
} from '../../../../consumers/aws/lambda/create-relay-handler.js';
import { topologyEnvValue } from '../../../../consumers/aws/lambda/topology-env.js';
import { SnsStagePublisher } from '../../../../consumers/aws/sns-publisher.js';
import { METRIC_SERVICES, METRICS_NAMESPACE } from '../../../../consumers/monitoring/metric-names.js';
import { RelayError } from '../../../../consumers/relay.js';
import { eventFor, eventIdFor, lambdaContext, RECEIVED_AT_MS } from '../../support/builders.js';
import { captureOutput, metricValues } from '../../support/capture-output.js';

const snsMock = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:posting.fifo';
const DIMS = ['service', 'stage'];

function relayEvent(stage: StageName, n: number, replayName?: string): RelayEvent {
  const topology = findStage(CELL_TOPOLOGY, stage) as StageTopology;
  return {
    version: '0',
    id: `bus-${n}`,
    'detail-type': topology.detailType,
    source: CELL_TOPOLOGY.settings.eventSource,
    account: '123456789012',
    time: '2026-11-20T16:30:05Z',
    region: 'us-east-1',
    resources: [],
    detail: { receivedAtMs: RECEIVED_AT_MS, event: eventFor(stage, { eventId: eventIdFor(n) }) },
    ...(replayName ? { 'replay-name': replayName } : {}),
  };
}

function buildHandler() {
  const logger = new Logger({ serviceName: METRIC_SERVICES.relay, logLevel: 'DEBUG' });
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: METRIC_SERVICES.relay,
    defaultDimensions: { stage: 'posting' },
    logger,
  });
  const publisher = new SnsStagePublisher(new SNSClient({ region: 'us-east-1' }), { posting: TOPIC });
  return createRelayHandler({ topology: CELL_TOPOLOGY, publisher, logger, metrics });
}

describe('relay handler', () => {
  let output: ReturnType<typeof captureOutput>;

  beforeEach(() => {
    output = captureOutput();
  });

  afterEach(() => {
    output.restore();
    snsMock.reset();
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  describe('createRelayHandler', () => {
    it('publishes the event to its stage topic, grouped by invoice and deduplicated by eventId', async () => {
      // Prepare
      snsMock.on(PublishBatchCommand).resolves({ Successful: [{ Id: 'e0' }] });
      const event = relayEvent('posting', 1);

      // Act
      await buildHandler()(event, lambdaContext());

      // Assess
      expect(snsMock.commandCalls(PublishBatchCommand)[0]?.args[0].input).toStrictEqual({
        TopicArn: TOPIC,
        PublishBatchRequestEntries: [
          {
            Id: 'e0',
            Message: JSON.stringify({
              stage: 'posting',
              receivedAtMs: RECEIVED_AT_MS,
              event: event.detail.event,
            }),
            MessageGroupId: 'INV-2026-000123',
            MessageDeduplicationId: eventIdFor(1),
          },
        ],
      });
      expect(metricValues(output.emf(), 'RelayedEvents', DIMS)).toEqual([
        { value: 1, dims: { service: 'invoice-relay', stage: 'posting' } },
      ]);
      expect(metricValues(output.emf(), 'RelayFailures', DIMS).map((m) => m.value)).toEqual([0]);
    });

    it('carries the replay name into the topic message', async () => {
      // Prepare
      snsMock.on(PublishBatchCommand).resolves({ Successful: [{ Id: 'e0' }] });

      // Act
      await buildHandler()(relayEvent('posting', 1, 'audit-2026-11'), lambdaContext());

      // Assess
      const message =
        snsMock.commandCalls(PublishBatchCommand)[0]?.args[0].input.PublishBatchRequestEntries?.[0]?.Message;
      expect(JSON.parse(message ?? '{}')).toMatchObject({ replayName: 'audit-2026-11' });
    });

    it('throws a RelayError naming the bus event when SNS fails its entry, so it is retried', async () => {
      // Prepare
      snsMock.on(PublishBatchCommand).resolves({
        Failed: [{ Id: 'e0', Code: 'InternalError', Message: 'try again', SenderFault: false }],
      });

      // Act
      const act = buildHandler()(relayEvent('posting', 7), lambdaContext());

      // Assess
      await expect(act).rejects.toThrow(RelayError);
      await expect(act).rejects.toThrow('bus-7: InternalError: try again');
      expect(metricValues(output.emf(), 'RelayFailures', DIMS).map((m) => m.value)).toEqual([1]);
      expect(metricValues(output.emf(), 'RelayedEvents', DIMS).map((m) => m.value)).toEqual([0]);
      expect(output.logs()).toContainEqual(
        expect.objectContaining({
          level: 'ERROR',
          eventId: eventIdFor(7),
          invoiceId: 'INV-2026-000123',
          busEventId: 'bus-7',
        }),
      );
    });

    it('throws a RelayError when the whole PublishBatch call fails', async () => {
      // Prepare
      snsMock.on(PublishBatchCommand).rejects(new Error('socket hang up'));

      // Act
      const act = buildHandler()(relayEvent('posting', 1), lambdaContext());

      // Assess
      await expect(act).rejects.toThrow('bus-1: PublishBatch failed: Error: socket hang up');
    });

    it('throws for an event of a stage this relay has no topic for, publishing nothing', async () => {
      // Act
      const act = buildHandler()(relayEvent('ingestion', 1), lambdaContext());

      // Assess
      await expect(act).rejects.toThrow('no topic ARN configured for stage ingestion');
      expect(snsMock.commandCalls(PublishBatchCommand)).toHaveLength(0);
    });

    it('does not carry one event’s log keys into the next invocation', async () => {
      // Prepare
      snsMock.on(PublishBatchCommand).resolves({ Successful: [{ Id: 'e0' }] });
      const handler = buildHandler();
      await handler(relayEvent('posting', 1, 'audit'), lambdaContext());

      // Act
      await handler(relayEvent('posting', 2), lambdaContext());

      // Assess
      const last = output.logs().at(-1);
      expect(last).toMatchObject({ eventId: eventIdFor(2), busEventId: 'bus-2' });
      expect(last).not.toHaveProperty('replayName');
    });
  });

  describe('handler (module entry)', () => {
    it('reads its configuration at module load and relays with the module SNS client', async () => {
      // Prepare
      vi.stubEnv('STAGE', 'posting');
      vi.stubEnv('TOPIC_ARN', TOPIC);
      vi.stubEnv('AWS_REGION', 'us-east-1');
      vi.stubEnv('CELL_TOPOLOGY', topologyEnvValue(CELL_TOPOLOGY));
      snsMock.on(PublishBatchCommand).resolves({ Successful: [{ Id: 'e0' }] });
      const { handler } = await import('../../../../consumers/aws/lambda/relay-handler.js');

      // Act
      await handler(relayEvent('posting', 1), lambdaContext());

      // Assess
      expect(snsMock.commandCalls(PublishBatchCommand)[0]?.args[0].input.TopicArn).toBe(TOPIC);
      expect(metricValues(output.emf(), 'RelayedEvents', DIMS)).toEqual([
        { value: 1, dims: { service: 'invoice-relay', stage: 'posting' } },
      ]);
    });

    it('fails the cold start when its environment is incomplete', async () => {
      // Prepare
      vi.stubEnv('STAGE', 'posting');
      vi.stubEnv('TOPIC_ARN', '');

      // Act
      const act = import('../../../../consumers/aws/lambda/relay-handler.js');

      // Assess
      await expect(act).rejects.toThrow('environment variable TOPIC_ARN is not set');
    });
  });
});
