import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { type ApplyMigrationsResult, applyMigrations } from '../../postgresql/migrations.js';
import type { SqlExecutor } from '../../postgresql/sql-executor.js';
import { DataApiExecutor } from '../data-api-executor.js';
import { auroraStoreConfigFrom } from './config.js';

/**
 * The deploy-time migrations (custom resource `Custom::AuroraMigrations`, behind a
 * `custom-resources.Provider`), as a factory over its dependencies so tests build it with a mocked
 * RDS Data client. Create and Update apply the migration files not applied yet (`applyMigrations`:
 * idempotent, one transaction per file); a failure throws, the Provider reports it as the
 * resource's status reason, and the deploy fails with the SQL error and rolls back. Delete keeps
 * the schema: the cluster and its data are retained.
 *
 * @example
 * export const handler = createMigrationsHandler(defaultMigrationsDeps(process.env));
 */
export interface MigrationsHandlerDeps {
  readonly executor: SqlExecutor;
  /** The cell database, part of the physical id (a new database is a new schema). */
  readonly database: string;
  readonly logger: Logger;
}

/** What the Provider framework expects back from an `onEvent` handler. */
export interface MigrationsResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: { readonly Applied: string; readonly Skipped: string };
}

/** The physical id: stable across updates, so an update never "replaces" (and deletes) the schema. */
export function migrationsPhysicalId(database: string): string {
  return `aurora-migrations:${database}`;
}

export function createMigrationsHandler(deps: MigrationsHandlerDeps) {
  const { executor, database, logger } = deps;
  return async (event: CloudFormationCustomResourceEvent): Promise<MigrationsResponse> => {
    const physicalId = migrationsPhysicalId(database);
    if (event.RequestType === 'Delete') {
      logger.info('schema kept: the Aurora cluster is retained', { database });
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
    let result: ApplyMigrationsResult;
    try {
      result = await applyMigrations(executor, { log: (line) => logger.info(line, { database }) });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error('migrations failed', { database, error: message });
      // The message is the resource's status reason in CloudFormation: name the SQL error there.
      throw new Error(`schema migrations of ${database} failed: ${message}`, { cause: error });
    }
    logger.info('migrations done', { database, applied: result.applied, skipped: result.skipped });
    return {
      PhysicalResourceId: physicalId,
      // Attribute values must be strings.
      Data: { Applied: result.applied.join(','), Skipped: result.skipped.join(',') },
    };
  };
}

/**
 * Production dependencies from the Lambda environment (the cluster, secret and database the stack
 * wrote), created once at module load; the Data API client is a module singleton.
 */
export function defaultMigrationsDeps(
  env: Readonly<Record<string, string | undefined>>,
): MigrationsHandlerDeps {
  const { resourceArn, secretArn, database } = auroraStoreConfigFrom(env);
  return {
    // The executor's default client: a module singleton without SDK retries (it retries itself).
    executor: new DataApiExecutor({ resourceArn, secretArn, database }),
    database,
    logger: new Logger({ serviceName: 'aurora-migrations' }),
  };
}
