import {
  BatchExecuteStatementCommand,
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  type ExecuteStatementCommandOutput,
  type Field,
  RDSDataClient,
  RollbackTransactionCommand,
} from '@aws-sdk/client-rds-data';
import { fullJitterMs } from '../full-jitter.js';
import {
  type BatchExecuteResult,
  type ExecuteOptions,
  type ExecuteResult,
  type SqlCell,
  type SqlExecutor,
  type SqlParameter,
  type SqlRow,
  SqlStatementError,
} from '../postgresql/sql-executor.js';
import { TransientStoreError } from '../store.js';
import { describeAwsError } from './aws-errors.js';
import { classifyDataApiError } from './data-api-errors.js';

/**
 * The {@link SqlExecutor} of an Aurora PostgreSQL cell: the RDS Data API (HTTPS, so the Lambdas
 * need no VPC and no connection pool).
 *
 * - Rows: `ExecuteStatement` with `includeResultMetadata` and `resultSetOptions` `longReturnType:
 *   STRING`, `decimalReturnType: STRING` (the API's own advice for exact values:
 *   https://docs.aws.amazon.com/rdsdataservice/latest/APIReference/API_ResultSetOptions.html), so
 *   every integer and numeric arrives as a decimal string and money never passes through a double.
 * - Limits the callers design for
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.limitations.html): a
 *   response of at most 1 MiB and rows of at most 64 KB (larger answers fail, they are not cut);
 *   one statement per call; a call is cancelled after 45 s
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api-timeouts.html), so the
 *   SDK's own socket timeout must not be shorter; a transaction idle for 3 minutes is rolled back
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.troubleshooting.html).
 * - Retries (exponential backoff with full jitter,
 *   https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/): an error that says
 *   no SQL ran (a resuming or unavailable database, throttling) is retried on every call; other
 *   transient errors (internal errors, timeouts, dropped connections, deadlocks) only on calls
 *   outside a transaction, because a statement that may have run must not run twice inside one:
 *   the transaction fails with {@link TransientStoreError} and the caller repeats all of it (the
 *   store's writes are idempotent). After the last attempt the error surfaces as
 *   `TransientStoreError` too. Statements outside a transaction must therefore be idempotent.
 * - A statement PostgreSQL refused becomes {@link SqlStatementError} with its SQLSTATE; other
 *   errors (permissions, configuration) are thrown as the SDK threw them.
 *
 * The client should not retry on its own (`maxAttempts: 1`), or an SDK retry of a call inside a
 * transaction could run a statement twice; the module's default client is built that way.
 *
 * @example
 * const executor = new DataApiExecutor({ resourceArn: clusterArn, secretArn, database: 'invoices' });
 * await applyMigrations(executor);
 */

export interface DataApiRetryPolicy {
  /** Calls in all, the first included. */
  readonly maxAttempts: number;
  /** Backoff before retry n is a random delay in [0, min(maxDelayMs, baseDelayMs × 2^(n−1))). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * Five calls over up to about 3 s of backoff: long enough for throttling to ease and for a writer
 * failover, short enough to leave the processor's own retry budget room.
 */
export const DEFAULT_DATA_API_RETRY: DataApiRetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 2_000,
};

export interface DataApiExecutorOptions {
  /** The Aurora cluster's ARN. */
  readonly resourceArn: string;
  /** The Secrets Manager secret holding the database credentials. */
  readonly secretArn: string;
  readonly database: string;
  /** Default: a module singleton without SDK retries. */
  readonly client?: RDSDataClient;
  readonly retry?: Partial<DataApiRetryPolicy>;
  /** The jitter's source, `Math.random` unless a test injects one. */
  readonly random?: () => number;
}

let defaultClient: RDSDataClient | undefined;

/** The shared client, created on first use so that importing this module has no side effects. */
function sharedClient(): RDSDataClient {
  defaultClient ??= new RDSDataClient({ maxAttempts: 1 });
  return defaultClient;
}

/**
 * Full-jitter exponential backoff before retry `retry` (1-based). Pure given `random`.
 *
 * @example
 * dataApiBackoffMs(DEFAULT_DATA_API_RETRY, 3, () => 0.5); // 400
 */
export function dataApiBackoffMs(policy: DataApiRetryPolicy, retry: number, random: () => number): number {
  return fullJitterMs({ baseMs: policy.baseDelayMs, capMs: policy.maxDelayMs }, retry, random);
}

function cellOf(field: Field): SqlCell {
  if (field.isNull) return null;
  if (field.stringValue !== undefined) return field.stringValue;
  // Only without longReturnType STRING; exact for what fits a double, hence the option.
  if (field.longValue !== undefined) return String(field.longValue);
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.booleanValue !== undefined) return field.booleanValue;
  throw new SqlStatementError('the Data API returned a value of an unsupported type (blob or array)');
}

