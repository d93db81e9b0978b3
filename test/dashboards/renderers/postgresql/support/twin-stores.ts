import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { CELL_TOPOLOGY } from '../../../../../cells/topology.js';
import {
  INSERT_COLUMNS,
  insertRowOf,
  RECORDSET_COLUMNS,
} from '../../../../../consumers/postgresql/record-insert.js';
import type { InvoiceRecord } from '../../../../../consumers/record.js';
import { PROJECT_ROOT } from '../../../../support/project-root.js';
import { openTestCellDb, type TestCellDb } from '../../../support/cell-db.js';
import { type NamedValues, toPositional } from './positional-params.js';

/**
 * The same records in both engines: the local cell's SQLite database (its own migrations, written
 * through the cell's record store, so `vendors` and the reconcile counters are filled the real
 * way) and an in-memory PostgreSQL (PGlite) with the Aurora store's `0001_records.sql` applied
 * as is. Each record carries its own stored-at time (the SQLite store stamps it from the clock).
 *
 * @example
 * const twin = await openTwinStores(records);
 * const rows = await twin.pg.rows(sql, { from_ms, to_ms, cell: null });
 */

/** A record and when the store first wrote it (ingest-to-store latency = stored − received). */
export interface StoredInvoiceRecord {
  readonly record: InvoiceRecord;
  readonly storedAtMs: number;
}

export interface PgTwin {
  readonly db: PGlite;
  /** Runs SQL with named parameters (converted to `$n`) and returns its rows. */
  rows<T extends object = Record<string, unknown>>(sql: string, named: NamedValues): Promise<T[]>;
}

export interface TwinStores {
  readonly sqlite: TestCellDb;
  readonly pg: PgTwin;
  close(): Promise<void>;
}

const MIGRATION = path.join(PROJECT_ROOT, 'consumers/postgresql/migrations/0001_records.sql');
const STAGE_ORDER = new Map(CELL_TOPOLOGY.stages.map((s) => [s.name as string, s.order]));
const INSERT_CHUNK = 500;

/** The rows as the Aurora store's insert builds them, each with its own stored-at time. */
const LOAD_SQL = `INSERT INTO records (${INSERT_COLUMNS.join(', ')}, stored_at_ms)
  SELECT ${INSERT_COLUMNS.join(', ')}, stored_at_ms
  FROM jsonb_to_recordset(CAST($1 AS jsonb)) AS r(${RECORDSET_COLUMNS}, stored_at_ms bigint)`;

async function loadPg(db: PGlite, records: readonly StoredInvoiceRecord[]): Promise<void> {
  await db.exec(fs.readFileSync(MIGRATION, 'utf8'));
  for (let i = 0; i < records.length; i += INSERT_CHUNK) {
    const rows = records.slice(i, i + INSERT_CHUNK).map(({ record, storedAtMs }, index) => ({
      ...insertRowOf({ index, record, stageOrder: STAGE_ORDER.get(record.dimensions.stage) ?? -1 }),
      stored_at_ms: storedAtMs,
    }));
    await db.query(LOAD_SQL, [JSON.stringify(rows)]);
  }
}

async function loadSqlite(cell: TestCellDb, records: readonly StoredInvoiceRecord[]): Promise<void> {
  for (const { record, storedAtMs } of records) await cell.write(record, storedAtMs);
}

/** An in-memory PostgreSQL with the Aurora `records` table holding `records`. */
export async function openPgRecords(records: readonly StoredInvoiceRecord[]): Promise<PgTwin> {
  const db = new PGlite();
  await loadPg(db, records);
  return {
    db,
    async rows<T extends object>(sql: string, named: NamedValues): Promise<T[]> {
      const { sql: text, values } = toPositional(sql, named);
      return (await db.query<T>(text, values)).rows;
    },
  };
}

/** Opens both stores and writes `records` (distinct eventIds) into each. */
export async function openTwinStores(records: readonly StoredInvoiceRecord[]): Promise<TwinStores> {
  const sqlite = openTestCellDb();
  const [pg] = await Promise.all([openPgRecords(records), loadSqlite(sqlite, records)]);
  return {
    sqlite,
    pg,
    async close() {
      sqlite.close();
      await pg.db.close();
    },
  };
}
