import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction, SqlStatementError, sqlParam } from '../../../consumers/postgresql/sql-executor.js';
import { PgliteExecutor } from '../../support/pglite-executor.js';

describe('PgliteExecutor', () => {
  let executor: PgliteExecutor;

  beforeAll(async () => {
    executor = await PgliteExecutor.create();
    await executor.execute(
      'CREATE TABLE t (id text PRIMARY KEY, n bigint, amount numeric(38, 0), at timestamp)',
    );
  });

  afterAll(async () => {
    await executor.close();
  });

  it('binds named typed parameters as the Data API does and leaves casts and literals alone', async () => {
    // Act
    const { rows } = await executor.execute(
      `SELECT :s::text || ':s' AS s, :n + 1 AS n, CAST(:big AS bigint) AS big, :d AS d, :nothing::int AS nothing,
         :flag AS flag, :amount AS amount, :at AS at, :doc::jsonb ->> 'k' AS k`,
      [
        sqlParam('s', 'x'),
        sqlParam('n', 41),
        sqlParam('big', 2n ** 63n - 1n),
        sqlParam('d', 1.5),
        sqlParam('nothing', null),
        sqlParam('flag', true),
        sqlParam('amount', '123456789012345678901234567890', 'DECIMAL'),
        sqlParam('at', '2026-01-07 10:30:00', 'TIMESTAMP'),
        sqlParam('doc', '{"k":"v"}', 'JSON'),
      ],
    );

    // Assess
    expect(rows).toEqual([
      {
        s: 'x:s',
        n: '42',
        big: '9223372036854775807',
        d: 1.5,
        nothing: null,
        flag: true,
        amount: '123456789012345678901234567890',
        at: '2026-01-07 10:30:00',
        k: 'v',
      },
    ]);
  });

  it('types string values as varchar, so a bigint column needs a cast as on Aurora', async () => {
    // Act
    const error = await executor
      .execute('INSERT INTO t (id, n) VALUES (:id, :n)', [sqlParam('id', 'a'), sqlParam('n', '5')])
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SqlStatementError);
    expect(error).toMatchObject({ sqlState: '42804' });
  });

  it('counts updated rows and fails a transaction after its failed statement', async () => {
    // Act
    const inserted = await executor.execute('INSERT INTO t (id, n) VALUES (:id, :n), (:id2, :n)', [
      sqlParam('id', 'b'),
      sqlParam('id2', 'c'),
      sqlParam('n', 1),
    ]);
    const error = await inTransaction(executor, async (tx) => {
      await tx.execute('INSERT INTO t (id) VALUES (:id)', [sqlParam('id', 'd')]);
      await tx.execute('INSERT INTO t (id) VALUES (:id)', [sqlParam('id', 'b')]).catch(() => undefined);
      await tx.execute('SELECT 1');
    }).catch((e: unknown) => e);
    const { rows } = await executor.execute('SELECT id FROM t ORDER BY id');

    // Assess
    expect(inserted.updated).toBe(2);
    expect((error as Error).message).toMatch(/aborted by an earlier error/);
    expect(rows.map((r) => r.id)).toEqual(['b', 'c']);
  });

  it('refuses a missing parameter', async () => {
    // Act + Assess
    await expect(executor.execute('SELECT :missing')).rejects.toThrow('no value for parameter :missing');
  });
});
