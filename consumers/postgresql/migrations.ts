import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inTransaction, type SqlExecutor, sqlParam } from './sql-executor.js';
import { splitStatements } from './sql-text.js';

/**
 * Versioned, idempotent schema migrations of the PostgreSQL store, applied through a
 * {@link SqlExecutor} (the Data API at deploy time, PGlite in tests).
 *
 * - Files `NNNN_name.sql` in `migrations/` next to this module, applied in version order. Append
 *   only: an applied file is never edited (a changed name under an applied version is an error).
 * - `schema_migrations(version, name, applied_at)` records what ran; an applied version is never
 *   run again, so `applyMigrations` is safe on every deploy.
 * - Each file runs in its own transaction together with its `schema_migrations` row (PostgreSQL
 *   DDL is transactional): a failing file leaves nothing behind and throws
 *   {@link MigrationError} naming the file and carrying PostgreSQL's message.
 * - The Data API runs one statement per call, so a file is split into statements
 *   (`splitStatements`: semicolons outside literals, comments and dollar quotes).
 * - Two deploys applying at once: the version row is inserted first, so the second waits on the
 *   first's row lock and then skips the file.
 * - Each statement must finish within the Data API's 45 s call timeout
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api-timeouts.html): keep
 *   a migration that rewrites a large table out of this path.
 *
 * Lambda bundles: {@link migrationFiles} reads the directory next to the module
 * (`import.meta.url`), so a bundler must copy `migrations/*.sql` beside the bundle (esbuild
 * `commandHooks.afterBundling`), or the caller passes the files explicitly (`files`).
 *
 * @example
 * await applyMigrations(new DataApiExecutor({ resourceArn, secretArn, database }), { log: console.info });
 */

/** One migration file. */
export interface MigrationFile {
  /** The number before the first underscore, e.g. 2 for `0002_rollups.sql`. */
  readonly version: number;
  /** The file name, e.g. `0002_rollups.sql`. */
  readonly name: string;
  readonly sql: string;
}

export interface ApplyMigrationsOptions {
  /** The files to apply; default {@link migrationFiles}() (the directory next to this module). */
  readonly files?: readonly MigrationFile[];
  /** Progress lines (one per file applied or skipped). */
  readonly log?: (message: string) => void;
}

export interface ApplyMigrationsResult {
  /** Names of the files applied by this call, in order. */
  readonly applied: readonly string[];
  /** Names of the files found already applied. */
  readonly skipped: readonly string[];
}

/**
 * A migration file that could not be applied (its transaction was rolled back).
 *
 * @example
 * // MigrationError: migration 0004_broken.sql failed at statement 2 of 3: syntax error at or near "TABLEE"
 */
export class MigrationError extends Error {
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`migration ${file} ${message}`, options);
    this.name = 'MigrationError';
    this.file = file;
  }
}

const FILE_NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;

/** The default directory: `migrations/` beside this module (or beside the bundle). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * The `NNNN_name.sql` files of `dir`, in version order; other files are ignored. Throws when two
 * files share a version.
 *
 * @example
 * migrationFiles().map((f) => f.name); // ['0001_records.sql', '0002_rollups.sql', ...]
 */
export function migrationFiles(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  const files = readdirSync(dir)
    .filter((name) => FILE_NAME.test(name))
    .sort()
    .map((name) => ({
      version: Number(name.slice(0, 4)),
      name,
      sql: readFileSync(`${dir.replace(/\/?$/, '/')}${name}`, 'utf8'),
    }));
  checkVersions(files);
  return files;
}

function checkVersions(files: readonly MigrationFile[]): void {
  const seen = new Map<number, string>();
  for (const file of files) {
    const other = seen.get(file.version);
    if (other !== undefined) {
      throw new MigrationError(file.name, `has the same version as ${other}`);
    }
    seen.set(file.version, file.name);
  }
}

const CREATE_BOOKKEEPING = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * Applies the migrations not applied yet, each in its own transaction. Returns what it did.
 *
 * @example
 * const { applied } = await applyMigrations(executor, { log: (line) => logger.info(line) });
 */
export async function applyMigrations(
  executor: SqlExecutor,
  options: ApplyMigrationsOptions = {},
): Promise<ApplyMigrationsResult> {
  const files = [...(options.files ?? migrationFiles())].sort((a, b) => a.version - b.version);
  checkVersions(files);
  const log = options.log ?? (() => undefined);
  await executor.execute(CREATE_BOOKKEEPING);
  const { rows } = await executor.execute('SELECT version, name FROM schema_migrations');
  const known = new Map(rows.map((r) => [Number(r.version), String(r.name)]));
  const applied: string[] = [];
  const skipped: string[] = [];
  for (const file of files) {
    const recorded = known.get(file.version);
    if (recorded !== undefined && recorded !== file.name) {
      throw new MigrationError(file.name, `has version ${file.version}, which was applied as ${recorded}`);
    }
    if (recorded !== undefined || !(await applyFile(executor, file))) {
      skipped.push(file.name);
      log(`migration ${file.name} already applied`);
      continue;
    }
    applied.push(file.name);
    log(`migration ${file.name} applied`);
  }
  return { applied, skipped };
}

/** Runs one file in a transaction; false when another deploy applied it meanwhile. */
async function applyFile(executor: SqlExecutor, file: MigrationFile): Promise<boolean> {
  const statements = splitStatements(file.sql);
  return inTransaction(executor, async (tx) => {
    const claim = await tx.execute(
      `INSERT INTO schema_migrations (version, name) VALUES (:version, :name)
       ON CONFLICT (version) DO NOTHING RETURNING version`,
      [sqlParam('version', file.version), sqlParam('name', file.name)],
    );
    if (claim.rows.length === 0) return false;
    for (const [i, statement] of statements.entries()) {
      try {
        await tx.execute(statement);
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        throw new MigrationError(
          file.name,
          `failed at statement ${i + 1} of ${statements.length}: ${detail}`,
          {
            cause: error,
          },
        );
      }
    }
    return true;
  });
}
