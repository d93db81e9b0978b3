import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  QueryCommand,
  type QueryCommandInput,
  TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import {
  METRIC_REPORT_RECONCILE_NOTES,
  MetricReportReconciler,
  ReportReconcileError,
} from '../../../consumers/aws/aws-report-reconcile.js';
import {
  TIMESTREAM_REPORT_NOTES,
  TimestreamReportError,
  TimestreamReportSource,
} from '../../../consumers/aws/timestream-report-source.js';
import type { TimestreamReportSpec } from '../../../consumers/aws/timestream-report-spec.js';
import { reportFigureSql } from '../../../consumers/aws/timestream-report-sql.js';
import { monthRange } from '../../../consumers/reports/report-month.js';
import { depthAnswer, fakeQueueUrl, fakeStageQueues, metricAnswer } from '../support/metric-fakes.js';
import { queryPage, throttled } from '../support/timestream-fakes.js';

const queryMock = mockClient(TimestreamQueryClient);
const cloudWatchMock = mockClient(CloudWatchClient);
const sqsMock = mockClient(SQSClient);

const REPORT_SPEC: TimestreamReportSpec = {
  timeZone: 'UTC',
  figures: {
    received: { scope: 's_aaaaaaaaaa', stage: 'ingestion' },
    posted: { scope: 's_aaaaaaaaaa', stage: 'posting' },
    paymentTerms: { scope: 's_aaaaaaaaaa', stage: 'ingestion' },
    open: { scope: 's_bbbbbbbbbb' },
  },
};

const TABLE = { database: 'cell_db', table: 'latest_state' };
const OCT = monthRange('2026-10', 'UTC');
const RANGE = { month: '2026-10', ...OCT, asOfMs: OCT.toMs };
const MIN = 60_000;
type Cell = string | null;

/** Which figure a query is, by what it selects. */
function figureOf(input: QueryCommandInput): string {
  const sql = input.QueryString ?? '';
  if (sql.includes("measure_name = 'stuck_state'")) return 'stuck';
  if (sql.includes('AS vendor_id')) return 'received';
  if (sql.includes('AS payment_terms_days')) return 'paymentTerms';
  if (sql.includes("stage = 'posting'")) return 'posted';
  if (sql.includes("measure_name = 's_bbbbbbbbbb'")) return 'open';
  throw new Error(`unexpected query ${sql}`);
}

const COLUMNS: Readonly<Record<string, readonly string[]>> = {
  received: ['vendor_id', 'currency', 'invoices', 'amount_minor'],
  posted: ['currency', 'status', 'invoices', 'amount_minor'],
  paymentTerms: ['currency', 'payment_terms_days', 'invoices'],
  open: ['currency', 'status', 'invoices', 'amount_minor'],
  stuck: ['invoice_id', 'stage', 'status', 'time_ms', 'vendor_id'],
};

/** Answers each figure's query with `rows` (the received figure over two pages). */
function answer(rows: Readonly<Record<string, Cell[][]>>): void {
  queryMock.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    const figure = figureOf(input);
    const all = rows[figure] ?? [];
    const columns = COLUMNS[figure] ?? [];
    if (figure !== 'received') return queryPage(columns, all);
    // Two pages: the first ends with a token, the second is asked for with it.
    return input.NextToken === 'page-2'
      ? queryPage(columns, all.slice(1))
      : queryPage(columns, all.slice(0, 1), 'page-2');
  });
}

function reconciler(): MetricReportReconciler {
  return new MetricReportReconciler({
    cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
    sqs: new SQSClient({ region: 'us-east-1' }),
    topology: CELL_TOPOLOGY,
    queues: fakeStageQueues(CELL_TOPOLOGY.stages.map((s) => s.name)),
    now: () => OCT.toMs + 3_600_000,
  });
}

function source(): TimestreamReportSource {
  return new TimestreamReportSource({
    client: new TimestreamQueryClient({ region: 'us-east-1' }),
    database: TABLE.database,
    latestTable: TABLE.table,
    spec: REPORT_SPEC,
    topology: CELL_TOPOLOGY,
    reconciler: reconciler(),
  });
}

