import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  type ExecuteStatementCommandInput,
  RDSDataClient,
  RollbackTransactionCommand,
} from '@aws-sdk/client-rds-data';
import { PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY, type CellTopology } from '../../../../cells/topology.js';
import {
  createMonthlyReportHandler,
  defaultMonthlyReportDeps,
} from '../../../../consumers/aws/lambda/create-monthly-report-handler.js';
import { ConfigError, LAMBDA_ENV } from '../../../../consumers/aws/lambda/lambda-env.js';
import { topologyEnvValue } from '../../../../consumers/aws/lambda/topology-env.js';
import {
  PostgresReportSource,
  REPORT_SNAPSHOT_SQL,
  REPORT_VENDOR_NAMES_SQL,
} from '../../../../consumers/postgresql/report-source.js';
import type { MonthlyReport } from '../../../../consumers/reports/monthly-report.js';
import { REPORT_PANEL_IDS } from '../../../../dashboards/panels/report-panels.js';
import { cellRollups } from '../../../../dashboards/rollups/cell-rollups.js';
import { lambdaContext } from '../../support/builders.js';
import { captureOutput } from '../../support/capture-output.js';
import { depthAnswer, fakeStageQueues, metricAnswer } from '../../support/metric-fakes.js';

/**
 * The report job of an Aurora cell: the environment names the Aurora store (as the processor's
 * does), the job reads the PostgreSQL rollups and invoice state through the RDS Data API (one
 * read-only transaction, this cluster and secret), and never calls Timestream.
 */

const dataApi = mockClient(RDSDataClient);
const timestream = mockClient(TimestreamQueryClient);
const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const cloudWatch = mockClient(CloudWatchClient);
const sqs = mockClient(SQSClient);

const NOW = Date.parse('2026-11-01T00:10:30Z');
const CLUSTER = 'arn:aws:rds:us-west-1:123456789012:cluster:cell-aurora';
const SECRET = 'arn:aws:secretsmanager:us-west-1:123456789012:secret:cell-aurora-AbCdEf';
const TOPOLOGY: CellTopology = {
  ...CELL_TOPOLOGY,
  settings: { ...CELL_TOPOLOGY.settings, timeZone: 'Asia/Kolkata' },
};
const QUEUES = fakeStageQueues(CELL_TOPOLOGY.stages.map((s) => s.name));

const ENV: Readonly<Record<string, string>> = {
  [LAMBDA_ENV.cellName]: 'us-west-1',
  [LAMBDA_ENV.region]: 'us-west-1',
  [LAMBDA_ENV.storeKind]: 'aurora-postgresql',
  [LAMBDA_ENV.auroraClusterArn]: CLUSTER,
  [LAMBDA_ENV.auroraSecretArn]: SECRET,
  [LAMBDA_ENV.auroraDatabase]: 'invoices',
  [LAMBDA_ENV.reportBucket]: 'cell-reports',
  [LAMBDA_ENV.reportKeyArn]: 'arn:aws:kms:us-west-1:123456789012:key/k-1',
  [LAMBDA_ENV.reportTopicArn]: 'arn:aws:sns:us-west-1:123456789012:reports',
  [LAMBDA_ENV.topology]: topologyEnvValue(TOPOLOGY),
  [LAMBDA_ENV.reportStageQueues]: JSON.stringify(Object.fromEntries(QUEUES)),
};

/** The rollup that serves the received-by-vendor figure, and one stored row of it (past 2^53). */
const RECEIVED = cellRollups(TOPOLOGY).specs.find((s) =>
  s.panelIds.includes(REPORT_PANEL_IDS.receivedByVendor),
);
const RECEIVED_MINOR = '90071992547409930';

function param(input: ExecuteStatementCommandInput, name: string): unknown {
  const value = input.parameters?.find((p) => p.name === name)?.value;
  return value?.stringValue ?? value?.longValue;
}

/** The Data API of a cell with one received row in the month and two invoices stuck at ingestion. */
function auroraAnswers(): void {
  let receivedServed = false;
  dataApi.on(BeginTransactionCommand).resolves({ transactionId: 'tx-report' });
  dataApi.on(CommitTransactionCommand).resolves({ transactionStatus: 'Transaction Committed' });
  dataApi.on(RollbackTransactionCommand).resolves({ transactionStatus: 'Rollback Complete' });
  dataApi.on(ExecuteStatementCommand).callsFake((input: ExecuteStatementCommandInput) => {
    const sql = input.sql ?? '';
    if (sql.includes('FROM invoice_state')) {
      return {
        columnMetadata: [{ label: 'stage_order' }, { label: 'n' }],
        records: [[{ stringValue: '0' }, { stringValue: '2' }]],
      };
    }
    if (sql.includes('FROM rollup_rows') && param(input, 'spec_id') === RECEIVED?.id && !receivedServed) {
      receivedServed = true;
      const keyValues = (RECEIVED?.keys ?? []).map((k) =>
        k === 'vendorId' ? 'V-ACME' : k === 'currency' ? 'EUR' : null,
      );
      return {
        columnMetadata: ['bin_start_ms', 'key_values', 'bucket', 'count', 'money_minor', 'value_sum'].map(
          (label) => ({ label }),
        ),
        records: [
          [
            { stringValue: String(param(input, 'from_ms')) },
            { stringValue: JSON.stringify(keyValues) },
            { stringValue: '0' },
            { stringValue: '17' },
            { stringValue: RECEIVED_MINOR },
            { stringValue: '0' },
          ],
        ],
      };
    }
    return { columnMetadata: [], records: [] };
  });
}

