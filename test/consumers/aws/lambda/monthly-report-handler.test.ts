import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  QueryCommand,
  type QueryCommandInput,
  TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { MetricReportReconciler } from '../../../../consumers/aws/aws-report-reconcile.js';
import type {
  MonthlyReportConfig,
  TimestreamReportStoreConfig,
} from '../../../../consumers/aws/lambda/config.js';
import {
  createMonthlyReportHandler,
  defaultMonthlyReportDeps,
  MONTHLY_REPORT_SERVICE,
} from '../../../../consumers/aws/lambda/create-monthly-report-handler.js';
import { ConfigError, LAMBDA_ENV } from '../../../../consumers/aws/lambda/lambda-env.js';
import { MonthlyReportEventError } from '../../../../consumers/aws/lambda/monthly-report-notice.js';
import { topologyEnvValue } from '../../../../consumers/aws/lambda/topology-env.js';
import { S3ObjectWriter } from '../../../../consumers/aws/s3-object-writer.js';
import {
  TimestreamReportError,
  TimestreamReportSource,
} from '../../../../consumers/aws/timestream-report-source.js';
import type { MonthlyReport } from '../../../../consumers/reports/monthly-report.js';
import { REPORT_CONTENT_TYPES } from '../../../../consumers/reports/render-report.js';
import { lambdaContext } from '../../support/builders.js';
import { captureOutput } from '../../support/capture-output.js';
import { depthAnswer, fakeQueueUrl, fakeStageQueues, metricAnswer } from '../../support/metric-fakes.js';
import { queryPage, throttled } from '../../support/timestream-fakes.js';

const queryMock = mockClient(TimestreamQueryClient);
const snsMock = mockClient(SNSClient);
const cloudWatchMock = mockClient(CloudWatchClient);
const sqsMock = mockClient(SQSClient);

const NOW = Date.parse('2026-11-01T01:10:30Z');
const BUCKET = 'invoicecell-reports-abc123';
const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:InvoiceCell-MonthlyReportTopic';

const STORE: TimestreamReportStoreConfig = {
  kind: 'timestream',
  database: 'cell_db',
  table: 'latest_state',
  spec: {
    timeZone: 'UTC',
    figures: {
      received: { scope: 's_aaaaaaaaaa', stage: 'ingestion' },
      posted: { scope: 's_aaaaaaaaaa', stage: 'posting' },
      paymentTerms: { scope: 's_aaaaaaaaaa', stage: 'ingestion' },
      open: { scope: 's_bbbbbbbbbb' },
    },
  },
};

const CONFIG: MonthlyReportConfig = {
  cellName: 'us-east-1',
  region: 'us-east-1',
  timeZone: 'UTC',
  store: STORE,
  bucket: BUCKET,
  keyArn: KEY_ARN,
  topicArn: TOPIC,
  stageQueues: fakeStageQueues(CELL_TOPOLOGY.stages.map((s) => s.name)),
};

/** Figures chosen to be recognisable if they ever leaked into the notice. */
const FIGURES: Readonly<Record<string, { columns: string[]; rows: (string | null)[][] }>> = {
  received: {
    columns: ['vendor_id', 'currency', 'invoices', 'amount_minor'],
    rows: [['V-ACME', 'EUR', '17', '987654']],
  },
  posted: {
    columns: ['currency', 'status', 'invoices', 'amount_minor'],
    rows: [['EUR', 'POSTED', '13', '456789']],
  },
  paymentTerms: { columns: ['currency', 'payment_terms_days', 'invoices'], rows: [['EUR', '45', '17']] },
  open: {
    columns: ['currency', 'status', 'invoices', 'amount_minor'],
    rows: [['EUR', 'APPROVED', '4', '530865']],
  },
  stuck: { columns: ['invoice_id', 'stage', 'status', 'time_ms', 'vendor_id'], rows: [] },
};

function figureOf(input: QueryCommandInput): string {
  const sql = input.QueryString ?? '';
  if (sql.includes("'stuck_state'")) return 'stuck';
  if (sql.includes('AS vendor_id')) return 'received';
  if (sql.includes('AS payment_terms_days')) return 'paymentTerms';
  return sql.includes("stage = 'posting'") ? 'posted' : 'open';
}

interface Put {
  /** Where the object lands, as its virtual-hosted URL. */
  readonly url: string;
  /** The PutObject parameters that set headers, by header name. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

const s3Client = mockClient(S3Client);

/** The S3 side: records every PutObject; `failOn` makes S3 refuse that key (500 InternalError). */
function s3(failOn?: string): { writer: S3ObjectWriter; puts: Put[] } {
  const puts: Put[] = [];
  s3Client.reset();
  s3Client.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
    const key = input.Key ?? '';
    if (failOn && key.endsWith(failOn)) {
      throw new S3ServiceException({
        name: 'InternalError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
        message: 'We encountered an internal error.',
      });
    }
    puts.push({
      url: `https://${input.Bucket}.s3.us-east-1.amazonaws.com/${key}`,
      headers: {
        'content-type': input.ContentType ?? '',
        'x-amz-server-side-encryption': input.ServerSideEncryption ?? '',
        'x-amz-server-side-encryption-aws-kms-key-id': input.SSEKMSKeyId ?? '',
      },
      body: Buffer.from(input.Body as Uint8Array).toString('utf8'),
    });
    return {};
  });
  const writer = new S3ObjectWriter({
    client: new S3Client({ region: 'us-east-1' }),
    bucket: BUCKET,
    kmsKeyArn: KEY_ARN,
  });
  return { writer, puts };
}

