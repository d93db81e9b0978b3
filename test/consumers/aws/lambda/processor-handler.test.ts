import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { businessTimeWindow } from '../../../../cells/business-time.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import type { ProcessorConfig } from '../../../../consumers/aws/lambda/config.js';
import { createProcessorHandler } from '../../../../consumers/aws/lambda/create-processor-handler.js';
import { topologyEnvValue } from '../../../../consumers/aws/lambda/topology-env.js';
import { toTimestreamRecord } from '../../../../consumers/aws/timestream-record.js';
import { TimestreamStore } from '../../../../consumers/aws/timestream-store.js';
import { METRIC_SERVICES, METRICS_NAMESPACE } from '../../../../consumers/monitoring/metric-names.js';
import { toInvoiceRecord } from '../../../../consumers/record.js';
import type { StageMessage } from '../../../../schemas/types.js';
import {
  eventFor,
  eventIdFor,
  lambdaContext,
  RECEIVED_AT_MS,
  sqsEvent,
  sqsRecordFactory,
  sqsRecordFor,
  stageMessage,
} from '../../support/builders.js';
import { captureOutput, metricValues } from '../../support/capture-output.js';
import { rejectedRecords, throttled } from '../../support/timestream-fakes.js';

const writeMock = mockClient(TimestreamWriteClient);
const STORE = { kind: 'timestream', database: 'invoices', table: 'events' } as const;
const CONFIG: ProcessorConfig = {
  stage: 'posting',
  cellName: 'us-east-1',
  region: 'us-east-1',
  store: STORE,
  retryBudgetMs: 5_000,
};
const CELL = { cell: 'us-east-1', region: 'us-east-1' };
const LATENCY_MS = 1_500;
const STAGE_DIMS = ['service', 'stage'];

function buildHandler() {
  const logger = new Logger({ serviceName: METRIC_SERVICES.processor, logLevel: 'DEBUG' });
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: METRIC_SERVICES.processor,
    defaultDimensions: { stage: CONFIG.stage },
    logger,
  });
  const store = new TimestreamStore({
    writeClient: new TimestreamWriteClient({ region: 'us-east-1' }),
    queryClient: new TimestreamQueryClient({ region: 'us-east-1' }),
    database: STORE.database,
    table: STORE.table,
    topology: CELL_TOPOLOGY,
  });
  return createProcessorHandler({
    config: CONFIG,
    store,
    businessTime: businessTimeWindow(CELL_TOPOLOGY.settings),
    logger,
    metrics,
    now: () => RECEIVED_AT_MS + LATENCY_MS,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 2,
  });
}

function message(n: number, invoiceId: string, overrides: Record<string, unknown> = {}): StageMessage {
  return stageMessage('posting', eventFor('posting', { eventId: eventIdFor(n), invoiceId, ...overrides }));
}

function record(n: number, invoiceId: string): SQSRecord {
  return sqsRecordFor(message(n, invoiceId), `m${n}`);
}

