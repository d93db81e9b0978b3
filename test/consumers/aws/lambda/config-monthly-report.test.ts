import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { monthlyReportConfigFrom } from '../../../../consumers/aws/lambda/config.js';
import { ConfigError, LAMBDA_ENV } from '../../../../consumers/aws/lambda/lambda-env.js';
import { topologyEnvValue } from '../../../../consumers/aws/lambda/topology-env.js';

const SPEC = {
  timeZone: 'Europe/Paris',
  figures: {
    received: { scope: 's_aaaaaaaaaa', stage: 'ingestion' },
    posted: { scope: 's_aaaaaaaaaa', stage: 'posting' },
    paymentTerms: { scope: 's_aaaaaaaaaa', stage: 'ingestion' },
    open: { scope: 's_bbbbbbbbbb' },
  },
};

const QUEUES = {
  ingestion: {
    queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/ingestion.fifo',
    dlqUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/ingestion-dlq.fifo',
  },
};

const ENV: Readonly<Record<string, string>> = {
  [LAMBDA_ENV.cellName]: 'us-east-1',
  [LAMBDA_ENV.region]: 'us-east-1',
  [LAMBDA_ENV.database]: 'cell_db',
  [LAMBDA_ENV.table]: 'latest_state',
  [LAMBDA_ENV.reportBucket]: 'cell-reports',
  [LAMBDA_ENV.reportKeyArn]: 'arn:aws:kms:us-east-1:123456789012:key/k-1',
  [LAMBDA_ENV.reportTopicArn]: 'arn:aws:sns:us-east-1:123456789012:reports',
  [LAMBDA_ENV.reportSpec]: JSON.stringify(SPEC),
  [LAMBDA_ENV.topology]: topologyEnvValue(CELL_TOPOLOGY),
  [LAMBDA_ENV.reportStageQueues]: JSON.stringify(QUEUES),
};

describe('monthlyReportConfigFrom', () => {
  it('reads the report job configuration from the environment contract', () => {
    expect(monthlyReportConfigFrom(ENV)).toEqual({
      cellName: 'us-east-1',
      region: 'us-east-1',
      timeZone: 'Europe/Paris',
      store: { kind: 'timestream', database: 'cell_db', table: 'latest_state', spec: SPEC },
      bucket: 'cell-reports',
      keyArn: 'arn:aws:kms:us-east-1:123456789012:key/k-1',
      topicArn: 'arn:aws:sns:us-east-1:123456789012:reports',
      stageQueues: new Map([['ingestion', QUEUES.ingestion]]),
    });
  });

  it('names a missing variable, and a spec it cannot use', () => {
    const { [LAMBDA_ENV.reportBucket]: _bucket, ...withoutBucket } = ENV;
    expect(() => monthlyReportConfigFrom(withoutBucket)).toThrow(
      'environment variable REPORT_BUCKET is not set',
    );
    expect(() => monthlyReportConfigFrom({ ...ENV, [LAMBDA_ENV.reportSpec]: '{"timeZone":"UTC"}' })).toThrow(
      new ConfigError('environment variable REPORT_SOURCE_SPEC: figures must be an object'),
    );
  });

  it.each([
    ['', 'environment variable REPORT_STAGE_QUEUES is not set'],
    ['{', 'environment variable REPORT_STAGE_QUEUES is not JSON: '],
    ['{}', 'environment variable REPORT_STAGE_QUEUES must be a JSON object of stages, got {}'],
    ['{"shipping":{}}', 'environment variable REPORT_STAGE_QUEUES: "shipping" is not a stage'],
    [
      '{"ingestion":{"queueUrl":"https://sqs.us-east-1.amazonaws.com/1/q.fifo"}}',
      'environment variable REPORT_STAGE_QUEUES: stage ingestion dlqUrl must be an https:// queue URL, got undefined',
    ],
    [
      '{"ingestion":{"queueUrl":"q.fifo","dlqUrl":"https://sqs.us-east-1.amazonaws.com/1/d.fifo"}}',
      'environment variable REPORT_STAGE_QUEUES: stage ingestion queueUrl must be an https:// queue URL, got "q.fifo"',
    ],
  ])('refuses the stage queues %j, saying why', (value, message) => {
    expect(() => monthlyReportConfigFrom({ ...ENV, [LAMBDA_ENV.reportStageQueues]: value })).toThrow(
      ConfigError,
    );
    expect(() => monthlyReportConfigFrom({ ...ENV, [LAMBDA_ENV.reportStageQueues]: value })).toThrow(message);
  });
});
