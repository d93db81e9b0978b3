import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import {
  ConfigError,
  LAMBDA_ENV,
  monthlyReportConfigFrom,
  topologyEnvValue,
} from '../../../../consumers/aws/lambda/config.js';

const SPEC = {
  timeZone: 'Europe/Paris',
  figures: {
    received: { scope: 's_aaaaaaaaaa', stage: 'ingestion' },
    posted: { scope: 's_aaaaaaaaaa', stage: 'posting' },
    paymentTerms: { scope: 's_aaaaaaaaaa', stage: 'ingestion' },
    open: { scope: 's_bbbbbbbbbb' },
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
};

describe('monthlyReportConfigFrom', () => {
  it('reads the report job configuration from the environment contract', () => {
    expect(monthlyReportConfigFrom(ENV)).toEqual({
      cellName: 'us-east-1',
      region: 'us-east-1',
      database: 'cell_db',
      table: 'latest_state',
      bucket: 'cell-reports',
      keyArn: 'arn:aws:kms:us-east-1:123456789012:key/k-1',
      topicArn: 'arn:aws:sns:us-east-1:123456789012:reports',
      spec: SPEC,
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
});