const FULL: Readonly<Record<string, Cell[][]>> = {
  received: [
    ['V-1', 'EUR', '2', '123456789012345678901'],
    ['V-2', 'USD', '1', '1050'],
  ],
  posted: [
    ['EUR', 'POSTED', '1', '99999'],
    ['EUR', 'FAILED', '1', '-10'],
  ],
  paymentTerms: [
    ['EUR', '30', '2'],
    ['USD', null, '1'],
  ],
  open: [
    ['EUR', 'RECEIVED', '3', '300'],
    ['EUR', 'POSTED', '5', '500'],
    ['USD', 'REJECTED', '1', '1'],
  ],
  stuck: [
    // Entered ingestion 20 min before the month's end: past its 15-min SLA then.
    ['INV-1', 'ingestion', 'RECEIVED', String(OCT.toMs - 20 * MIN), 'V-1'],
    // 10 min into a 1-h SLA at the month's end: not stuck yet.
    ['INV-2', 'reconciliation', 'MATCHED', String(OCT.toMs - 10 * MIN), 'V-2'],
    // Entered after the month's end: stuck now perhaps, not at the as-of time.
    ['INV-3', 'ingestion', 'RECEIVED', String(OCT.toMs + 60 * MIN), 'V-3'],
  ],
};

describe('TimestreamReportSource', () => {
  beforeEach(() => {
    // Posting relayed 10, stored 8, one in its DLQ; the other stages relayed and stored nothing.
    cloudWatchMock.on(GetMetricDataCommand).callsFake(
      metricAnswer([
        { relayed: [], processed: [] },
        { relayed: [], processed: [] },
        { relayed: [], processed: [] },
        { relayed: [6, 4], processed: [8] },
      ]),
    );
    sqsMock
      .on(GetQueueAttributesCommand)
      .callsFake(depthAnswer({ [fakeQueueUrl('posting', 'dlq')]: [1, 0] }));
  });

  afterEach(() => {
    queryMock.reset();
    cloudWatchMock.reset();
    sqsMock.reset();
  });

  describe('readMonth', () => {
    it('reads every figure to its last page as exact money, drops ended invoices from the open book and counts stuck at the month end', async () => {
      // Prepare
      answer(FULL);

      // Act
      const data = await source().readMonth(RANGE);

      // Assess
      expect(data).toEqual({
        stages: ['ingestion', 'reconciliation', 'authorization', 'posting'],
        received: [
          { vendorId: 'V-1', currency: 'EUR', invoices: 2, minor: 123456789012345678901n },
          { vendorId: 'V-2', currency: 'USD', invoices: 1, minor: 1050n },
        ],
        vendorNames: new Map(),
        posted: [
          { currency: 'EUR', status: 'POSTED', invoices: 1, minor: 99999n },
          { currency: 'EUR', status: 'FAILED', invoices: 1, minor: -10n },
        ],
        paymentTerms: [
          { currency: 'EUR', paymentTermsDays: 30, invoices: 2 },
          { currency: 'USD', paymentTermsDays: null, invoices: 1 },
        ],
        open: [{ currency: 'EUR', status: 'RECEIVED', invoices: 3, minor: 300n }],
        stuck: [
          { stage: 'ingestion', invoices: 1 },
          { stage: 'reconciliation', invoices: 0 },
          { stage: 'authorization', invoices: 0 },
        ],
        reconciliation: {
          complete: true,
          stages: [
            ...['ingestion', 'reconciliation', 'authorization'].map((stage) => ({
              stage,
              accepted: 0,
              stored: 0,
              inDlqNow: 0,
              inFlightNow: 0,
              missing: 0,
              unexpected: 0,
              balanced: true,
            })),
            {
              stage: 'posting',
              accepted: 10,
              stored: 8,
              inDlqNow: 1,
              inFlightNow: 0,
              missing: 1,
              unexpected: 0,
              balanced: false,
            },
          ],
        },
        notes: [...TIMESTREAM_REPORT_NOTES, ...METRIC_REPORT_RECONCILE_NOTES],
      });
      // Assess: the reconciliation's sums were read over both CloudWatch pages
      expect(cloudWatchMock.commandCalls(GetMetricDataCommand)).toHaveLength(2);
      const calls = queryMock.commandCalls(QueryCommand).map((c) => c.args[0].input);
      // Assess: the second page was asked for with the first page's token (its row is in `received`)
      const received = calls.filter((c) => figureOf(c) === 'received');
      expect(received).toHaveLength(2);
      expect(received[1]?.NextToken).toBe('page-2');
      expect(calls).toHaveLength(6);
    });

    it('reads the month from the derived latest-state table, and the open book up to the as-of time of a month so far', async () => {
      // Prepare: the month so far, ten days in
      answer({});
      const asOfMs = OCT.fromMs + 10 * 86_400_000;

      // Act
      await source().readMonth({ ...RANGE, asOfMs });

      // Assess
      const sql = Object.fromEntries(
        queryMock
          .commandCalls(QueryCommand)
          .map((c) => [figureOf(c.args[0].input), c.args[0].input.QueryString ?? '']),
      );
      for (const text of Object.values(sql)) expect(text).toContain('FROM "cell_db"."latest_state"');
      expect(sql.received).toContain(
        `time >= from_milliseconds(${OCT.fromMs}) AND time < from_milliseconds(${OCT.toMs})`,
      );
      expect(sql.posted).toContain("measure_name = 's_aaaaaaaaaa'\n    AND stage = 'posting'");
      expect(sql.open).toContain(`time >= from_milliseconds(0) AND time < from_milliseconds(${asOfMs})`);
      expect(sql.stuck).toContain("WHERE measure_name = 'stuck_state' AND time >= from_milliseconds(0)");
    });

    it('fails naming the figure when a query fails, so no report is built from part of the data', async () => {
      // Prepare
      answer(FULL);
      const posted = reportFigureSql('posted', REPORT_SPEC.figures.posted, TABLE, {
        sinceMs: OCT.fromMs,
        ...OCT,
      });
      queryMock.on(QueryCommand, { QueryString: posted }).rejects(throttled());

      // Act
      const read = source().readMonth(RANGE);

      // Assess
      await expect(read).rejects.toThrow(TimestreamReportError);
      await expect(read).rejects.toThrow(
        'value posted: Timestream query failed: ThrottlingException: Rate exceeded',
      );
    });

    it('fails with the reconciliation when CloudWatch cannot be read', async () => {
      // Prepare
      answer(FULL);
      cloudWatchMock.on(GetMetricDataCommand).rejects(throttled());

      // Act + Assess
      await expect(source().readMonth(RANGE)).rejects.toThrow(ReportReconcileError);
    });

    it.each([
      [
        'money that is not whole minor units',
        { received: [['V-1', 'EUR', '1', '12.5']] },
        'invoices received: row 0 column amount_minor is not whole minor units: "12.5"',
      ],
      [
        'a count that is not a count',
        { posted: [['EUR', 'POSTED', '1e3', '1']] },
        'value posted: row 0 column invoices is not a count: "1e3"',
      ],
      [
        'a missing currency',
        { open: [[null, 'RECEIVED', '1', '1']] },
        'value still open: row 0 column currency has no value',
      ],
      [
        'payment days that are not days',
        { paymentTerms: [['EUR', '-5', '1']] },
        'payment-terms mix: row 0 column payment_terms_days is not whole days: "-5"',
      ],
    ])('refuses %s, naming the figure, row and column', async (_case, rows, message) => {
      // Prepare
      answer({ ...FULL, received: [], ...rows });

      // Act + Assess
      await expect(source().readMonth(RANGE)).rejects.toThrow(message);
    });
  });

  describe('constructor', () => {
    it('refuses a table name that is not a Timestream name', () => {
      expect(
        () =>
          new TimestreamReportSource({
            client: new TimestreamQueryClient({ region: 'us-east-1' }),
            database: 'cell_db',
            latestTable: 'x',
            spec: REPORT_SPEC,
            topology: CELL_TOPOLOGY,
            reconciler: reconciler(),
          }),
      ).toThrow('Timestream table name "x" is not valid');
    });
  });
});
