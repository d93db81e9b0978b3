import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { CELL_TOPOLOGY } from '../../../../../cells/topology.js';
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
const INSERT_CHUNK = 200;
const COLUMNS = [
  'event_id',
  'measure_name',
  'time_ms',
  'cell',
  'region',
  'stage',
  'stage_order',
  'invoice_id',
  'vendor_id',
  'currency',
  'version',
  'status',
  'amount_minor',
  'vendor_name',
  'received_at_ms',
  'due_date_ms',
  'payment_terms_days',
  'stored_at_ms',
] as const;

function rowValues({ record, storedAtMs }: StoredInvoiceRecord): (string | number | bigint | null)[] {
  const d = record.dimensions;
  const m = record.measures;
  return [
    d.eventId,
    record.measureName,
    record.timeMs,
    d.cell,
    d.region,
    d.stage,
    STAGE_ORDER.get(d.stage) ?? -1,
    d.invoiceId,
    d.vendorId,
    d.currency,
    record.version,
    m.status,
    BigInt(m.amountMinor),
    m.vendorName,
    m.receivedAtMs,
    m.dueDateMs,
    m.paymentTermsDays,
    storedAtMs,
  ];
}

async function loadPg(db: PGlite, records: readonly StoredInvoiceRecord[]): Promise<void> {
  await db.exec(fs.readFileSync(MIGRATION, 'utf8'));
  for (let i = 0; i < records.length; i += INSERT_CHUNK) {
    const chunk = records.slice(i, i + INSERT_CHUNK);
    const tuples = chunk.map(
      (_r, row) => `(${COLUMNS.map((_c, col) => `$${row * COLUMNS.length + col + 1}`).join(', ')})`,
    );
    await db.query(
      `INSERT INTO records (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`,
      chunk.flatMap(rowValues),
    );
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
