import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyMigrations,
  MigrationError,
  type MigrationFile,
  migrationFiles,
} from '../../../consumers/postgresql/migrations.js';
import { PgliteExecutor } from '../../support/pglite-executor.js';

function file(version: number, slug: string, sql: string): MigrationFile {
  return { version, name: `${String(version).padStart(4, '0')}_${slug}.sql`, sql };
}

async function tableNames(executor: PgliteExecutor): Promise<string[]> {
  const { rows } = await executor.execute(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
  );
  return rows.map((r) => String(r.table_name));
}

describe('applyMigrations', () => {
  let executor: PgliteExecutor;

  beforeEach(async () => {
    executor = await PgliteExecutor.create();
  });

  afterEach(async () => {
    await executor.close();
  });

  it('applies the shipped files in order and records each in schema_migrations', async () => {
    // Prepare
    const files = migrationFiles();

    // Act
    const result = await applyMigrations(executor);

    // Assess
    expect(files.map((f) => f.name)).toEqual([
      '0001_records.sql',
      '0002_rollups.sql',
      '0003_invoice_state.sql',
      '0004_vendors.sql',
    ]);
    expect(result).toEqual({ applied: files.map((f) => f.name), skipped: [] });
    expect(await tableNames(executor)).toEqual([
      'invoice_state',
      'records',
      'rollup_latest',
      'rollup_rows',
      'schema_migrations',
      'vendors',
    ]);
    const { rows } = await executor.execute('SELECT version, name FROM schema_migrations ORDER BY version');
    expect(rows).toEqual(files.map((f) => ({ version: String(f.version), name: f.name })));
  });

  it('runs no statement of an applied file again on a second call', async () => {
    // Prepare
    await applyMigrations(executor);
    const before = executor.statements.length;
    const lines: string[] = [];

    // Act
    const result = await applyMigrations(executor, { log: (line) => lines.push(line) });

    // Assess
    expect(result.applied).toEqual([]);
    expect(result.skipped).toHaveLength(4);
    const ran = executor.statements.slice(before).map((s) => s.sql);
    expect(ran.some((sql) => /CREATE TABLE records|CREATE INDEX/.test(sql))).toBe(false);
    expect(lines).toEqual(result.skipped.map((name) => `migration ${name} already applied`));
  });

  it('applies only the files added since the last call', async () => {
    // Prepare
    await applyMigrations(executor, { files: [file(1, 'a', 'CREATE TABLE a (x integer)')] });

    // Act
    const result = await applyMigrations(executor, {
      files: [file(1, 'a', 'CREATE TABLE a (x integer)'), file(2, 'b', 'CREATE TABLE b (y integer);')],
    });

    // Assess
    expect(result).toEqual({ applied: ['0002_b.sql'], skipped: ['0001_a.sql'] });
    expect(await tableNames(executor)).toEqual(['a', 'b', 'schema_migrations']);
  });

  it('fails naming the file and the PostgreSQL error, and leaves nothing of that file behind', async () => {
    // Prepare
    const files = [
      file(1, 'good', 'CREATE TABLE good (x integer);'),
      file(
        2,
        'broken',
        "CREATE TABLE half (x text);\nINSERT INTO half VALUES (';');\nCREATE TABLEE oops (y int);",
      ),
      file(3, 'later', 'CREATE TABLE later (z integer);'),
    ];

    // Act
    const error = await applyMigrations(executor, { files }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).file).toBe('0002_broken.sql');
    expect((error as Error).message).toMatch(
      /^migration 0002_broken\.sql failed at statement 3 of 3: .*syntax error at or near "TABLEE"/,
    );
    expect(await tableNames(executor)).toEqual(['good', 'schema_migrations']);
    const { rows } = await executor.execute('SELECT name FROM schema_migrations');
    expect(rows).toEqual([{ name: '0001_good.sql' }]);
  });

  it('refuses a file whose version was applied under another name', async () => {
    // Prepare
    await applyMigrations(executor, { files: [file(1, 'first', 'CREATE TABLE a (x integer)')] });

    // Act
    const error = await applyMigrations(executor, {
      files: [file(1, 'renamed', 'CREATE TABLE a (x integer)')],
    }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toBe(
      'migration 0001_renamed.sql has version 1, which was applied as 0001_first.sql',
    );
  });

  it('refuses two files with the same version', async () => {
    // Act
    const error = await applyMigrations(executor, {
      files: [file(1, 'a', 'SELECT 1'), file(1, 'b', 'SELECT 2')],
    }).catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toBe('migration 0001_b.sql has the same version as 0001_a.sql');
  });
});
