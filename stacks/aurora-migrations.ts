import { createHash } from 'node:crypto';
import { CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { MIGRATIONS_DIR, migrationFiles } from '../consumers/postgresql/migrations.js';
import type { AuroraStore } from './aurora-store.js';
import { CellFunction } from './cell-function.js';
import { DEFAULT_LOG_RETENTION, encryptedLogGroupProps } from './defaults/log-group-defaults.js';

/** The custom resource type, as CloudFormation events and the console show it. */
export const MIGRATIONS_RESOURCE_TYPE = 'Custom::AuroraMigrations';

/**
 * SHA-256 over the names and contents of the migration files, in version order — the very files
 * `applyMigrations` applies (`migrationFiles`, `consumers/postgresql/migrations/NNNN_*.sql`) and the
 * tests apply. The custom resource carries it, so a new or changed file makes CloudFormation update
 * the resource, which runs the migrations again (idempotent: applied versions are skipped). Reads
 * only files of the repository, like an asset hash; no environment, no SDK.
 *
 * @example
 * migrationsHash(); // '9f2c…' (64 hex digits)
 */
export function migrationsHash(dir: string = MIGRATIONS_DIR): string {
  const files = migrationFiles(dir);
  if (files.length === 0) throw new Error(`aurora migrations: no NNNN_name.sql file in ${dir}`);
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.name}\0${file.sql}\0`);
  return hash.digest('hex');
}

export interface AuroraMigrationsProps {
  readonly store: AuroraStore;
  /** The migrations handler (`consumers/aws/lambda/migrations-handler.ts`, SQL files beside it). */
  readonly code: lambda.Code;
  readonly logsKey: kms.IKey;
  readonly logRetention?: logs.RetentionDays;
  /** @default migrationsHash() */
  readonly migrationsHash?: string;
}

/**
 * Applies the versioned SQL migrations to the cell's Aurora database at deploy time: a custom
 * resource (`Custom::AuroraMigrations`, `custom-resources.Provider`) whose handler runs outside any
 * VPC and talks to the cluster through the RDS Data API, with the same least-privilege grant as the
 * processors. It runs on create and whenever the SQL files change (their hash is a resource
 * property); a failing statement fails the handler, so the deploy fails with the SQL error as the
 * resource's status reason and rolls back. Delete keeps the schema: the cluster is retained.
 *
 * It depends on the whole cluster (instances included), because the Data API needs a running
 * writer; the processors do not depend on it, as SQS keeps their messages until the tables exist.
 *
 * @example
 * new AuroraMigrations(this, 'AuroraMigrations', { store, code: lambdaCode.migrations(), logsKey });
 */
export class AuroraMigrations extends Construct {
  readonly function: CellFunction;
  readonly provider: cr.Provider;
  readonly resource: CustomResource;
  readonly migrationsHash: string;

  constructor(scope: Construct, id: string, props: AuroraMigrationsProps) {
    super(scope, id);
    const { store } = props;
    this.migrationsHash = props.migrationsHash ?? migrationsHash();
    if (!/^[0-9a-f]{64}$/.test(this.migrationsHash)) {
      throw new Error(
        `aurora migrations ${id}: migrationsHash must be 64 hex digits, got ${JSON.stringify(this.migrationsHash)}`,
      );
    }
    const logRetention = props.logRetention ?? DEFAULT_LOG_RETENTION;

    this.function = new CellFunction(this, 'Function', {
      code: props.code,
      description: 'Invoice cell: applies the versioned SQL migrations through the RDS Data API',
      // A Data API statement runs up to 45 s; a few migrations fit with room for retries.
      timeout: Duration.minutes(5),
      logsKey: props.logsKey,
      logRetention,
      environment: { ...store.processorEnvironment },
    });
    store.grantWrite(this.function.role);

    const frameworkLogs = new logs.LogGroup(
      this,
      'ProviderLogs',
      encryptedLogGroupProps(props.logsKey, logRetention),
    );
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function.fn,
      logGroup: frameworkLogs,
    });
    this.acknowledgeProvider();

    this.resource = new CustomResource(this, 'Schema', {
      serviceToken: this.provider.serviceToken,
      resourceType: MIGRATIONS_RESOURCE_TYPE,
      properties: {
        MigrationsHash: this.migrationsHash,
        ClusterArn: store.clusterArn,
        Database: store.databaseName,
      },
    });
    // The Data API needs a running writer, not just the cluster resource.
    this.resource.node.addDependency(store.cluster);
  }

  /** The Provider framework's own function and role are CDK's; their findings, with reasons. */
  private acknowledgeProvider(): void {
    const framework = this.provider.node.findChild('framework-onEvent');
    const stack = Stack.of(this);
    const onEvent = stack.getLogicalId(this.function.fn.node.defaultChild as lambda.CfnFunction);
    Validations.of(framework).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'The custom-resources Provider framework function (CDK-owned) writes its logs with the AWS basic execution ' +
        'policy; it only relays CloudFormation events to the migrations function and holds no data permission.',
    });
    Validations.of(framework).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${onEvent}.Arn>:*]`,
      reason:
        'CDK grants the Provider framework lambda:InvokeFunction on the migrations function and its versions ' +
        '(`<arn>:*`); that is one function of this cell, not a wildcard over others.',
    });
    Validations.of(framework).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        "The Provider framework function's runtime is chosen by aws-cdk-lib, not by this app; it runs only during " +
        'deployments and is upgraded with aws-cdk-lib. The migrations function itself runs the latest Node.js runtime.',
    });
  }
}