function rowsOf(output: ExecuteStatementCommandOutput): SqlRow[] {
  const columns = (output.columnMetadata ?? []).map((c, i) => c.label ?? c.name ?? `column${i + 1}`);
  return (output.records ?? []).map((fields) =>
    Object.fromEntries(fields.map((field, i) => [columns[i] ?? `column${i + 1}`, cellOf(field)])),
  );
}

/** Where a call runs: a statement that may have run is resent only outside a transaction. */
type CallScope = 'autocommit' | 'transaction';

export class DataApiExecutor implements SqlExecutor {
  readonly #client: RDSDataClient;
  readonly #target: { resourceArn: string; secretArn: string; database: string };
  readonly #retry: DataApiRetryPolicy;
  readonly #random: () => number;

  constructor(options: DataApiExecutorOptions) {
    for (const key of ['resourceArn', 'secretArn', 'database'] as const) {
      if (!options[key]) throw new Error(`data api executor needs ${key}, got "${String(options[key])}"`);
    }
    this.#client = options.client ?? sharedClient();
    this.#target = {
      resourceArn: options.resourceArn,
      secretArn: options.secretArn,
      database: options.database,
    };
    this.#retry = { ...DEFAULT_DATA_API_RETRY, ...options.retry };
    this.#random = options.random ?? Math.random;
  }

  async execute(
    sql: string,
    params: readonly SqlParameter[] = [],
    options: ExecuteOptions = {},
  ): Promise<ExecuteResult> {
    const command = new ExecuteStatementCommand({
      ...this.#target,
      sql,
      parameters: [...params],
      ...(options.transactionId === undefined ? {} : { transactionId: options.transactionId }),
      includeResultMetadata: true,
      resultSetOptions: { longReturnType: 'STRING', decimalReturnType: 'STRING' },
    });
    const scope = options.transactionId === undefined ? 'autocommit' : 'transaction';
    const output = await this.#call('ExecuteStatement', scope, () => this.#client.send(command));
    return { rows: rowsOf(output), updated: output.numberOfRecordsUpdated ?? 0 };
  }

  async batchExecute(
    sql: string,
    paramSets: readonly (readonly SqlParameter[])[],
    options: ExecuteOptions = {},
  ): Promise<BatchExecuteResult> {
    const command = new BatchExecuteStatementCommand({
      ...this.#target,
      sql,
      parameterSets: paramSets.map((set) => [...set]),
      ...(options.transactionId === undefined ? {} : { transactionId: options.transactionId }),
    });
    // Never resent after it may have run: a batch is not known to be idempotent.
    const output = await this.#call('BatchExecuteStatement', 'transaction', () => this.#client.send(command));
    return { sets: output.updateResults?.length ?? paramSets.length };
  }

  async begin(): Promise<string> {
    const command = new BeginTransactionCommand({ ...this.#target });
    // Resending a begin whose answer was lost leaves an empty transaction, which expires.
    const output = await this.#call('BeginTransaction', 'autocommit', () => this.#client.send(command));
    if (!output.transactionId) throw new Error('BeginTransaction answered without a transactionId');
    return output.transactionId;
  }

  async commit(transactionId: string): Promise<void> {
    const { resourceArn, secretArn } = this.#target;
    const command = new CommitTransactionCommand({ resourceArn, secretArn, transactionId });
    await this.#call('CommitTransaction', 'transaction', () => this.#client.send(command));
  }

  async rollback(transactionId: string): Promise<void> {
    const { resourceArn, secretArn } = this.#target;
    const command = new RollbackTransactionCommand({ resourceArn, secretArn, transactionId });
    await this.#call('RollbackTransaction', 'transaction', () => this.#client.send(command));
  }

  async #call<T>(operation: string, scope: CallScope, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const failure = classifyDataApiError(error);
        if (failure.kind === 'statement') {
          throw new SqlStatementError(failure.message, {
            ...(failure.sqlState === undefined ? {} : { sqlState: failure.sqlState }),
            cause: error,
          });
        }
        if (failure.kind === 'other') throw error;
        const resend = failure.kind === 'not-run' || scope === 'autocommit';
        if (!resend || attempt >= this.#retry.maxAttempts) {
          const tries = attempt > 1 ? ` after ${attempt} attempts` : '';
          throw new TransientStoreError(`Data API ${operation} failed${tries}: ${describeAwsError(error)}`, {
            cause: error,
          });
        }
        await new Promise((resolve) =>
          setTimeout(resolve, dataApiBackoffMs(this.#retry, attempt, this.#random)),
        );
      }
    }
  }
}
