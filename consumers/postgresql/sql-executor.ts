/**
 * The SQL port of the PostgreSQL store: the smallest surface of the RDS Data API the store needs,
 * so the store runs on Aurora (`DataApiExecutor`, consumers/aws) and, in tests, on PGlite
 * (`test/support/pglite-executor.ts`) with the very same statements and parameters.
 *
 * Statements are one SQL statement each (the Data API runs no multi-statement text) with the Data
 * API's named placeholders (`:name`) and typed values. The types here mirror the SDK's
 * `SqlParameter` and `Field` shapes structurally, so the core never imports the SDK (layer rule)
 * while the adapter passes them on unchanged.
 *
 * Rows: plain objects keyed by column label. Value mapping, the same in every executor:
 * - integers of any width and `numeric` come back as **decimal strings** (the Data API adapter asks
 *   for `longReturnType: STRING`, `decimalReturnType: STRING`), so money is never a float; callers
 *   convert with `Number()` (times, counts) or `BigInt()` (money);
 * - `text`/`varchar`, `json`/`jsonb`, dates and times as strings; `boolean` as boolean; `float4/8`
 *   as number; SQL NULL as `null`.
 *
 * @example
 * const { rows } = await executor.execute('SELECT amount_minor FROM records WHERE event_id = :id', [
 *   sqlParam('id', eventId),
 * ]);
 * const amount = BigInt(rows[0]?.amount_minor as string);
 */

/** A typed value, as the Data API's `Field` union (one member set). */
export type SqlValue =
  | { readonly stringValue: string }
  | { readonly longValue: number }
  | { readonly doubleValue: number }
  | { readonly booleanValue: boolean }
  | { readonly isNull: true };

/** The Data API's type hints for string values the database should read as another type. */
export type SqlTypeHint = 'DECIMAL' | 'TIMESTAMP' | 'DATE' | 'TIME' | 'JSON' | 'UUID';

/** A named parameter (`:name` in the statement), as the Data API's `SqlParameter`. */
export interface SqlParameter {
  readonly name: string;
  readonly value: SqlValue;
  readonly typeHint?: SqlTypeHint;
}

/** A column value of a result row (see the module comment for the mapping). */
export type SqlCell = string | number | boolean | null;

/** A result row keyed by column label. */
export type SqlRow = Readonly<Record<string, SqlCell>>;

export interface ExecuteResult {
  readonly rows: readonly SqlRow[];
  /** Rows inserted, updated or deleted (the Data API's `numberOfRecordsUpdated`). */
  readonly updated: number;
}

export interface BatchExecuteResult {
  readonly sets: number;
}

export interface ExecuteOptions {
  /** Runs the statement in this transaction (from {@link SqlExecutor.begin}); else autocommit. */
  readonly transactionId?: string;
}

/**
 * Runs SQL statements. Errors: a failure that may succeed on retry surfaces as
 * `TransientStoreError` (consumers/store.ts) after the executor's own retries; a statement the
 * database refused as {@link SqlStatementError}; anything else as thrown by the driver.
 */
export interface SqlExecutor {
  execute(sql: string, params?: readonly SqlParameter[], options?: ExecuteOptions): Promise<ExecuteResult>;
  /**
   * Runs one statement once per parameter set (the Data API's `BatchExecuteStatement`, which
   * answers no row counts: `sets` is the number of parameter sets run).
   */
  batchExecute(
    sql: string,
    paramSets: readonly (readonly SqlParameter[])[],
    options?: ExecuteOptions,
  ): Promise<BatchExecuteResult>;
  /** Starts a transaction and returns its id. */
  begin(): Promise<string>;
  commit(transactionId: string): Promise<void>;
  rollback(transactionId: string): Promise<void>;
}

/** The statements of one open transaction (see {@link inTransaction}). */
export interface SqlTransaction {
  readonly id: string;
  execute(sql: string, params?: readonly SqlParameter[]): Promise<ExecuteResult>;
  batchExecute(sql: string, paramSets: readonly (readonly SqlParameter[])[]): Promise<BatchExecuteResult>;
}

