import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  type ExecuteStatementCommandInput,
  type ExecuteStatementCommandOutput,
  type Field,
  RDSDataClient,
} from '@aws-sdk/client-rds-data';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/client-timestream-query';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import type { SqlCell, SqlParameter } from '../../../consumers/postgresql/sql-executor.js';
import type { InvoiceRecord } from '../../../consumers/record.js';
import type { MonthlyReport } from '../../../consumers/reports/report-types.js';
import { AURORA_OUTPUT_IDS, CELL_OUTPUT_IDS } from '../../../stacks/cell-outputs.js';
import { openTestPgStore, type TestPgStore } from '../../consumers/postgresql/support/pg-store.js';
import { recordOf } from '../../dashboards/support/cell-db.js';
import { describeStacks, stackOutputs } from './support/aws-fixtures.js';
import { CELL, cfn, cloudWatch, depth, NOW, run, sqs, timestream, useAwsMocks } from './support/aws-mocks.js';
import { jsonOf } from './support/run-ops.js';

/**
 * `invoice-ops timeline|stuck|reconcile --cell` on an Aurora cell: the stack's `Aurora*` outputs
 * select the store, every statement goes through the RDS Data API (mocked, its requests checked),
 * and each statement is answered by a real PostgreSQL (PGlite) holding the store's tables, written
 * through `PostgresStore` — so the answers are what Aurora would give.
 */

useAwsMocks();
const rdsData = mockClient(RDSDataClient);

const AURORA = {
  resourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:invoicecell-aurora',
  secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:invoicecell-aurora-AbCdEf',
  database: 'invoices',
};
const MIN = 60_000;
const HOUR = 60 * MIN;

/** The stack of an Aurora cell: the Aurora outputs, none of Timestream's. */
function auroraOutputs(): Record<string, string> {
  const {
    [CELL_OUTPUT_IDS.timestreamDatabase]: _db,
    [CELL_OUTPUT_IDS.timestreamTable]: _table,
    ...rest
  } = stackOutputs();
  return {
    ...rest,
    [AURORA_OUTPUT_IDS.clusterArn]: AURORA.resourceArn,
    [AURORA_OUTPUT_IDS.secretArn]: AURORA.secretArn,
    [AURORA_OUTPUT_IDS.database]: AURORA.database,
  };
}

/** A PGlite cell as the Data API returns it (`longReturnType: STRING` leaves no JS number behind). */
function field(value: SqlCell): Field {
  if (value === null) return { isNull: true };
  if (typeof value === 'boolean') return { booleanValue: value };
  if (typeof value === 'number')
    return Number.isInteger(value) ? { longValue: value } : { doubleValue: value };
  return { stringValue: value };
}

/** Answers a Data API ExecuteStatement with PGlite, running the same SQL and typed parameters. */
async function answer(
  pg: TestPgStore,
  input: ExecuteStatementCommandInput,
): Promise<ExecuteStatementCommandOutput> {
  const { rows, updated } = await pg.executor.execute(
    input.sql ?? '',
    (input.parameters ?? []) as unknown as SqlParameter[],
  );
  const labels = rows[0] ? Object.keys(rows[0]) : [];
  return {
    $metadata: {},
    columnMetadata: labels.map((label) => ({ label })),
    records: rows.map((row) => labels.map((label) => field(row[label] ?? null))),
    numberOfRecordsUpdated: updated,
  };
}

const record = (spec: Parameters<typeof recordOf>[0]): InvoiceRecord =>
  recordOf({ cell: 'us-east-1', ...spec });

/** INV-A went through every stage; INV-S entered reconciliation 2 h ago (SLA 1 h) and stayed. */
const RECORDS: InvoiceRecord[] = [
  ...CELL_TOPOLOGY.stages.map((s, i) =>
    record({ eventId: `a-${i}`, invoiceId: 'INV-A', stage: s.name, timeMs: NOW - 10 * HOUR + i * MIN }),
  ),
  record({ eventId: 's-0', invoiceId: 'INV-S', stage: 'ingestion', timeMs: NOW - 3 * HOUR }),
  record({
    eventId: 's-1',
    invoiceId: 'INV-S',
    stage: 'reconciliation',
    timeMs: NOW - 2 * HOUR,
    status: 'MISMATCHED',
  }),
];

