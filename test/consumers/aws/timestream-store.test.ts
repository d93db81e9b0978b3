import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CELL_TOPOLOGY, type StageName } from '../../../cells/topology.js';
import { timelineQuery } from '../../../consumers/aws/timestream-record-queries.js';
import { TimestreamStore } from '../../../consumers/aws/timestream-store.js';
import { type InvoiceRecord, toInvoiceRecord } from '../../../consumers/record.js';
import { QueryParameterError } from '../../../consumers/sql/sql-text.js';
import { TransientStoreError } from '../../../consumers/store.js';
import { eventFor, eventIdFor, RECEIVED_AT_MS, stageMessage } from '../support/builders.js';
import { queryPage, rejectedRecords, throttled, timelinePage } from '../support/timestream-fakes.js';

const writeMock = mockClient(TimestreamWriteClient);
const queryMock = mockClient(TimestreamQueryClient);
const CELL = { cell: 'us-east-1', region: 'us-east-1' };

function record(stage: StageName, n: number, overrides: Record<string, unknown> = {}): InvoiceRecord {
  const event = eventFor(stage, { eventId: eventIdFor(n), ...overrides });
  return toInvoiceRecord(stageMessage(stage, event), CELL);
}

function store(onDuplicate?: ConstructorParameters<typeof TimestreamStore>[0]['onDuplicate']) {
  return new TimestreamStore({
    writeClient: new TimestreamWriteClient({ region: 'us-east-1' }),
    queryClient: new TimestreamQueryClient({ region: 'us-east-1' }),
    database: 'invoices',
    table: 'events',
    topology: CELL_TOPOLOGY,
    ...(onDuplicate ? { onDuplicate } : {}),
  });
}

