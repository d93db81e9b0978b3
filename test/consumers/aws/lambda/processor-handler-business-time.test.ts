import { TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildTopology } from '../../../../cells/topology.js';
import { topologyEnvValue } from '../../../../consumers/aws/lambda/topology-env.js';
import {
  eventFor,
  eventIdFor,
  lambdaContext,
  RECEIVED_AT_MS,
  sqsEvent,
  sqsRecordFor,
  stageMessage,
} from '../../support/builders.js';
import { captureOutput } from '../../support/capture-output.js';

const writeMock = mockClient(TimestreamWriteClient);
const DAY_MS = 86_400_000;

describe('processor handler', () => {
  let output: ReturnType<typeof captureOutput>;

  beforeEach(() => {
    output = captureOutput();
  });

  afterEach(() => {
    output.restore();
    writeMock.reset();
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  describe('handler (module entry)', () => {
    it("refuses an occurredAt outside the window of its cell's topology, without writing it", async () => {
      // Prepare: the cell overrides the age to 30 days; the event was 31 days old when received.
      vi.stubEnv('STAGE', 'posting');
      vi.stubEnv('CELL_NAME', 'us-east-1');
      vi.stubEnv('AWS_REGION', 'us-east-1');
      vi.stubEnv('TIMESTREAM_DATABASE', 'invoices');
      vi.stubEnv('TIMESTREAM_TABLE', 'events');
      vi.stubEnv('CELL_TOPOLOGY', topologyEnvValue(buildTopology({ maxEventAgeDays: 30 })));
      writeMock.on(WriteRecordsCommand).resolves({});
      const occurredAt = new Date(RECEIVED_AT_MS - 31 * DAY_MS).toISOString();
      const event = eventFor('posting', { eventId: eventIdFor(1), invoiceId: 'INV-A', occurredAt });
      const { handler } = await import('../../../../consumers/aws/lambda/processor-handler.js');

      // Act
      const result = await handler(
        sqsEvent([sqsRecordFor(stageMessage('posting', event), 'm1')]),
        lambdaContext(),
      );

      // Assess
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
      expect(writeMock.commandCalls(WriteRecordsCommand)).toEqual([]);
      expect(JSON.stringify(output.logs())).toContain('/event/occurredAt must be between');
      expect(JSON.stringify(output.logs())).toContain('at most 30 days old');
    });
  });
});
