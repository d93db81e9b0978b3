import { Logger } from '@aws-lambda-powertools/logger';
import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  DatabaseErrorException,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
} from '@aws-sdk/client-rds-data';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createMigrationsHandler,
  defaultMigrationsDeps,
  migrationsPhysicalId,
} from '../../../../consumers/aws/lambda/create-migrations-handler.js';
import { ConfigError, LAMBDA_ENV } from '../../../../consumers/aws/lambda/lambda-env.js';
import { migrationFiles } from '../../../../consumers/postgresql/migrations.js';
import { splitStatements } from '../../../../consumers/postgresql/sql-text.js';

const dataApi = mockClient(RDSDataClient);

const CLUSTER_ARN = 'arn:aws:rds:us-west-1:111122223333:cluster:invoicecell-uswest1-aurorastorecluster';
const SECRET_ARN = 'arn:aws:secretsmanager:us-west-1:111122223333:secret:AuroraStoreClusterSecret-AbCdEf';
const ENV = {
  [LAMBDA_ENV.region]: 'us-west-1',
  [LAMBDA_ENV.storeKind]: 'aurora-postgresql',
  [LAMBDA_ENV.auroraClusterArn]: CLUSTER_ARN,
  [LAMBDA_ENV.auroraSecretArn]: SECRET_ARN,
  [LAMBDA_ENV.auroraDatabase]: 'invoices',
};

/** A CloudFormation custom resource event as the Provider framework hands it on. */
function cfnEvent(requestType: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: 'arn:aws:lambda:us-west-1:111122223333:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response-uswest1.s3.amazonaws.com/x',
    StackId: 'arn:aws:cloudformation:us-west-1:111122223333:stack/InvoiceCell-us-west-1/1',
    RequestId: 'r-1',
    LogicalResourceId: 'AuroraMigrationsSchema72EA69A1',
    ResourceType: 'Custom::AuroraMigrations',
    ResourceProperties: { ServiceToken: 'x', MigrationsHash: 'a'.repeat(64) },
  };
  if (requestType === 'Create') return { ...base, RequestType: 'Create' };
  const withId = { ...base, PhysicalResourceId: migrationsPhysicalId('invoices') };
  if (requestType === 'Update')
    return { ...withId, RequestType: 'Update', OldResourceProperties: { ServiceToken: 'x' } };
  return { ...withId, RequestType: 'Delete' };
}

/** SQL texts of the ExecuteStatement calls, in order. */
const executed = () => dataApi.commandCalls(ExecuteStatementCommand).map((c) => String(c.args[0].input.sql));

/** The Data API answers of an empty database: no migration recorded, every claim granted. */
function freshDatabase(recorded: readonly { version: number; name: string }[] = []): void {
  dataApi.on(BeginTransactionCommand).resolves({ transactionId: 'tx-1' });
  dataApi.on(CommitTransactionCommand).resolves({ transactionStatus: 'Transaction Committed' });
  dataApi.on(RollbackTransactionCommand).resolves({ transactionStatus: 'Rollback Complete' });
  dataApi.on(ExecuteStatementCommand).callsFake((input: { sql: string }) => {
    if (input.sql.startsWith('SELECT version, name FROM schema_migrations')) {
      return {
        columnMetadata: [{ label: 'version' }, { label: 'name' }],
        records: recorded.map((r) => [{ stringValue: String(r.version) }, { stringValue: r.name }]),
      };
    }
    if (input.sql.includes('RETURNING version')) {
      return { columnMetadata: [{ label: 'version' }], records: [[{ stringValue: '1' }]] };
    }
    return { numberOfRecordsUpdated: 0 };
  });
}

function buildHandler() {
  const deps = defaultMigrationsDeps(ENV);
  return createMigrationsHandler({
    ...deps,
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
  });
}

