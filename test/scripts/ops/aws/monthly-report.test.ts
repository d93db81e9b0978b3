import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/client-timestream-query';
import { describe, expect, it } from 'vitest';
import type { TimestreamReportSpec } from '../../../../consumers/aws/timestream-report-spec.js';
import type { MonthlyReport } from '../../../../consumers/reports/monthly-report.js';
import { CELL_OUTPUT_IDS } from '../../../../stacks/cell-outputs.js';
import { depthAnswer, metricAnswer } from '../../../consumers/support/metric-fakes.js';
import { queryPage, throttled } from '../../../consumers/support/timestream-fakes.js';
import { describeStacks, queueUrl, STACK_NAME, stackOutputs } from '../support/aws-fixtures.js';
import { CELL, cfn, cloudWatch, INGESTION, run, sqs, timestream, useAwsMocks } from '../support/aws-mocks.js';
import { jsonOf } from '../support/run-ops.js';

/**
 * `invoice-ops report --cell`: the month built now from the cell's Timestream latest-state table,
 * found by the stack's outputs, with every AWS client mocked (the CLI runs in-process at
 * 2026-11-22T12:00Z).
 */

useAwsMocks();

const SPEC: TimestreamReportSpec = {
  timeZone: 'UTC',
  figures: {
    received: { scope: 's_aaaaaaaaaa', stage: 'ingestion' },
    posted: { scope: 's_aaaaaaaaaa', stage: 'posting' },
    paymentTerms: { scope: 's_aaaaaaaaaa', stage: 'ingestion' },
    open: { scope: 's_bbbbbbbbbb' },
  },
};
const LATEST_TABLE = 'InvoiceCellLatestState-abc';

/** The stack as described: every output, the report's included unless `without` names one. */
function describeCell(without?: string): void {
  const outputs: Record<string, string> = {
    ...stackOutputs(),
    [CELL_OUTPUT_IDS.timestreamLatestStateTable]: LATEST_TABLE,
    [CELL_OUTPUT_IDS.monthlyReportSpec]: JSON.stringify(SPEC),
  };
  if (without) delete outputs[without];
  cfn.on(DescribeStacksCommand).resolves(describeStacks(outputs));
}

/** Timestream's answers: one received vendor, nothing else; CloudWatch: ingestion relayed 3, stored 2; one in its DLQ. */
function answerQueries(): void {
  cloudWatch.on(GetMetricDataCommand).callsFake(metricAnswer([{ relayed: [2, 1], processed: [2] }]));
  sqs.on(GetQueueAttributesCommand).callsFake(depthAnswer({ [queueUrl(INGESTION, 'dlq')]: [1, 0] }));
  timestream.on(QueryCommand).callsFake((input: QueryCommandInput) =>
    // The received figure's query (the stuck query selects a vendor_id too).
    /AS vendor_id, currency, count\(\*\)/.test(input.QueryString ?? '')
      ? queryPage(['vendor_id', 'currency', 'invoices', 'amount_minor'], [['V-1', 'JPY', '3', '120000']])
      : queryPage([], []),
  );
}

describe('invoice-ops report --cell', () => {
  it("prints the month's report as JSON, built from the latest-state table the stack names", async () => {
    // Prepare
    describeCell();
    answerQueries();

    // Act
    const result = await run(['report', ...CELL, '--month', '2026-10']);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = jsonOf<MonthlyReport>(result);
    expect(report).toMatchObject({
      month: '2026-10',
      cell: 'us-east-1',
      timeZone: 'UTC',
      monthComplete: true,
    });
    expect(report.currencies.map((c) => [c.currency, c.received])).toEqual([
      ['JPY', { invoices: 3, value: { value: '120000', minor: '120000' } }],
    ]);
    const queries = timestream.commandCalls(QueryCommand).map((c) => c.args[0].input.QueryString ?? '');
    expect(queries).toHaveLength(5);
    for (const sql of queries) expect(sql).toContain(`FROM "InvoiceCellDatabase-abc"."${LATEST_TABLE}"`);
    // Assess: the Lambda's approximate reconciliation, from the stage queues the stack names
    expect(report.reconciliation?.stages[0]).toEqual({
      stage: 'ingestion',
      accepted: 3,
      stored: 2,
      inDlqNow: 1,
      inFlightNow: 0,
      missing: 0,
      unexpected: 0,
      balanced: true,
    });
    expect(report.reconciliation?.complete).toBe(true);
    expect(report.notes.join('\n')).toContain('reconciliation: approximate');
    expect(
      cloudWatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries?.[0],
    ).toMatchObject({
      MetricStat: { Period: 3600, Stat: 'Sum' },
    });
  });

  it('prints the month so far in the format asked', async () => {
    // Prepare
    describeCell();
    answerQueries();

    // Act
    const result = await run(['report', ...CELL, '--month', '2026-11', '--format', 'csv']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('JPY');
    expect(result.stdout).not.toMatch(/^\s*\{/);
  });

  it('refuses a month that has not started in the cell, with exit 2 and nothing queried', async () => {
    // Prepare
    describeCell();

    // Act
    const result = await run(['report', ...CELL, '--month', '2026-12']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('month 2026-12 starts at 2026-12-01T00:00:00.000Z (UTC), after now');
    expect(timestream.commandCalls(QueryCommand)).toEqual([]);
  });

  it('asks for a redeploy when the stack predates the report outputs', async () => {
    // Prepare
    describeCell(CELL_OUTPUT_IDS.monthlyReportSpec);

    // Act
    const result = await run(['report', ...CELL, '--month', '2026-10']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${STACK_NAME} has no MonthlyReportSpec output; redeploy the cell with the current CellStack`,
    );
  });

  it('fails with exit 1 naming the call when the reconciliation cannot be read', async () => {
    // Prepare
    describeCell();
    answerQueries();
    cloudWatch.on(GetMetricDataCommand).rejects(throttled());

    // Act
    const result = await run(['report', ...CELL, '--month', '2026-10']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/reconciliation: CloudWatch GetMetricData failed: ThrottlingException/);
    expect(result.stdout).toBe('');
  });

  it('fails with exit 1 naming the figure when Timestream fails', async () => {
    // Prepare
    describeCell();
    answerQueries();
    timestream.on(QueryCommand).rejects(throttled());

    // Act
    const result = await run(['report', ...CELL, '--month', '2026-10']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /monthly report 2026-10 of InvoiceCell-us-east-1 failed: .*Timestream query failed: ThrottlingException/,
    );
    expect(result.stdout).toBe('');
  });
});