describe('TimestreamStore', () => {
  afterEach(() => {
    writeMock.reset();
    queryMock.reset();
  });

  describe('writeRecords', () => {
    it('sends one WriteRecords call with one MULTI record per event', async () => {
      // Prepare: one posting event with payment terms, one without.
      writeMock.on(WriteRecordsCommand).resolves({});
      const { paymentTerms: _omit, ...withoutTerms } = eventFor('posting', { eventId: eventIdFor(2) });
      const records = [
        record('posting', 1),
        toInvoiceRecord(stageMessage('posting', withoutTerms as ReturnType<typeof eventFor>), CELL),
      ];

      // Act
      const result = await store().writeRecords(records);

      // Assess
      expect(result).toEqual({ rejected: [] });
      expect(writeMock.commandCalls(WriteRecordsCommand)).toHaveLength(1);
      expect(writeMock.commandCalls(WriteRecordsCommand)[0]?.args[0].input).toStrictEqual({
        DatabaseName: 'invoices',
        TableName: 'events',
        CommonAttributes: {
          Dimensions: [
            { Name: 'cell', Value: 'us-east-1' },
            { Name: 'region', Value: 'us-east-1' },
            { Name: 'stage', Value: 'posting' },
          ],
          MeasureName: 'invoice_event',
          MeasureValueType: 'MULTI',
          TimeUnit: 'MILLISECONDS',
        },
        Records: [1, 2].map((n) => ({
          Dimensions: [
            { Name: 'invoiceId', Value: 'INV-2026-000123' },
            { Name: 'eventId', Value: eventIdFor(n) },
            { Name: 'vendorId', Value: 'V-1001' },
            { Name: 'currency', Value: 'USD' },
          ],
          Time: String(Date.UTC(2026, 10, 20, 16, 30)),
          Version: 1,
          MeasureValues: [
            { Name: 'status', Value: 'POSTED', Type: 'VARCHAR' },
            { Name: 'amount_minor', Value: '1250000', Type: 'BIGINT' },
            { Name: 'vendor_name', Value: 'Acme Office Supplies', Type: 'VARCHAR' },
            { Name: 'received_at', Value: String(RECEIVED_AT_MS), Type: 'TIMESTAMP' },
            ...(n === 1
              ? [
                  { Name: 'due_date', Value: String(Date.UTC(2026, 11, 20)), Type: 'TIMESTAMP' },
                  { Name: 'payment_terms_days', Value: '30', Type: 'BIGINT' },
                ]
              : []),
          ],
        })),
      });
    });

    it('keeps per-record dimensions that differ within the request', async () => {
      // Prepare: the store does not assume one stage per call.
      writeMock.on(WriteRecordsCommand).resolves({});

      // Act
      await store().writeRecords([record('posting', 1), record('ingestion', 2)]);

      // Assess
      const input = writeMock.commandCalls(WriteRecordsCommand)[0]?.args[0].input;
      expect(input?.CommonAttributes?.Dimensions?.map((d) => d.Name)).toEqual(['cell', 'region']);
      expect(input?.Records?.map((r) => r.Dimensions?.[0])).toEqual([
        { Name: 'stage', Value: 'posting' },
        { Name: 'stage', Value: 'ingestion' },
      ]);
    });

    it('returns rejected records by input index, with the reason', async () => {
      // Prepare
      writeMock
        .on(WriteRecordsCommand)
        .rejects(rejectedRecords([{ RecordIndex: 1, Reason: 'Measure value too large' }]));

      // Act
      const result = await store().writeRecords([
        record('posting', 1),
        record('posting', 2),
        record('posting', 3),
      ]);

      // Assess
      expect(result.rejected).toEqual([{ index: 1, reason: 'Measure value too large', retryable: false }]);
    });

    it('chunks at 100 records and maps a rejection in a later chunk to its input index', async () => {
      // Prepare
      writeMock
        .on(WriteRecordsCommand)
        .resolvesOnce({})
        .rejectsOnce(rejectedRecords([{ RecordIndex: 7, Reason: 'Record timestamp outside retention' }]))
        .resolves({});
      const records = Array.from({ length: 250 }, (_, i) => record('posting', i + 1));

      // Act
      const result = await store().writeRecords(records);

      // Assess
      expect(writeMock.commandCalls(WriteRecordsCommand).map((c) => c.args[0].input.Records?.length)).toEqual(
        [100, 100, 50],
      );
      expect(result.rejected).toEqual([
        { index: 107, reason: 'Record timestamp outside retention', retryable: false },
      ]);
    });

    it('counts a record whose eventId is already stored with other values as written (first write wins)', async () => {
      // Prepare: e.g. a producer retry after the dedup window, carrying a new receivedAtMs.
      writeMock.on(WriteRecordsCommand).rejects(
        rejectedRecords([
          {
            RecordIndex: 0,
            Reason: 'A record with this identity exists with a higher or equal version',
            ExistingVersion: 1,
          },
        ]),
      );
      const onDuplicate = vi.fn();
      const first = record('posting', 1);

      // Act
      const result = await store(onDuplicate).writeRecords([first]);

      // Assess
      expect(result.rejected).toEqual([]);
      expect(onDuplicate).toHaveBeenCalledWith(first, 1, expect.stringContaining('identity exists'));
    });

    it('fails the whole request when a rejection names no usable index', async () => {
      // Prepare: better retried than silently lost.
      writeMock.on(WriteRecordsCommand).rejects(rejectedRecords([{ Reason: 'mystery' }]));

      // Act
      const result = await store().writeRecords([record('posting', 1), record('posting', 2)]);

      // Assess
      expect(result.rejected.map((r) => [r.index, r.retryable])).toEqual([
        [0, true],
        [1, true],
      ]);
    });

    it('does not send a record whose amount does not fit a BIGINT, and rejects it', async () => {
      // Prepare: 999,999,999,999,999.9999 CLF = 9,999,999,999,999,999,999 minor units > 2^63 - 1.
      writeMock.on(WriteRecordsCommand).resolves({});
      const huge = record('posting', 2, { amount: { value: '999999999999999.9999', currency: 'CLF' } });

      // Act
      const result = await store().writeRecords([record('posting', 1), huge]);

      // Assess
      expect(result.rejected).toEqual([
        { index: 1, reason: expect.stringContaining('does not fit a Timestream BIGINT'), retryable: false },
      ]);
      expect(writeMock.commandCalls(WriteRecordsCommand)[0]?.args[0].input.Records).toHaveLength(1);
    });

    it('throws a TransientStoreError when Timestream throttles', async () => {
      // Prepare
      writeMock.on(WriteRecordsCommand).rejects(throttled());

      // Act
      const act = store().writeRecords([record('posting', 1)]);

      // Assess
      await expect(act).rejects.toThrow(TransientStoreError);
      await expect(act).rejects.toThrow('ThrottlingException');
    });

    it('lets an error that retrying cannot fix through unchanged', async () => {
      // Prepare
      const denied = Object.assign(new Error('User is not authorized'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 403 },
      });
      writeMock.on(WriteRecordsCommand).rejects(denied);

      // Act
      const act = store().writeRecords([record('posting', 1)]);

      // Assess
      await expect(act).rejects.toMatchObject({ name: 'AccessDeniedException' });
      await expect(act).rejects.not.toBeInstanceOf(TransientStoreError);
    });
  });

  describe('timeline', () => {
    it('follows NextToken to the last page and returns records in lifecycle order', async () => {
      // Prepare: Timestream may answer an empty page with a token; posting and ingestion share a time.
      const sameTime = '2026-11-20T16:30:00Z';
      const ingestion = record('ingestion', 1, { occurredAt: sameTime });
      const posting = record('posting', 2, { occurredAt: sameTime });
      const authorization = record('authorization', 3);
      // The SDK paginator reuses one input object across pages, so tokens are read as each call is made.
      const pages = [
        timelinePage([], 'token-1'),
        timelinePage([authorization, posting], 'token-2'),
        timelinePage([ingestion]),
      ];
      const sent: { NextToken?: string; QueryString?: string }[] = [];
      queryMock.on(QueryCommand).callsFake((input: { NextToken?: string; QueryString?: string }) => {
        sent.push({ ...input });
        return pages[sent.length - 1];
      });

      // Act
      const timeline = await store().timeline('INV-2026-000123');

      // Assess
      expect(sent.map((c) => c.NextToken)).toEqual([undefined, 'token-1', 'token-2']);
      expect(new Set(sent.map((c) => c.QueryString))).toEqual(
        new Set([timelineQuery('invoices', 'events', 'INV-2026-000123')]),
      );
      expect(timeline).toEqual([authorization, ingestion, posting]);
    });

    it.each(['ingestion', 'reconciliation', 'authorization', 'posting'] as const)(
      'reads back exactly the %s record it wrote',
      async (stage) => {
        // Prepare
        const written = record(stage, 1);
        queryMock.on(QueryCommand).resolves(timelinePage([written]));

        // Act
        const [read] = await store().timeline(written.dimensions.invoiceId);

        // Assess
        expect(read).toStrictEqual(written);
      },
    );

    it('refuses an invoiceId outside the contract without querying', async () => {
      // Act
      const act = store().timeline("INV-1' OR '1'='1");

      // Assess
      await expect(act).rejects.toThrow(QueryParameterError);
      expect(queryMock.commandCalls(QueryCommand)).toHaveLength(0);
    });
  });

  describe('aggregate', () => {
    it('groups by bin, stage and currency over every page, keeping sums exact', async () => {
      // Prepare
      const columns = ['bin_start', 'stage', 'currency', 'events', 'amount_minor_sum'];
      queryMock
        .on(QueryCommand)
        .resolvesOnce(
          queryPage(
            columns,
            [
              ['2026-11-20 09:15:00.000000000', 'posting', 'USD', '2', '99999999999999999'],
              ['2026-11-20 09:15:00.000000000', 'ingestion', 'USD', '3', '300'],
            ],
            'next',
          ),
        )
        .resolvesOnce(queryPage(columns, [['2026-11-20 09:10:00.000000000', 'ingestion', 'JPY', '1', null]]));

      // Act
      const rows = await store().aggregate({
        fromMs: Date.UTC(2026, 10, 20, 9),
        toMs: Date.UTC(2026, 10, 20, 10),
        binSec: 300,
        byCurrency: true,
      });

      // Assess
      expect(rows).toEqual([
        {
          binStartMs: Date.UTC(2026, 10, 20, 9, 10),
          stage: 'ingestion',
          currency: 'JPY',
          events: 1,
          amountMinorSum: '0',
        },
        {
          binStartMs: Date.UTC(2026, 10, 20, 9, 15),
          stage: 'ingestion',
          currency: 'USD',
          events: 3,
          amountMinorSum: '300',
        },
        {
          binStartMs: Date.UTC(2026, 10, 20, 9, 15),
          stage: 'posting',
          currency: 'USD',
          events: 2,
          amountMinorSum: '99999999999999999',
        },
      ]);
      expect(queryMock.commandCalls(QueryCommand)[1]?.args[0].input.NextToken).toBe('next');
    });
  });
});