/**
 * A statement the database refused (syntax, constraint, type error...): not worth retrying. Carries
 * PostgreSQL's message and, when known, its SQLSTATE.
 *
 * @example
 * throw new SqlStatementError('relation "recordz" does not exist', { sqlState: '42P01' });
 */
export class SqlStatementError extends Error {
  readonly sqlState: string | undefined;

  constructor(message: string, options: { sqlState?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SqlStatementError';
    this.sqlState = options.sqlState;
  }
}

/**
 * SQLSTATEs of failures that succeed when the whole transaction is run again: serialization
 * failure, deadlock, lock not available, and the server going away (shutdown, crash, connection
 * lost, too many connections). https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const TRANSIENT_SQLSTATES = /^(40001|40P01|55P03|57P01|57P02|57P03|53300|08\w{3})$/;

/**
 * True for a SQLSTATE whose transaction is worth running again. Pure.
 *
 * @example
 * isTransientSqlState('40P01'); // true (deadlock detected)
 */
export function isTransientSqlState(sqlState: string | undefined): boolean {
  return sqlState !== undefined && TRANSIENT_SQLSTATES.test(sqlState);
}

/**
 * Runs `work` in one transaction: commits when it resolves, rolls back when it throws (and
 * rethrows its error; a failing rollback is not allowed to hide it: the Data API ends an idle
 * transaction after three minutes anyway).
 *
 * @example
 * const inserted = await inTransaction(executor, async (tx) => (await tx.execute(sql, params)).updated);
 */
export async function inTransaction<T>(
  executor: SqlExecutor,
  work: (tx: SqlTransaction) => Promise<T>,
): Promise<T> {
  const id = await executor.begin();
  const tx: SqlTransaction = {
    id,
    execute: (sql, params) => executor.execute(sql, params, { transactionId: id }),
    batchExecute: (sql, paramSets) => executor.batchExecute(sql, paramSets, { transactionId: id }),
  };
  let result: T;
  try {
    result = await work(tx);
  } catch (error) {
    await executor.rollback(id).catch(() => undefined);
    throw error;
  }
  await executor.commit(id);
  return result;
}

/**
 * A named parameter from a plain value: strings as `stringValue`, safe integers as `longValue`,
 * other numbers as `doubleValue`, booleans, `null` as `isNull`. A bigint goes as a decimal string
 * (the SDK's `longValue` is a JS number, exact only to 2^53): cast it in SQL, e.g.
 * `CAST(:amount AS bigint)`.
 *
 * @example
 * sqlParam('from', 1_700_000_000_000); // { name: 'from', value: { longValue: 1700000000000 } }
 * sqlParam('doc', JSON.stringify(rows), 'JSON');
 */
export function sqlParam(
  name: string,
  value: string | number | bigint | boolean | null,
  typeHint?: SqlTypeHint,
): SqlParameter {
  const hint = typeHint === undefined ? {} : { typeHint };
  if (value === null) return { name, value: { isNull: true } };
  if (typeof value === 'string') return { name, value: { stringValue: value }, ...hint };
  if (typeof value === 'bigint') return { name, value: { stringValue: value.toString() }, ...hint };
  if (typeof value === 'boolean') return { name, value: { booleanValue: value } };
  if (Number.isSafeInteger(value)) return { name, value: { longValue: value } };
  if (!Number.isFinite(value)) throw new RangeError(`parameter ${name} is not a finite number: ${value}`);
  return { name, value: { doubleValue: value } };
}

/**
 * A JSON document parameter (`typeHint: JSON`): how a batch of rows travels in one statement, read
 * with `jsonb_to_recordset(CAST(:rows AS jsonb))`, since ExecuteStatement takes no array values.
 * Bigints are written as JSON strings, which PostgreSQL's record functions read exactly.
 *
 * @example
 * jsonParam('rows', [{ id: 'a', amount: 10n ** 18n }]); // stringValue '[{"id":"a","amount":"1000000000000000000"}]'
 */
export function jsonParam(name: string, value: unknown): SqlParameter {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return { name, value: { stringValue: text }, typeHint: 'JSON' };
}
