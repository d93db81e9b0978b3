import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { processorConfigFrom } from '../../../../consumers/aws/lambda/config.js';
import { storeFor } from '../../../../consumers/aws/lambda/create-processor-handler.js';
import { ConfigError, LAMBDA_ENV } from '../../../../consumers/aws/lambda/lambda-env.js';
import { TimestreamStore } from '../../../../consumers/aws/timestream-store.js';
import { PostgresStore } from '../../../../consumers/postgresql/postgres-store.js';

const CLUSTER_ARN = 'arn:aws:rds:us-west-1:111122223333:cluster:invoicecell-uswest1-aurorastorecluster';
const SECRET_ARN = 'arn:aws:secretsmanager:us-west-1:111122223333:secret:AuroraStoreClusterSecret-AbCdEf';
const COMMON = {
  [LAMBDA_ENV.stage]: 'posting',
  [LAMBDA_ENV.cellName]: 'us-west-1',
  [LAMBDA_ENV.region]: 'us-west-1',
};
const AURORA_ENV = {
  ...COMMON,
  [LAMBDA_ENV.storeKind]: 'aurora-postgresql',
  [LAMBDA_ENV.auroraClusterArn]: CLUSTER_ARN,
  [LAMBDA_ENV.auroraSecretArn]: SECRET_ARN,
  [LAMBDA_ENV.auroraDatabase]: 'invoices',
};

describe('processorConfigFrom', () => {
  it('reads the Aurora cluster, secret and database of an aurora-postgresql processor', () => {
    expect(processorConfigFrom(AURORA_ENV).store).toEqual({
      kind: 'aurora-postgresql',
      resourceArn: CLUSTER_ARN,
      secretArn: SECRET_ARN,
      database: 'invoices',
    });
  });

  it('reads a Timestream processor when STORE_KIND is timestream or unset (stacks deployed before it)', () => {
    const env = { ...COMMON, [LAMBDA_ENV.database]: 'db', [LAMBDA_ENV.table]: 'records' };
    const expected = { kind: 'timestream', database: 'db', table: 'records' };
    expect(processorConfigFrom(env).store).toEqual(expected);
    expect(processorConfigFrom({ ...env, [LAMBDA_ENV.storeKind]: 'timestream' }).store).toEqual(expected);
  });

  it('refuses an unknown store kind and a missing secret, naming the variable and the value', () => {
    expect(() => processorConfigFrom({ ...AURORA_ENV, [LAMBDA_ENV.storeKind]: 'dynamodb' })).toThrow(
      'environment variable STORE_KIND must be one of timestream, aurora-postgresql, got "dynamodb"',
    );
    expect(() => processorConfigFrom({ ...AURORA_ENV, [LAMBDA_ENV.auroraSecretArn]: '' })).toThrow(
      ConfigError,
    );
    expect(() => processorConfigFrom({ ...AURORA_ENV, [LAMBDA_ENV.auroraSecretArn]: 'secret' })).toThrow(
      'environment variable AURORA_SECRET_ARN must be a Secrets Manager secret ARN, got "secret"',
    );
  });
});

describe('storeFor', () => {
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'test' });

  it('builds the PostgreSQL store (Data API) for an Aurora cell and the Timestream store otherwise', () => {
    expect(storeFor(processorConfigFrom(AURORA_ENV), CELL_TOPOLOGY, logger, metrics)).toBeInstanceOf(
      PostgresStore,
    );
    const timestream = processorConfigFrom({
      ...COMMON,
      [LAMBDA_ENV.database]: 'invoices',
      [LAMBDA_ENV.table]: 'records',
    });
    expect(storeFor(timestream, CELL_TOPOLOGY, logger, metrics)).toBeInstanceOf(TimestreamStore);
  });
});