describe('migrations handler', () => {
  beforeEach(() => dataApi.reset());
  afterEach(() => dataApi.reset());

  describe('Create', () => {
    it('applies every migration file in order, each in its own transaction, on this cluster with this secret', async () => {
      // Prepare
      freshDatabase();
      const files = migrationFiles();

      // Act
      const response = await buildHandler()(cfnEvent('Create'));

      // Assess
      expect(response).toEqual({
        PhysicalResourceId: 'aurora-migrations:invoices',
        Data: { Applied: files.map((f) => f.name).join(','), Skipped: '' },
      });
      const statements = files.flatMap((f) => splitStatements(f.sql));
      const sql = executed();
      for (const statement of statements) expect(sql).toContain(statement);
      expect(sql.indexOf(statements[0] as string)).toBeLessThan(sql.indexOf(statements.at(-1) as string));
      expect(dataApi.commandCalls(BeginTransactionCommand)).toHaveLength(files.length);
      expect(dataApi.commandCalls(CommitTransactionCommand)).toHaveLength(files.length);
      for (const call of dataApi.commandCalls(ExecuteStatementCommand)) {
        expect(call.args[0].input).toMatchObject({
          resourceArn: CLUSTER_ARN,
          secretArn: SECRET_ARN,
          database: 'invoices',
        });
      }
    });
  });

  describe('Update', () => {
    it('skips the files already applied (idempotent), keeping the physical id', async () => {
      // Prepare
      const files = migrationFiles();
      freshDatabase(files.map((f) => ({ version: f.version, name: f.name })));

      // Act
      const response = await buildHandler()(cfnEvent('Update'));

      // Assess
      expect(response).toEqual({
        PhysicalResourceId: 'aurora-migrations:invoices',
        Data: { Applied: '', Skipped: files.map((f) => f.name).join(',') },
      });
      expect(dataApi.commandCalls(BeginTransactionCommand)).toHaveLength(0);
      expect(executed().every((sql) => /schema_migrations/.test(sql))).toBe(true);
    });
  });

  describe('failure', () => {
    it('fails with the SQL error, naming the file and statement, and rolls the file back', async () => {
      // Prepare: PostgreSQL refuses the first statement of 0001
      freshDatabase();
      const [first] = migrationFiles();
      const statement = splitStatements(first?.sql ?? '')[0] as string;
      dataApi.on(ExecuteStatementCommand, { sql: statement }).rejects(
        new DatabaseErrorException({
          message: 'ERROR: permission denied for schema public; SQLState: 42501',
          $metadata: { httpStatusCode: 400 },
        }),
      );

      // Act
      const run = buildHandler()(cfnEvent('Create'));

      // Assess: the message is what CloudFormation shows as the resource's status reason
      await expect(run).rejects.toThrow(
        /^schema migrations of invoices failed: migration 0001_records\.sql failed at statement 1 of \d+: ERROR: permission denied for schema public/,
      );
      expect(dataApi.commandCalls(RollbackTransactionCommand)).toHaveLength(1);
      expect(dataApi.commandCalls(CommitTransactionCommand)).toHaveLength(0);
    });
  });

  describe('Delete', () => {
    it('keeps the schema and calls nothing: the cluster is retained', async () => {
      // Act
      const response = await buildHandler()(cfnEvent('Delete'));

      // Assess
      expect(response).toEqual({ PhysicalResourceId: 'aurora-migrations:invoices' });
      expect(dataApi.calls()).toHaveLength(0);
    });
  });

  describe('defaultMigrationsDeps', () => {
    it('refuses an environment without a cluster ARN, naming the variable and the value', () => {
      expect(() => defaultMigrationsDeps({ ...ENV, [LAMBDA_ENV.auroraClusterArn]: 'my-cluster' })).toThrow(
        ConfigError,
      );
      expect(() => defaultMigrationsDeps({ ...ENV, [LAMBDA_ENV.auroraClusterArn]: 'my-cluster' })).toThrow(
        'environment variable AURORA_CLUSTER_ARN must be an RDS cluster ARN, got "my-cluster"',
      );
    });
  });
});
