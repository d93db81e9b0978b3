import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import type { StuckMonitorConfig } from '../../../../consumers/aws/lambda/config.js';
import {
  createStuckMonitorHandler,
  defaultStuckMonitorDeps,
} from '../../../../consumers/aws/lambda/create-stuck-monitor-handler.js';
import { topologyEnvValue } from '../../../../consumers/aws/lambda/topology-env.js';
import { TimestreamStuckReader } from '../../../../consumers/aws/timestream-stuck-reader.js';
import {
  MONITOR_METRIC_SERVICE,
  MONITOR_METRICS_NAMESPACE,
} from '../../../../consumers/monitoring/monitor-metrics.js';
import {
  POSTGRESQL_STUCK_COUNTS_SQL,
  POSTGRESQL_STUCK_INVOICES_SQL,
} from '../../../../consumers/postgresql/queries/stuck-state-sql.js';
import { lambdaContext } from '../../support/builders.js';
import { captureOutput, metricValues } from '../../support/capture-output.js';
import { queryPage } from '../../support/timestream-fakes.js';

const queryMock = mockClient(TimestreamQueryClient);
const snsMock = mockClient(SNSClient);
const rdsMock = mockClient(RDSDataClient);

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const MIN = 60_000;
const ALERT_TOPIC = 'arn:aws:sns:us-east-1:123456789012:warning-alerts';
const COLUMNS = ['invoice_id', 'stage', 'status', 'time_ms', 'vendor_id'] as const;
const DIMS = ['service', 'stage'];

const CONFIG: StuckMonitorConfig = {
  cellName: 'us-east-1',
  region: 'us-east-1',
  store: { kind: 'timestream', database: 'invoices', table: 'events' },
  alertTopicArn: ALERT_TOPIC,
  lookbackHours: 168,
};

/** One latest-by-invoice row: the invoice entered `stage` `minutesAgo` minutes before NOW. */
function row(invoiceId: string, stage: string, minutesAgo: number, status = 'RECEIVED'): (string | null)[] {
  return [invoiceId, stage, status, String(NOW - minutesAgo * MIN), 'V-1'];
}

function buildHandler(maxAlertInvoices?: number) {
  const logger = new Logger({ serviceName: MONITOR_METRIC_SERVICE });
  const metrics = new Metrics({ namespace: MONITOR_METRICS_NAMESPACE, serviceName: MONITOR_METRIC_SERVICE });
  return createStuckMonitorHandler({
    config: CONFIG,
    topology: CELL_TOPOLOGY,
    reader: new TimestreamStuckReader(
      {
        queryClient: new TimestreamQueryClient({ region: 'us-east-1' }),
        database: CONFIG.store.kind === 'timestream' ? CONFIG.store.database : '',
        table: CONFIG.store.kind === 'timestream' ? CONFIG.store.table : '',
        lookbackHours: CONFIG.lookbackHours,
      },
      CELL_TOPOLOGY,
    ),
    snsClient: new SNSClient({ region: 'us-east-1' }),
    logger,
    metrics,
    ...(maxAlertInvoices !== undefined ? { maxAlertInvoices } : {}),
  });
}

