import Database from 'better-sqlite3';
import type { LogFields, Logger } from '../../../../../cells/local/logger.js';
import type { DatabaseHandle } from '../../../../../cells/local/storage/db.js';
import type { FirstWriteHook } from '../../../../../cells/local/storage/first-write-hook.js';
import { MIGRATIONS } from '../../../../../cells/local/storage/migrations.js';
import type { SqliteStore } from '../../../../../cells/local/storage/sqlite-store.js';
import type { ManualClock } from '../../../../../consumers/clock.js';
import { INVOICE_MEASURE_NAME, type InvoiceRecord } from '../../../../../consumers/record.js';
import type { RollupRecord } from '../../../../../dashboards/rollups/contributions.js';

/**
 * Data for the backfill and retention tests: an old-format data dir (only the first migrations,
 * as a cell of an older version left it), records written through a store in 10-record batches
 * stamped by a manual clock, the contents of every table to compare two databases, and a hook
 * wrapper that counts calls or fails on a given call.
 *
 * @example
 * const db = openOldDatabase(file, 4);
 * await writeRecords(new SqliteStore(db, { topology, clock }), clock, stream.arrivals);
 */

/** A database that ran only the first `version` migrations (no rollup tables yet). */
export function openOldDatabase(file: string, version: number): DatabaseHandle {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  for (let v = 0; v < version; v++) {
    db.exec(MIGRATIONS[v] as string);
    db.pragma(`user_version = ${v + 1}`);
  }
  return db;
}

/** The record a producer's event became, for a rollup record of the random streams. */
export function invoiceRecordOf(r: RollupRecord): InvoiceRecord {
  return {
    measureName: INVOICE_MEASURE_NAME,
    timeMs: r.timeMs,
    version: 1,
    dimensions: {
      cell: 'local',
      region: 'local',
      stage: r.stage,
      invoiceId: r.invoiceId,
      eventId: r.eventId,
      vendorId: r.vendorId,
      currency: r.currency,
    },
    measures: {
      status: r.status,
      amountMinor: r.amountMinor.toString(),
      vendorName: `Vendor ${r.vendorId}`,
      receivedAtMs: r.receivedAtMs,
      dueDateMs: r.dueDateMs,
      paymentTermsDays: r.paymentTermsDays,
    },
  };
}

/** Writes `records` in batches of 10, each stamped with its first record's stored-at time. */
export async function writeRecords(
  store: SqliteStore,
  clock: ManualClock,
  records: readonly RollupRecord[],
): Promise<void> {
  for (let i = 0; i < records.length; i += 10) {
    const batch = records.slice(i, i + 10);
    clock.set((batch[0] as RollupRecord).storedAtMs);
    await store.writeRecords(batch.map(invoiceRecordOf));
  }
}

/**
 * Every table but `meta` (bookkeeping) and SQLite's own, as rows in column order. Money split in
 * two columns (`money_hi` · 10⁹ + `money_lo`, rollup-writer.ts) is compared as its value: the
 * split of a running sum depends on the order the amounts were added in.
 */
export function tableContents(db: DatabaseHandle): Record<string, unknown[]> {
  const tables = db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'meta' ORDER BY name",
    )
    .all()
    .map((t) => t.name);
  const contents: Record<string, unknown[]> = {};
  for (const table of tables) {
    const columns = db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[];
    const order = columns.map((c) => `"${c.name}"`).join(', ');
    const rows = db.prepare(`SELECT * FROM "${table}" ORDER BY ${order}`).safeIntegers(true).all();
    contents[table] = rows.map((row) => {
      const { money_hi: hi, money_lo: lo, ...rest } = row as Record<string, unknown>;
      return typeof hi === 'bigint' && typeof lo === 'bigint'
        ? { ...rest, money: hi * 1_000_000_000n + lo }
        : row;
    });
  }
  return contents;
}

/** A hook's calls, seen through {@link watchHook}. */
export interface HookCalls {
  resets: number;
  applies: number;
}

/** The same hook (name, version, effects), counting calls; `failOnApply` throws on that call. */
export function watchHook(hook: FirstWriteHook, calls: HookCalls, failOnApply?: number): FirstWriteHook {
  return {
    name: hook.name,
    version: hook.version,
    apply(records) {
      calls.applies++;
      hook.apply(records);
      if (calls.applies === failOnApply) throw new Error(`${hook.name} failed on purpose`);
    },
    reset() {
      calls.resets++;
      hook.reset();
    },
  };
}

/** A log line as {@link capturingLogger} keeps it. */
export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly fields: LogFields;
}

/** A logger that keeps its lines. */
export function capturingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (msg: string, fields?: LogFields): void => {
      lines.push({ level, msg, fields: fields ?? {} });
    };
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}