describe('monthly report handler on an Aurora cell', () => {
  let output: ReturnType<typeof captureOutput>;
  let puts: PutObjectCommandInput[];

  beforeEach(() => {
    output = captureOutput();
    puts = [];
    auroraAnswers();
    s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
      puts.push(input);
      return { ETag: '"e"', VersionId: 'v1' };
    });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    cloudWatch.on(GetMetricDataCommand).callsFake(metricAnswer([]));
    sqs.on(GetQueueAttributesCommand).callsFake(depthAnswer());
  });

  afterEach(() => {
    output.restore();
    for (const mock of [dataApi, timestream, s3, sns, cloudWatch, sqs]) mock.reset();
  });

  describe('defaultMonthlyReportDeps', () => {
    it('chooses the PostgreSQL source from the store kind, with the months in the topology’s zone', () => {
      // Act
      const deps = defaultMonthlyReportDeps(ENV);

      // Assess
      expect(deps.source).toBeInstanceOf(PostgresReportSource);
      expect(deps.config.timeZone).toBe('Asia/Kolkata');
      expect(deps.config.store).toEqual({
        kind: 'aurora-postgresql',
        resourceArn: CLUSTER,
        secretArn: SECRET,
        database: 'invoices',
      });
    });

    it('fails the cold start when the Aurora store is not named, and needs no Timestream variable', () => {
      const { [LAMBDA_ENV.auroraSecretArn]: _secret, ...withoutSecret } = ENV;
      expect(() => defaultMonthlyReportDeps(withoutSecret)).toThrow(
        new ConfigError(`environment variable ${LAMBDA_ENV.auroraSecretArn} is not set`),
      );
      expect(ENV[LAMBDA_ENV.database]).toBeUndefined();
      expect(ENV[LAMBDA_ENV.reportSpec]).toBeUndefined();
    });
  });

  describe('createMonthlyReportHandler', () => {
    it('builds the month from the Data API in one read-only transaction on this cluster and secret', async () => {
      // Prepare
      const handler = createMonthlyReportHandler({ ...defaultMonthlyReportDeps(ENV), now: () => NOW });

      // Act: the schedule of 1 November in Kolkata reports October
      const result = await handler({ scheduledTime: '2026-10-31T19:40:00Z' }, lambdaContext());

      // Assess: every statement on this cluster, secret and database, in the one transaction
      const statements = dataApi.commandCalls(ExecuteStatementCommand).map((c) => c.args[0].input);
      expect(statements[0]?.sql).toBe(REPORT_SNAPSHOT_SQL);
      for (const s of statements) {
        expect(s).toMatchObject({
          resourceArn: CLUSTER,
          secretArn: SECRET,
          database: 'invoices',
          transactionId: 'tx-report',
        });
        expect(s.sql).not.toMatch(/\bFROM records\b/);
      }
      expect(dataApi.commandCalls(CommitTransactionCommand)).toHaveLength(1);
      expect(timestream.calls()).toEqual([]);
      // Assess: the report of October in Kolkata, money exact past 2^53, stuck from invoice_state
      expect(result.month).toBe('2026-10');
      const report = JSON.parse(String(puts[1]?.Body)) as MonthlyReport;
      expect(report).toMatchObject({ month: '2026-10', timeZone: 'Asia/Kolkata', cell: 'us-west-1' });
      expect(report.currencies[0]?.received).toEqual({
        invoices: 17,
        value: { value: '900719925474099.30', minor: RECEIVED_MINOR },
      });
      const vendorLookups = dataApi
        .commandCalls(ExecuteStatementCommand)
        .filter((c) => c.args[0].input.sql === REPORT_VENDOR_NAMES_SQL);
      expect(vendorLookups.map((c) => param(c.args[0].input, 'vendor_ids'))).toEqual(['["V-ACME"]']);
      expect(JSON.stringify(report)).toContain('"invoices":2');
      expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    });
  });
});