describe('invoice-ops against a deployed Aurora cell', () => {
  let pg: TestPgStore;

  beforeAll(async () => {
    pg = await openTestPgStore();
    pg.clock.set(NOW - HOUR);
    const { rejected } = await pg.store.writeRecords(RECORDS);
    expect(rejected).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await pg?.close();
  });

  beforeEach(() => {
    cfn.on(DescribeStacksCommand).resolves(describeStacks(auroraOutputs()));
    rdsData.on(ExecuteStatementCommand).callsFake((input: ExecuteStatementCommandInput) => answer(pg, input));
  });

  afterEach(() => {
    rdsData.reset();
  });

  /** Every Data API request went to the cell's cluster, with its secret and database. */
  function expectCellTarget(): ExecuteStatementCommandInput[] {
    const calls = rdsData.commandCalls(ExecuteStatementCommand).map((c) => c.args[0].input);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call).toMatchObject(AURORA);
    expect(timestream.commandCalls(QueryCommand)).toHaveLength(0);
    return calls;
  }

  describe('timeline', () => {
    it('reads the invoice from PostgresStore through the Data API, in lifecycle order', async () => {
      // Act
      const result = await run(['timeline', 'INV-A', ...CELL, '--json']);

      // Assess
      expect(result.code).toBe(0);
      const body = jsonOf<{ timeline: { stage: string; eventId: string }[] }>(result);
      expect(body.timeline.map((t) => t.stage)).toEqual(CELL_TOPOLOGY.stages.map((s) => s.name));
      const calls = expectCellTarget();
      expect(calls[0]?.parameters).toEqual([{ name: 'invoiceId', value: { stringValue: 'INV-A' } }]);
    });

    it('exits 1 naming the Aurora database when the invoice has no record', async () => {
      // Act
      const result = await run(['timeline', 'INV-NONE', ...CELL]);

      // Assess
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /no stored events for invoice "INV-NONE" in the Aurora database invoices on arn:aws:rds:/,
      );
    });
  });

  describe('stuck', () => {
    it('lists the overdue invoice states from the deadline index', async () => {
      // Prepare
      cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
      sqs.on(GetQueueAttributesCommand).resolves(depth(0));

      // Act
      const result = await run(['stuck', ...CELL, '--json']);

      // Assess
      expect(result.code).toBe(0);
      const report = jsonOf<{
        business: { invoiceId: string; stage: string; status: string; overdueSec: number }[];
        notes: string[];
      }>(result);
      expect(report.business).toEqual([
        expect.objectContaining({
          invoiceId: 'INV-S',
          stage: 'reconciliation',
          status: 'MISMATCHED',
          overdueSec: 3_600,
        }),
      ]);
      expect(report.notes[0]).toMatch(/Aurora invoice_state/);
      const calls = expectCellTarget();
      expect(calls.map((c) => c.sql)).toEqual([expect.stringContaining('FROM invoice_state')]);
    });
  });

  describe('reconcile', () => {
    it('compares the relayed counts with the records Aurora stored in the window', async () => {
      // Prepare: INV-A at every stage, INV-S at the first two; posting relayed one more than stored
      const stored = [2, 2, 1, 1];
      const relayed = [2, 2, 1, 2];
      cloudWatch.on(GetMetricDataCommand).resolves({
        MetricDataResults: CELL_TOPOLOGY.stages.flatMap((_s, i) => [
          { Id: `relayed${i}`, Values: [relayed[i] as number] },
          // Ignored on Aurora: stored is counted in the store
          { Id: `processed${i}`, Values: [99] },
        ]),
      });
      sqs.on(GetQueueAttributesCommand).resolves(depth(0));

      // Act
      const result = await run([
        'reconcile',
        ...CELL,
        '--from',
        new Date(NOW - 11 * HOUR).toISOString(),
        '--to',
        new Date(NOW).toISOString(),
        '--json',
      ]);

      // Assess: posting is one short (accepted 2, stored 1)
      expect(result.code).toBe(1);
      const report = jsonOf<{
        stages: { stage: string; accepted: number; stored: number; gap: number; balanced: boolean }[];
        approximate: boolean;
        notes: string[];
      }>(result);
      expect(report.stages.map((s) => [s.stage, s.accepted, s.stored, s.gap, s.balanced])).toEqual(
        CELL_TOPOLOGY.stages.map((s, i) => [
          s.name,
          relayed[i],
          stored[i],
          (relayed[i] as number) - (stored[i] as number),
          relayed[i] === stored[i],
        ]),
      );
      expect(report.approximate).toBe(true);
      expect(report.notes[0]).toMatch(/records in the Aurora store/);
      const calls = expectCellTarget();
      expect(calls[0]?.parameters).toEqual([
        { name: 'from_ms', value: { longValue: NOW - 11 * HOUR } },
        { name: 'to_ms', value: { longValue: NOW } },
        { name: 'cell', value: { stringValue: 'us-east-1' } },
      ]);
    });
  });

  describe('report', () => {
    it('builds the month from the Aurora tables in one transaction, vendor names included', async () => {
      // Prepare
      rdsData.on(BeginTransactionCommand).resolves({ transactionId: 'tx-report' });
      rdsData.on(CommitTransactionCommand).resolves({ transactionStatus: 'Transaction Committed' });
      cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
      sqs.on(GetQueueAttributesCommand).resolves(depth(0));

      // Act
      const result = await run(['report', ...CELL, '--month', '2026-11']);

      // Assess: INV-A and INV-S were received in November, both from the records' vendor
      expect(result.code).toBe(0);
      const report = jsonOf<MonthlyReport>(result);
      expect(report).toMatchObject({
        month: '2026-11',
        timeZone: 'UTC',
        cell: 'us-east-1',
        monthComplete: false,
      });
      const received = report.currencies.map((c) => [c.currency, c.received.invoices]);
      expect(received).toEqual([[RECORDS[0]?.dimensions.currency, 2]]);
      const vendors = report.currencies[0]?.vendors.top.map((v) => [v.vendorId, v.vendorName]);
      expect(vendors).toEqual([[RECORDS[0]?.dimensions.vendorId, RECORDS[0]?.measures.vendorName]]);
      const calls = expectCellTarget();
      expect(calls.every((c) => c.transactionId === 'tx-report')).toBe(true);
      expect(rdsData.commandCalls(CommitTransactionCommand)).toHaveLength(1);
    });
  });

  describe('outputs', () => {
    it('names the missing output of a half-described Aurora cell', async () => {
      // Prepare
      const { [AURORA_OUTPUT_IDS.secretArn]: _secret, ...partial } = auroraOutputs();
      cfn.on(DescribeStacksCommand).resolves(describeStacks(partial));

      // Act
      const result = await run(['timeline', 'INV-A', ...CELL]);

      // Assess
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/has no output AuroraSecretArn; redeploy the cell/);
      expect(rdsData.commandCalls(ExecuteStatementCommand)).toHaveLength(0);
    });
  });
});
