import { PGlite, types } from '@electric-sql/pglite';
import {
  type BatchExecuteResult,
  type ExecuteOptions,
  type ExecuteResult,
  isTransientSqlState,
  type SqlCell,
  type SqlExecutor,
  type SqlParameter,
  SqlStatementError,
  type SqlTypeHint,
} from '../../consumers/postgresql/sql-executor.js';
import { namedPlaceholders } from '../../consumers/postgresql/sql-text.js';
import { TransientStoreError } from '../../consumers/store.js';

/**
 * A {@link SqlExecutor} over PGlite that runs exactly the SQL text and typed parameters the RDS
 * Data API would receive: `:name` placeholders become `$n` (never inside literals, comments or
 * `::type` casts), each value is bound with the type the Data API gives it (stringValue as
 * varchar, longValue as int8, typeHint DECIMAL/TIMESTAMP/DATE/TIME/JSON/UUID as that type), and
 * rows are shaped as `DataApiExecutor` shapes them (integers and numerics as decimal strings).
 *
 * How this differs from production: PGlite 0.5 is PostgreSQL 18.7 compiled to WASM, in-process,
 * one connection and no concurrency. Aurora PostgreSQL is engine 16/17 with many concurrent
 * writers (the store's advisory locks and ON CONFLICT races only matter there), and the Data API
 * adds its own limits (1 MiB responses, 64 KB rows, 45 s calls, transactions ended after 3 minutes
 * idle) that nothing here enforces. Transactions are serialised: `begin` waits until the previous
 * transaction ends, and an autocommit statement waits for an open transaction, as a second
 * connection would wait on its locks. As on the Data API, a transaction whose statement failed is
 * aborted: its later statements and its commit fail.
 *
 * @example
 * const executor = await PgliteExecutor.create();
 * await applyMigrations(executor);
 */
export class PgliteExecutor implements SqlExecutor {
  readonly #db: PGlite;
  /** Resolves when the connection is free; chained by each holder. */
  #free: Promise<void> = Promise.resolve();
  #open: { id: string; release: () => void; aborted: boolean } | undefined;
  #nextId = 1;
  /** Every statement run, with its parameters (request-shape assertions in tests). */
  readonly statements: { sql: string; params: readonly SqlParameter[] }[] = [];

  private constructor(db: PGlite) {
    this.#db = db;
  }

  /** An in-memory database. */
  static async create(): Promise<PgliteExecutor> {
    const db = new PGlite();
    await db.waitReady;
    return new PgliteExecutor(db);
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  async execute(
    sql: string,
    params: readonly SqlParameter[] = [],
    options: ExecuteOptions = {},
  ): Promise<ExecuteResult> {
    if (options.transactionId !== undefined) return this.#inOpen(options.transactionId, sql, params);
    const release = await this.#acquire();
    try {
      return await this.#run(sql, params);
    } finally {
      release();
    }
  }

  async batchExecute(
    sql: string,
    paramSets: readonly (readonly SqlParameter[])[],
    options: ExecuteOptions = {},
  ): Promise<BatchExecuteResult> {
    // BatchExecuteStatement outside a transaction is still all-or-nothing on the Data API.
    const own = options.transactionId === undefined ? await this.begin() : undefined;
    const id = options.transactionId ?? (own as string);
    try {
      for (const params of paramSets) await this.#inOpen(id, sql, params);
    } catch (error) {
      if (own) await this.rollback(own);
      throw error;
    }
    if (own) await this.commit(own);
    return { sets: paramSets.length };
  }

  async begin(): Promise<string> {
    const release = await this.#acquire();
    const id = `pglite-tx-${this.#nextId++}`;
    await this.#db.query('BEGIN');
    this.#open = { id, release, aborted: false };
    return id;
  }

  async commit(transactionId: string): Promise<void> {
    const open = this.#transaction(transactionId);
    if (open.aborted) {
      await this.#end('ROLLBACK');
      throw new SqlStatementError(`transaction ${transactionId} was aborted by an earlier error`);
    }
    await this.#end('COMMIT');
  }

  async rollback(transactionId: string): Promise<void> {
    this.#transaction(transactionId);
    await this.#end('ROLLBACK');
  }

  async #end(command: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    const open = this.#open;
    this.#open = undefined;
    try {
      await this.#db.query(command);
    } finally {
      open?.release();
    }
  }