const writeInputs = () => writeMock.commandCalls(WriteRecordsCommand).map((c) => c.args[0].input);
const failedIds = (result: { batchItemFailures: { itemIdentifier: string }[] }) =>
  result.batchItemFailures.map((f) => f.itemIdentifier);

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

  describe('createProcessorHandler', () => {
    it('writes a batch in one WriteRecords call and reports no failures', async () => {
      // Prepare
      writeMock.on(WriteRecordsCommand).resolves({});
      const messages = [message(1, 'INV-A'), message(2, 'INV-B'), message(3, 'INV-A')];

      // Act
      const result = await buildHandler()(
        sqsEvent(messages.map((m, i) => sqsRecordFor(m, `m${i + 1}`))),
        lambdaContext(),
      );

      // Assess
      expect(result).toEqual({ batchItemFailures: [] });
      expect(writeInputs()).toHaveLength(1);
      const shared = new Set(['cell', 'region', 'stage'] as const);
      expect(writeInputs()[0]?.Records).toStrictEqual(
        messages.map((m) => toTimestreamRecord(toInvoiceRecord(m, CELL), shared)),
      );
      expect(writeInputs()[0]?.Records?.[0]?.MeasureValues?.slice(0, 2)).toEqual([
        { Name: 'status', Value: 'POSTED', Type: 'VARCHAR' },
        { Name: 'amount_minor', Value: '1250000', Type: 'BIGINT' },
      ]);
    });

    it('emits processed count, latency and per-currency metrics', async () => {
      // Prepare
      writeMock.on(WriteRecordsCommand).resolves({});
      const records = [
        record(1, 'INV-A'),
        sqsRecordFor(message(2, 'INV-B', { amount: { value: '1500', currency: 'JPY' } }), 'm2'),
      ];

      // Act
      await buildHandler()(sqsEvent(records), lambdaContext());

      // Assess
      const emf = output.emf();
      expect(metricValues(emf, 'EventsProcessed', STAGE_DIMS).map((m) => m.value)).toEqual([1, 1]);
      expect(metricValues(emf, 'IngestToStoreLatency', STAGE_DIMS).map((m) => m.value)).toEqual([
        LATENCY_MS,
        LATENCY_MS,
      ]);
      expect(metricValues(emf, 'CurrencyEventsProcessed', [...STAGE_DIMS, 'currency'])).toEqual([
        { value: 1, dims: { service: 'invoice-processor', stage: 'posting', currency: 'USD' } },
        { value: 1, dims: { service: 'invoice-processor', stage: 'posting', currency: 'JPY' } },
      ]);
      expect(
        metricValues(emf, 'ProcessedAmountMinor', [...STAGE_DIMS, 'currency']).map((m) => m.value),
      ).toEqual([1_250_000, 1_500]);
    });

    it('fails a rejected record and the later records of its invoice; other invoices succeed', async () => {
      // Prepare: A1 B1 A2(rejected) A3 B2
      writeMock
        .on(WriteRecordsCommand)
        .rejects(rejectedRecords([{ RecordIndex: 2, Reason: 'Measure value too large' }]));
      const records = [
        record(1, 'INV-A'),
        record(2, 'INV-B'),
        record(3, 'INV-A'),
        record(4, 'INV-A'),
        record(5, 'INV-B'),
      ];

      // Act
      const result = await buildHandler()(sqsEvent(records), lambdaContext());

      // Assess
      expect(failedIds(result)).toEqual(['m3', 'm4']);
      expect(writeInputs()).toHaveLength(1);
      const emf = output.emf();
      expect(metricValues(emf, 'ProcessingFailures', STAGE_DIMS).map((m) => m.value)).toEqual([1, 1]);
      expect(
        metricValues(emf, 'ProcessingFailures', [...STAGE_DIMS, 'kind']).map((m) => [m.dims.kind, m.value]),
      ).toEqual([
        ['rejected', 1],
        ['group-blocked', 1],
      ]);
      expect(output.logs()).toContainEqual(
        expect.objectContaining({
          level: 'ERROR',
          messageId: 'm3',
          kind: 'rejected',
          reason: 'Measure value too large',
          invoiceId: 'INV-A',
          receiveCount: '1',
        }),
      );
    });

    it('retries a throttled write within the invocation and then succeeds', async () => {
      // Prepare
      writeMock.on(WriteRecordsCommand).rejectsOnce(throttled()).resolves({});

      // Act
      const result = await buildHandler()(
        sqsEvent([record(1, 'INV-A'), record(2, 'INV-B')]),
        lambdaContext(),
      );

      // Assess
      expect(result.batchItemFailures).toEqual([]);
      expect(writeInputs()).toHaveLength(2);
      expect(writeInputs()[1]).toStrictEqual(writeInputs()[0]);
      expect(metricValues(output.emf(), 'StoreRetries', STAGE_DIMS).map((m) => m.value)).toEqual([1]);
    });

    it('fails a poison record and keeps it out of the write', async () => {
      // Prepare
      writeMock.on(WriteRecordsCommand).resolves({});
      const records = [
        record(1, 'INV-A'),
        sqsRecordFactory('garbage', 'INV-B', 'poison'),
        record(3, 'INV-C'),
      ];

      // Act
      const result = await buildHandler()(sqsEvent(records), lambdaContext());

      // Assess
      expect(failedIds(result)).toEqual(['poison']);
      expect(
        writeInputs()[0]?.Records?.map((r) => r.Dimensions?.find((d) => d.Name === 'eventId')?.Value),
      ).toEqual([eventIdFor(1), eventIdFor(3)]);
      expect(output.logs()).toContainEqual(
        expect.objectContaining({
          level: 'ERROR',
          messageId: 'poison',
          kind: 'invalid',
          reason: 'message body is not JSON',
        }),
      );
    });

    it('writes the identical record for an archive replay as for the original delivery', async () => {
      // Prepare: the replay carries the original detail (receivedAtMs included) plus replay-name.
      writeMock.on(WriteRecordsCommand).resolves({});
      const original = message(1, 'INV-A');
      const replay: StageMessage = { ...original, replayName: 'audit-2026-11' };
      const handler = buildHandler();
      await handler(sqsEvent([sqsRecordFor(original, 'first')]), lambdaContext());

      // Act
      const result = await handler(sqsEvent([sqsRecordFor(replay, 'replayed')]), lambdaContext());

      // Assess
      expect(result.batchItemFailures).toEqual([]);
      const [first, second] = writeInputs();
      expect(second).toStrictEqual(first);
      const emf = output.emf();
      expect(metricValues(emf, 'ReplayedEventsProcessed', STAGE_DIMS).map((m) => m.value)).toEqual([1]);
      // Only the original delivery has a pipeline latency; the replay's age is history.
      expect(metricValues(emf, 'IngestToStoreLatency', STAGE_DIMS)).toHaveLength(1);
    });

    it('skips the amount metric rather than emit a sum a double cannot hold exactly', async () => {
      // Prepare
      writeMock.on(WriteRecordsCommand).resolves({});
      const huge = message(1, 'INV-A', { amount: { value: '999999999999999.99', currency: 'USD' } });

      // Act
      await buildHandler()(sqsEvent([sqsRecordFor(huge, 'm1')]), lambdaContext());

      // Assess
      expect(metricValues(output.emf(), 'ProcessedAmountMinor', [...STAGE_DIMS, 'currency'])).toEqual([]);
      expect(metricValues(output.emf(), 'CurrencyEventsProcessed', [...STAGE_DIMS, 'currency'])).toHaveLength(
        1,
      );
      expect(output.logs()).toContainEqual(
        expect.objectContaining({ level: 'WARN', currency: 'USD', amountMinorSum: '99999999999999999' }),
      );
    });
  });

  describe('handler (module entry)', () => {
    it('reads its configuration at module load and treats an already stored eventId as done', async () => {
      // Prepare
      vi.stubEnv('STAGE', 'posting');
      vi.stubEnv('CELL_NAME', 'us-east-1');
      vi.stubEnv('AWS_REGION', 'us-east-1');
      vi.stubEnv('TIMESTREAM_DATABASE', 'invoices');
      vi.stubEnv('TIMESTREAM_TABLE', 'events');
      vi.stubEnv('CELL_TOPOLOGY', topologyEnvValue(CELL_TOPOLOGY));
      writeMock
        .on(WriteRecordsCommand)
        .rejects(rejectedRecords([{ RecordIndex: 0, Reason: 'version is not higher', ExistingVersion: 1 }]));
      const { handler } = await import('../../../../consumers/aws/lambda/processor-handler.js');

      // Act
      const result = await handler(sqsEvent([record(1, 'INV-A')]), lambdaContext());

      // Assess
      expect(result).toEqual({ batchItemFailures: [] });
      expect(writeInputs()[0]).toMatchObject({ DatabaseName: 'invoices', TableName: 'events' });
      expect(metricValues(output.emf(), 'DuplicateEvents', STAGE_DIMS).map((m) => m.value)).toEqual([1]);
      expect(output.logs()).toContainEqual(
        expect.objectContaining({
          level: 'WARN',
          eventId: eventIdFor(1),
          existingVersion: 1,
          cell: 'us-east-1',
        }),
      );
    });

    it('fails the cold start when its environment is incomplete', async () => {
      // Prepare
      vi.stubEnv('STAGE', 'posting');
      vi.stubEnv('CELL_NAME', 'us-east-1');
      vi.stubEnv('AWS_REGION', 'us-east-1');
      vi.stubEnv('TIMESTREAM_DATABASE', 'invoices');
      vi.stubEnv('TIMESTREAM_TABLE', '');

      // Act
      const act = import('../../../../consumers/aws/lambda/processor-handler.js');

      // Assess
      await expect(act).rejects.toThrow('environment variable TIMESTREAM_TABLE is not set');
    });
  });
});