describe('stuck monitor handler', () => {
  let output: ReturnType<typeof captureOutput>;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    output = captureOutput();
  });

  afterEach(() => {
    output.restore();
    queryMock.reset();
    snsMock.reset();
    rdsMock.reset();
    vi.useRealTimers();
  });

  describe('createStuckMonitorHandler', () => {
    it('reads every query page, publishes StuckInvoices per stage and alerts with the stuck invoices', async () => {
      // Prepare: two pages (the first ends with a token), one invoice stuck at ingestion (SLA 15 min),
      // one at authorization (SLA 4 h), one still inside its SLA
      queryMock
        .on(QueryCommand)
        .resolvesOnce(queryPage(COLUMNS, [row('INV-1', 'ingestion', 20)], 'page-2'))
        .resolvesOnce(
          queryPage(COLUMNS, [
            row('INV-2', 'authorization', 5 * 60, 'ESCALATED'),
            row('INV-3', 'reconciliation', 10),
          ]),
        );
      snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });

      // Act
      const result = await buildHandler()({}, lambdaContext());

      // Assess: the second page was asked for with the first page's token
      const queries = queryMock.commandCalls(QueryCommand).map((c) => c.args[0].input);
      expect(queries).toHaveLength(2);
      expect(queries[1]?.NextToken).toBe('page-2');
      // The stuck-state rows of the cell's latest-state table, not the records
      expect(queries[0]?.QueryString).toContain(`measure_name = 'stuck_state'`);
      expect(queries[0]?.QueryString).toContain('time >= ago(168h)');
      expect(result).toEqual({
        rows: 3,
        stuck: 2,
        byStage: { ingestion: 1, reconciliation: 0, authorization: 1 },
        alerted: 2,
      });

      // Assess: one gauge per stage that can have stuck invoices, with exactly {service, stage}
      expect(metricValues(output.emf(), 'StuckInvoices', DIMS)).toEqual([
        { value: 1, dims: { service: MONITOR_METRIC_SERVICE, stage: 'ingestion' } },
        { value: 0, dims: { service: MONITOR_METRIC_SERVICE, stage: 'reconciliation' } },
        { value: 1, dims: { service: MONITOR_METRIC_SERVICE, stage: 'authorization' } },
      ]);
      expect(
        output.emf().every((blob) => blob._aws.CloudWatchMetrics[0].Namespace === 'InvoicePlatform'),
      ).toBe(true);

      // Assess: one alert to the warning topic naming both invoices, their stage and age
      const published = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
      expect(published).toHaveLength(1);
      expect(published[0]?.TopicArn).toBe(ALERT_TOPIC);
      expect(published[0]?.Subject).toBe('[warning] 2 stuck invoices past SLA in cell us-east-1');
      expect(published[0]?.Message).toContain('INV-2  authorization -> posting  age 5h (SLA 4h, overdue 1h)');
      expect(published[0]?.Message).toContain(
        'INV-1  ingestion -> reconciliation  age 20m (SLA 15m, overdue 5m)',
      );
      expect(published[0]?.Message).not.toContain('INV-3');
    });

    it('publishes zeros and no alert when nothing is stuck', async () => {
      // Prepare
      queryMock.on(QueryCommand).resolves(queryPage(COLUMNS, [row('INV-3', 'reconciliation', 10)]));

      // Act
      const result = await buildHandler()({}, lambdaContext());

      // Assess
      expect(result.stuck).toBe(0);
      expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
      expect(metricValues(output.emf(), 'StuckInvoices', DIMS).map((m) => m.value)).toEqual([0, 0, 0]);
    });

    it('ignores invoices that ended with a terminal status at their stage', async () => {
      // Prepare: rejected at ingestion an hour ago: finished, not stuck
      queryMock.on(QueryCommand).resolves(queryPage(COLUMNS, [row('INV-4', 'ingestion', 60, 'REJECTED')]));

      // Act
      const result = await buildHandler()({}, lambdaContext());

      // Assess
      expect(result.stuck).toBe(0);
      expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    });

    it('names at most the configured number of invoices and counts the rest', async () => {
      // Prepare: 30 stuck invoices
      const rows = Array.from({ length: 30 }, (_, i) => row(`INV-${100 + i}`, 'ingestion', 30 + i));
      queryMock.on(QueryCommand).resolves(queryPage(COLUMNS, rows));
      snsMock.on(PublishCommand).resolves({ MessageId: 'm-2' });

      // Act
      const result = await buildHandler(5)({}, lambdaContext());

      // Assess: the five most overdue, oldest first
      const message = snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
      expect(result.alerted).toBe(5);
      expect(message).toContain('Most overdue first (showing 5 of 30):');
      expect(message).toContain('INV-129');
      expect(message).not.toContain('INV-124');
    });

    it('fails the invocation, publishing no metric, when the query fails', async () => {
      // Prepare
      queryMock.on(QueryCommand).rejects(new Error('AccessDeniedException: not authorized'));

      // Act
      const run = buildHandler()({}, lambdaContext());

      // Assess: no metric means INSUFFICIENT_DATA for the stuck alarms, not a false "0 stuck"
      await expect(run).rejects.toThrow('not authorized');
      expect(metricValues(output.emf(), 'StuckInvoices', DIMS)).toEqual([]);
      expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    });
  });

  describe('defaultStuckMonitorDeps', () => {
    it('reads the configuration from the environment and refuses a missing alert topic', () => {
      // Prepare
      const env = {
        CELL_NAME: 'us-east-1',
        AWS_REGION: 'us-east-1',
        TIMESTREAM_DATABASE: 'invoices',
        TIMESTREAM_TABLE: 'events',
        ALERT_TOPIC_ARN: ALERT_TOPIC,
        STUCK_LOOKBACK_HOURS: '168',
        CELL_TOPOLOGY: topologyEnvValue(CELL_TOPOLOGY),
      };

      // Act
      const deps = defaultStuckMonitorDeps(env);

      // Assess
      expect(deps.config).toEqual(CONFIG);
      expect(deps.topology).toEqual(CELL_TOPOLOGY);
      expect(() => defaultStuckMonitorDeps({ ...env, ALERT_TOPIC_ARN: '' })).toThrow(
        'environment variable ALERT_TOPIC_ARN is not set',
      );
      expect(() => defaultStuckMonitorDeps({ ...env, STUCK_LOOKBACK_HOURS: '0' })).toThrow(
        'STUCK_LOOKBACK_HOURS must be a positive integer',
      );
    });
  });
  describe('on an Aurora cell', () => {
    const AURORA = {
      resourceArn: 'arn:aws:rds:us-west-1:123456789012:cluster:invoices',
      secretArn: 'arn:aws:secretsmanager:us-west-1:123456789012:secret:invoices-abc',
      database: 'invoices',
    };
    const ENV = {
      CELL_NAME: 'us-west-1',
      AWS_REGION: 'us-west-1',
      STORE_KIND: 'aurora-postgresql',
      AURORA_CLUSTER_ARN: AURORA.resourceArn,
      AURORA_SECRET_ARN: AURORA.secretArn,
      AURORA_DATABASE: AURORA.database,
      ALERT_TOPIC_ARN: ALERT_TOPIC,
      STUCK_LOOKBACK_HOURS: '168',
      CELL_TOPOLOGY: topologyEnvValue(CELL_TOPOLOGY),
    };
    const long = (n: number) => ({ longValue: n });
    const text = (v: string) => ({ stringValue: v });

    it('reads the store from the Aurora environment, with no Timestream table', () => {
      // Act
      const deps = defaultStuckMonitorDeps(ENV);

      // Assess
      expect(deps.config.store).toEqual({ kind: 'aurora-postgresql', ...AURORA });
      expect(() => defaultStuckMonitorDeps({ ...ENV, AURORA_SECRET_ARN: 'nope' })).toThrow(
        'AURORA_SECRET_ARN must be a Secrets Manager secret ARN',
      );
    });

    it('counts and lists the overdue invoice states through the Data API, then alerts', async () => {
      // Prepare: 2 stuck at ingestion and 1 at authorization; the list names the most overdue
      rdsMock
        .on(ExecuteStatementCommand, { sql: POSTGRESQL_STUCK_COUNTS_SQL })
        .resolves({
          columnMetadata: [{ label: 'stage_order' }, { label: 'n' }],
          records: [
            [long(0), text('2')],
            [long(2), text('1')],
          ],
        })
        .on(ExecuteStatementCommand, { sql: POSTGRESQL_STUCK_INVOICES_SQL })
        .resolves({
          columnMetadata: ['invoice_id', 'stage_order', 'status', 'entered_ms', 'vendor_id'].map((label) => ({
            label,
          })),
          records: [
            [text('INV-2'), long(2), text('ESCALATED'), text(String(NOW - 5 * 60 * MIN)), text('V-1')],
            [text('INV-1'), long(0), text('RECEIVED'), text(String(NOW - 20 * MIN)), text('V-1')],
          ],
        });
      snsMock.on(PublishCommand).resolves({ MessageId: 'm-3' });
      const deps = defaultStuckMonitorDeps(ENV);

      // Act
      const result = await createStuckMonitorHandler(deps)({}, lambdaContext());

      // Assess: the counts (all of them), then the list, on this cluster with this secret
      const calls = rdsMock.commandCalls(ExecuteStatementCommand).map((c) => c.args[0].input);
      expect(calls.map((c) => c.sql)).toEqual([POSTGRESQL_STUCK_COUNTS_SQL, POSTGRESQL_STUCK_INVOICES_SQL]);
      const lookbackStart = NOW - 168 * 3_600_000;
      expect(calls[0]).toMatchObject({
        ...AURORA,
        parameters: [
          { name: 'now_ms', value: { longValue: NOW } },
          { name: 'entered_from_ms', value: { longValue: lookbackStart } },
          // The shortest SLA (ingestion, 15 min) past the look-back start
          { name: 'deadline_from_ms', value: { longValue: lookbackStart + 15 * MIN } },
        ],
      });
      expect(calls[1]?.parameters?.slice(3)).toEqual([
        { name: 'stage_order', value: { isNull: true } },
        { name: 'limit', value: { longValue: 1_000 } },
      ]);
      expect(result).toEqual({
        rows: 2,
        stuck: 3,
        byStage: { ingestion: 2, reconciliation: 0, authorization: 1 },
        alerted: 2,
      });
      expect(metricValues(output.emf(), 'StuckInvoices', DIMS).map((m) => m.value)).toEqual([2, 0, 1]);
      const published = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
      expect(published?.Subject).toBe('[warning] 3 stuck invoices past SLA in cell us-west-1');
      expect(published?.Message).toContain('  ingestion: 2 (SLA 15m)');
      expect(published?.Message).toContain('Most overdue first (showing 2 of 3):');
    });

    it('publishes zeros without listing when the counts are all 0', async () => {
      // Prepare
      rdsMock.on(ExecuteStatementCommand).resolves({ columnMetadata: [], records: [] });

      // Act
      const result = await createStuckMonitorHandler(defaultStuckMonitorDeps(ENV))({}, lambdaContext());

      // Assess
      expect(result.stuck).toBe(0);
      expect(rdsMock.commandCalls(ExecuteStatementCommand)).toHaveLength(1);
      expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
      expect(metricValues(output.emf(), 'StuckInvoices', DIMS).map((m) => m.value)).toEqual([0, 0, 0]);
    });
  });
});
