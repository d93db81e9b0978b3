import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY, findStage, type StageTopology } from '../../../cells/topology.js';
import { SnsStagePublisher } from '../../../consumers/aws/sns-publisher.js';
import { type BusEvent, type PublishEntry, relayEvents } from '../../../consumers/relay.js';
import { eventFor, eventIdFor, RECEIVED_AT_MS } from '../support/builders.js';

const snsMock = mockClient(SNSClient);
const POSTING = findStage(CELL_TOPOLOGY, 'posting') as StageTopology;
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:posting.fifo';

function entry(n: number): PublishEntry {
  return {
    Id: `e${n}`,
    Message: `{"n":${n}}`,
    MessageGroupId: `INV-${n % 3}`,
    MessageDeduplicationId: eventIdFor(n),
  };
}

function busEvent(n: number): BusEvent {
  return {
    id: `bus-${n}`,
    source: CELL_TOPOLOGY.settings.eventSource,
    'detail-type': POSTING.detailType,
    detail: {
      receivedAtMs: RECEIVED_AT_MS,
      event: eventFor('posting', { eventId: eventIdFor(n), invoiceId: `INV-${n}` }),
    },
  };
}

function publisher(): SnsStagePublisher {
  return new SnsStagePublisher(new SNSClient({ region: 'us-east-1' }), { posting: TOPIC });
}

describe('SnsStagePublisher', () => {
  afterEach(() => {
    snsMock.reset();
  });

  describe('publishBatch', () => {
    it('publishes the entries to the stage topic with their group and dedup ids', async () => {
      // Prepare
      snsMock.on(PublishBatchCommand).resolves({ Successful: [{ Id: 'e1' }, { Id: 'e2' }] });

      // Act
      const result = await publisher().publishBatch(POSTING, [entry(1), entry(2)]);

      // Assess
      expect(result).toEqual({ failed: [] });
      expect(snsMock.commandCalls(PublishBatchCommand)[0]?.args[0].input).toStrictEqual({
        TopicArn: TOPIC,
        PublishBatchRequestEntries: [entry(1), entry(2)],
      });
    });

    it('reports the entries SNS lists as failed, with code, message and sender fault', async () => {
      // Prepare
      snsMock.on(PublishBatchCommand).resolves({
        Successful: [{ Id: 'e1' }],
        Failed: [{ Id: 'e2', Code: 'InternalError', Message: 'try again', SenderFault: false }],
      });

      // Act
      const result = await publisher().publishBatch(POSTING, [entry(1), entry(2)]);

      // Assess
      expect(result.failed).toEqual([{ id: 'e2', reason: 'InternalError: try again', senderFault: false }]);
    });

    it('reports an entry SNS answered nothing about as failed', async () => {
      // Prepare
      snsMock.on(PublishBatchCommand).resolves({ Successful: [{ Id: 'e1' }] });

      // Act
      const result = await publisher().publishBatch(POSTING, [entry(1), entry(2)]);

      // Assess
      expect(result.failed).toEqual([
        { id: 'e2', reason: 'PublishBatch returned no result for this entry', senderFault: false },
      ]);
    });

    it('fails every entry when the whole call throws', async () => {
      // Prepare
      snsMock
        .on(PublishBatchCommand)
        .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException', $fault: 'client' }));

      // Act
      const result = await publisher().publishBatch(POSTING, [entry(1), entry(2)]);

      // Assess
      expect(result.failed).toEqual(
        ['e1', 'e2'].map((id) => ({
          id,
          reason: 'PublishBatch failed: ThrottledException: Rate exceeded',
          senderFault: true,
        })),
      );
    });

    it('sends at most 10 entries per call', async () => {
      // Prepare
      snsMock.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: PublishEntry[] }) => ({
        Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id })),
      }));

      // Act
      const result = await publisher().publishBatch(
        POSTING,
        Array.from({ length: 12 }, (_, i) => entry(i)),
      );

      // Assess
      expect(result.failed).toEqual([]);
      expect(
        snsMock
          .commandCalls(PublishBatchCommand)
          .map((c) => c.args[0].input.PublishBatchRequestEntries?.length),
      ).toEqual([10, 2]);
    });

    it('refuses to publish a stage it has no topic for', async () => {
      // Prepare
      const ingestion = findStage(CELL_TOPOLOGY, 'ingestion') as StageTopology;

      // Act
      const act = publisher().publishBatch(ingestion, [entry(1)]);

      // Assess
      await expect(act).rejects.toThrow('no topic ARN configured for stage ingestion');
      expect(snsMock.commandCalls(PublishBatchCommand)).toHaveLength(0);
    });
  });

  describe('constructor', () => {
    it('refuses a topic that is not a FIFO topic ARN', () => {
      // Assess
      expect(
        () =>
          new SnsStagePublisher(new SNSClient({}), { posting: 'arn:aws:sns:us-east-1:123456789012:posting' }),
      ).toThrow('must be an SNS FIFO topic ARN');
    });
  });

  describe('with relayEvents', () => {
    it('publishes 23 bus events in calls of at most 10 and names failures by bus event id', async () => {
      // Prepare
      snsMock.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: PublishEntry[] }) => ({
        Successful: input.PublishBatchRequestEntries.filter(
          (e) => e.MessageDeduplicationId !== eventIdFor(14),
        ).map((e) => ({ Id: e.Id })),
        Failed: input.PublishBatchRequestEntries.filter(
          (e) => e.MessageDeduplicationId === eventIdFor(14),
        ).map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false })),
      }));
      const events = Array.from({ length: 23 }, (_, i) => busEvent(i));

      // Act
      const result = await relayEvents(events, CELL_TOPOLOGY, publisher());

      // Assess
      const calls = snsMock.commandCalls(PublishBatchCommand).map((c) => c.args[0].input);
      expect(calls.map((c) => c.PublishBatchRequestEntries?.length)).toEqual([10, 10, 3]);
      expect(calls.flatMap((c) => c.PublishBatchRequestEntries ?? []).map((e) => e.MessageGroupId)).toEqual(
        events.map((e) => e.detail.event.invoiceId),
      );
      expect(result.failed).toEqual([
        { id: 'bus-14', reason: 'InternalError: no message', senderFault: false },
      ]);
    });
  });
});