  #transaction(id: string): { id: string; aborted: boolean } {
    if (this.#open?.id !== id) throw new SqlStatementError(`transaction ${id} is not open`);
    return this.#open;
  }

  async #inOpen(id: string, sql: string, params: readonly SqlParameter[]): Promise<ExecuteResult> {
    const open = this.#transaction(id);
    if (open.aborted) throw new SqlStatementError(`transaction ${id} was aborted by an earlier error`);
    try {
      return await this.#run(sql, params);
    } catch (error) {
      open.aborted = true;
      throw error;
    }
  }

  async #acquire(): Promise<() => void> {
    let release = () => {};
    const previous = this.#free;
    this.#free = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    return release;
  }

  async #run(sql: string, params: readonly SqlParameter[]): Promise<ExecuteResult> {
    this.statements.push({ sql, params });
    const bound = bindNamed(sql, params);
    try {
      const result = await this.#db.query<Record<string, unknown>>(bound.text, bound.values, {
        paramTypes: bound.types,
        parsers: RAW_TEXT_PARSERS,
      });
      const rows = result.rows.map((row) =>
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v as SqlCell])),
      );
      return { rows, updated: result.command === 'SELECT' ? 0 : (result.affectedRows ?? 0) };
    } catch (error) {
      throw toExecutorError(error);
    }
  }
}

/** Integers, numerics, JSON and times stay PostgreSQL's text, as the Data API returns them. */
const RAW_TEXT_PARSERS = Object.fromEntries(
  [
    types.INT2,
    types.INT4,
    types.INT8,
    types.OID,
    types.NUMERIC,
    types.JSON,
    types.JSONB,
    types.DATE,
    types.TIME,
    types.TIMESTAMP,
    types.TIMESTAMPTZ,
    types.UUID,
  ].map((oid) => [oid, (text: string) => text]),
);

/** The type the Data API binds a value with (varchar for strings: hence its typeHints). */
const HINT_TYPES: Readonly<Record<SqlTypeHint, number>> = {
  DECIMAL: types.NUMERIC,
  TIMESTAMP: types.TIMESTAMP,
  DATE: types.DATE,
  TIME: types.TIME,
  JSON: types.JSON,
  UUID: types.UUID,
};

interface Bound {
  readonly text: string;
  readonly values: unknown[];
  readonly types: number[];
}

/** `:name` → `$n` (one number per distinct name) with each value and its Data API type. */
function bindNamed(sql: string, params: readonly SqlParameter[]): Bound {
  const byName = new Map(params.map((p) => [p.name, p]));
  const numbers = new Map<string, number>();
  const values: unknown[] = [];
  const paramTypes: number[] = [];
  let text = '';
  let from = 0;
  for (const placeholder of namedPlaceholders(sql)) {
    let n = numbers.get(placeholder.name);
    if (n === undefined) {
      const param = byName.get(placeholder.name);
      if (!param) throw new SqlStatementError(`no value for parameter :${placeholder.name}`);
      n = numbers.size + 1;
      numbers.set(placeholder.name, n);
      const [value, type] = typedValue(param);
      values.push(value);
      paramTypes.push(type);
    }
    text += `${sql.slice(from, placeholder.start)}$${n}`;
    from = placeholder.end;
  }
  return { text: text + sql.slice(from), values, types: paramTypes };
}

function typedValue(param: SqlParameter): [unknown, number] {
  const v = param.value;
  if ('isNull' in v) return [null, 0];
  if ('stringValue' in v) return [v.stringValue, param.typeHint ? HINT_TYPES[param.typeHint] : types.VARCHAR];
  if ('longValue' in v) return [String(v.longValue), types.INT8];
  if ('doubleValue' in v) return [String(v.doubleValue), types.FLOAT8];
  return [v.booleanValue, types.BOOL];
}

/** PGlite's error as the port's: transient SQLSTATEs retryable, the rest a refused statement. */
function toExecutorError(error: unknown): Error {
  const sqlState = (error as { code?: unknown }).code;
  const state = typeof sqlState === 'string' ? sqlState : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (isTransientSqlState(state)) return new TransientStoreError(message, { cause: error });
  return new SqlStatementError(message, { ...(state ? { sqlState: state } : {}), cause: error });
}
