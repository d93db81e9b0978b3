import { CELL_TOPOLOGY, type CellTopology } from '../../../../cells/topology.js';
import { ManualClock } from '../../../../consumers/clock.js';
import { applyMigrations } from '../../../../consumers/postgresql/migrations.js';
import { PostgresStore } from '../../../../consumers/postgresql/postgres-store.js';
import type { SqlExecutor } from '../../../../consumers/postgresql/sql-executor.js';
import { PgliteExecutor } from '../../../support/pglite-executor.js';

/**
 * A migrated PGlite database with a `PostgresStore` over it, for the store tests. Starting PGlite
 * takes seconds, so a test file opens one and calls `reset()` between tests.
 */
export interface TestPgStore {
  readonly executor: PgliteExecutor;
  readonly store: PostgresStore;
  readonly clock: ManualClock;
  /** Empties every table the store writes. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export const STORE_TABLES = ['records', 'rollup_rows', 'rollup_latest', 'invoice_state'] as const;

export async function openTestPgStore(topology: CellTopology = CELL_TOPOLOGY): Promise<TestPgStore> {
  const executor = await PgliteExecutor.create();
  await applyMigrations(executor);
  const clock = new ManualClock(0);
  const store = new PostgresStore(executor, { topology, clock });
  return {
    executor,
    store,
    clock,
    async reset() {
      await executor.execute(`TRUNCATE ${STORE_TABLES.join(', ')}`);
      executor.statements.length = 0;
    },
    close: () => executor.close(),
  };
}

/** Every row of a table as plain strings, sorted, for equality checks across writes. */
export async function tableDump(executor: SqlExecutor, table: string): Promise<string[]> {
  const { rows } = await executor.execute(`SELECT * FROM ${table}`);
  return rows.map((r) => JSON.stringify(r)).sort();
}

/** The contents of every table the store writes. */
export async function storeDump(executor: SqlExecutor): Promise<Record<string, string[]>> {
  const dump: Record<string, string[]> = {};
  for (const table of STORE_TABLES) dump[table] = await tableDump(executor, table);
  return dump;
}