function buildHandler(writer: S3ObjectWriter) {
  return createMonthlyReportHandler({
    config: CONFIG,
    source: new TimestreamReportSource({
      client: new TimestreamQueryClient({ region: 'us-east-1' }),
      database: STORE.database,
      latestTable: STORE.table,
      spec: STORE.spec,
      topology: CELL_TOPOLOGY,
      reconciler: new MetricReportReconciler({
        cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
        sqs: new SQSClient({ region: 'us-east-1' }),
        topology: CELL_TOPOLOGY,
        queues: CONFIG.stageQueues,
        now: () => NOW,
      }),
    }),
    writer,
    snsClient: new SNSClient({ region: 'us-east-1' }),
    logger: new Logger({ serviceName: MONTHLY_REPORT_SERVICE }),
    now: () => NOW,
  });
}

describe('monthly report handler', () => {
  let output: ReturnType<typeof captureOutput>;

  beforeEach(() => {
    output = captureOutput();
    queryMock.on(QueryCommand).callsFake((input: QueryCommandInput) => {
      const figure = FIGURES[figureOf(input)];
      return queryPage(figure?.columns ?? [], figure?.rows ?? []);
    });
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    // Ingestion: 17 relayed, 16 stored, 1 in its DLQ; nothing else relayed.
    cloudWatchMock
      .on(GetMetricDataCommand)
      .callsFake(metricAnswer([{ relayed: [10, 7], processed: [9, 7] }]));
    sqsMock
      .on(GetQueueAttributesCommand)
      .callsFake(depthAnswer({ [fakeQueueUrl('ingestion', 'dlq')]: [0, 1] }));
  });

  afterEach(() => {
    output.restore();
    queryMock.reset();
    snsMock.reset();
    cloudWatchMock.reset();
    sqsMock.reset();
  });

  describe('createMonthlyReportHandler', () => {
    it('writes the scheduled month three ways, encrypted under the report key, then publishes where they are', async () => {
      // Prepare
      const { writer, puts } = s3();

      // Act: Scheduler's input, the run delivered half a minute late
      const result = await buildHandler(writer)({ scheduledTime: '2026-11-01T01:10:00Z' }, lambdaContext());

      // Assess: one object per format, each with its content type and SSE-KMS under the report key
      const base = `https://${BUCKET}.s3.us-east-1.amazonaws.com/reports/2026-10`;
      expect(puts.map((p) => [p.url, p.headers['content-type']])).toEqual([
        [`${base}.html`, REPORT_CONTENT_TYPES.html],
        [`${base}.json`, REPORT_CONTENT_TYPES.json],
        [`${base}.csv`, REPORT_CONTENT_TYPES.csv],
      ]);
      for (const put of puts) {
        expect(put.headers['x-amz-server-side-encryption']).toBe('aws:kms');
        expect(put.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(KEY_ARN);
      }
      // Assess: the JSON is the report of October, its money exact, built from the store
      const report = JSON.parse(puts[1]?.body ?? '{}') as MonthlyReport;
      expect(report).toMatchObject({ month: '2026-10', cell: 'us-east-1', monthComplete: true });
      expect(report.currencies[0]?.received).toEqual({
        invoices: 17,
        value: { value: '9876.54', minor: '987654' },
      });
      expect(report.currencies[0]?.open.value.minor).toBe('530865');
      expect(puts[2]?.body).toContain('987654');
      expect(puts[0]?.body).toContain('<html');
      // Assess: the approximate reconciliation of the month, from CloudWatch and the queues
      expect(report.reconciliation?.stages[0]).toEqual({
        stage: 'ingestion',
        accepted: 17,
        stored: 16,
        inDlqNow: 1,
        inFlightNow: 0,
        missing: 0,
        unexpected: 0,
        balanced: true,
      });
      expect(report.reconciliation).toMatchObject({ complete: true, balanced: true });
      expect(report.notes.join('\n')).toContain('reconciliation: approximate');
      expect(report.notes.join('\n')).not.toContain('no reconciliation counters');
      const metrics = cloudWatchMock.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
      expect([metrics?.StartTime, metrics?.EndTime]).toEqual([
        new Date('2026-10-01T00:00:00Z'),
        new Date('2026-11-01T00:00:00Z'),
      ]);
      expect(result).toMatchObject({ month: '2026-10', reason: 'scheduled', messageId: 'm-1' });
    });

    it('tells the topic the month, the cell and the links, and never a figure', async () => {
      // Act
      await buildHandler(s3().writer)({ scheduledTime: '2026-11-01T01:10:00Z' }, lambdaContext());

      // Assess
      const published = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
      expect(published).toHaveLength(1);
      expect(published[0]?.TopicArn).toBe(TOPIC);
      expect(published[0]?.Subject).toBe('Invoice cell us-east-1: monthly report 2026-10 is ready');
      const message = published[0]?.Message ?? '';
      expect(message).toContain(`s3://${BUCKET}/reports/2026-10.html`);
      expect(message).toContain(
        `https://s3.console.aws.amazon.com/s3/object/${BUCKET}?region=us-east-1&prefix=reports%2F2026-10.csv`,
      );
      for (const figure of [
        '987654',
        '9876.54',
        '456789',
        '4567.89',
        '530865',
        '5308.65',
        'V-ACME',
        'EUR',
        '17',
        '45',
      ]) {
        expect(message, figure).not.toContain(figure);
      }
    });

    it('builds a month again on request and says so', async () => {
      // Prepare
      const { writer, puts } = s3();

      // Act
      const result = await buildHandler(writer)({ month: '2026-09' }, lambdaContext());

      // Assess
      expect(puts.map((p) => p.url.slice(p.url.lastIndexOf('/') + 1))).toEqual([
        '2026-09.html',
        '2026-09.json',
        '2026-09.csv',
      ]);
      expect(result.reason).toBe('requested');
      expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Subject).toBe(
        'Invoice cell us-east-1: monthly report 2026-09 was built again',
      );
    });

    it('reports the month before now when the event names none', async () => {
      const result = await buildHandler(s3().writer)({}, lambdaContext());
      expect(result.month).toBe('2026-10');
    });

    it.each([
      [{ month: '2026-13' }, 'event month must be YYYY-MM like 2026-10, got "2026-13"'],
      [{ month: 202610 }, 'event month must be a YYYY-MM text like 2026-10, got 202610'],
      [
        { scheduledTime: 'yesterday' },
        'event scheduledTime must be an RFC 3339 time like 2026-11-01T00:05:00Z, got "yesterday"',
      ],
    ])('refuses %j naming the field, and writes and publishes nothing', async (event, message) => {
      // Prepare
      const { writer, puts } = s3();

      // Act
      const run = buildHandler(writer)(event, lambdaContext());

      // Assess
      await expect(run).rejects.toThrow(MonthlyReportEventError);
      await expect(run).rejects.toThrow(message);
      expect(puts).toEqual([]);
      expect(snsMock.commandCalls(PublishCommand)).toEqual([]);
    });

    it('writes and publishes nothing when the store cannot be read', async () => {
      // Prepare
      queryMock.on(QueryCommand).rejects(throttled());
      const { writer, puts } = s3();

      // Act + Assess
      await expect(buildHandler(writer)({}, lambdaContext())).rejects.toThrow(TimestreamReportError);
      expect(puts).toEqual([]);
      expect(snsMock.commandCalls(PublishCommand)).toEqual([]);
    });

    it('publishes nothing when an object cannot be written', async () => {
      // Prepare
      const { writer } = s3('2026-10.json');

      // Act + Assess
      await expect(buildHandler(writer)({}, lambdaContext())).rejects.toThrow(
        `PutObject reports/2026-10.json to bucket ${BUCKET}: HTTP 500 InternalError`,
      );
      expect(snsMock.commandCalls(PublishCommand)).toEqual([]);
    });
  });
});

describe('defaultMonthlyReportDeps', () => {
  const env: Readonly<Record<string, string>> = {
    [LAMBDA_ENV.cellName]: CONFIG.cellName,
    [LAMBDA_ENV.region]: CONFIG.region,
    [LAMBDA_ENV.database]: STORE.database,
    [LAMBDA_ENV.table]: STORE.table,
    [LAMBDA_ENV.reportBucket]: BUCKET,
    [LAMBDA_ENV.reportKeyArn]: KEY_ARN,
    [LAMBDA_ENV.reportTopicArn]: TOPIC,
    [LAMBDA_ENV.reportSpec]: JSON.stringify(STORE.spec),
    [LAMBDA_ENV.topology]: topologyEnvValue(CELL_TOPOLOGY),
    [LAMBDA_ENV.reportStageQueues]: JSON.stringify(Object.fromEntries(CONFIG.stageQueues)),
  };

  it('builds the production dependencies from a complete environment, and fails the cold start otherwise', () => {
    const deps = defaultMonthlyReportDeps(env);
    expect(deps.config).toEqual(CONFIG);
    expect(deps.writer.bucket).toBe(BUCKET);
    expect(() => defaultMonthlyReportDeps({ ...env, [LAMBDA_ENV.topology]: '' })).toThrow(ConfigError);
  });

  it('fails the cold start when a stage of the topology has no queues', () => {
    const { posting: _posting, ...others } = Object.fromEntries(CONFIG.stageQueues);
    expect(() =>
      defaultMonthlyReportDeps({ ...env, [LAMBDA_ENV.reportStageQueues]: JSON.stringify(others) }),
    ).toThrow(new ConfigError('environment variable REPORT_STAGE_QUEUES has no queues for stage posting'));
  });
});
