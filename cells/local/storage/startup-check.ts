import type Database from 'better-sqlite3';

/**
 * What the cell checks before it starts (`PRAGMA quick_check`), and what it leaves to backups.
 *
 * A `quick_check` of the whole file reads every page: on a cell of 15 M records (24 GB) it took
 * 119 s with the file in the OS page cache and over 10 minutes from a cold cache (this 2-core
 * machine, 2026-11-30) — a restart that grows with history. So a start checks, by default, every
 * table *except* those that grow with history ({@link HISTORY_TABLES}): the queues, in-flight
 * messages, dedup entries, keys, counters and settings, which are what a restart resumes from and
 * stay small. The history tables are read in full by every backup's `integrity_check`
 * (`backup-verify.ts`), and SQLite reports a damaged page of them (`SQLITE_CORRUPT`) when it is
 * read. `--full-check` checks the whole file at start, as before.
 *
 * A table not listed here is checked at every start: a new table is safe by default, and only a
 * table known to grow with history is left to backups.
 *
 * @example
 * startupCheckProblems(db, 'work'); // [] when the work tables are sound
 */
export type StartupCheck = 'work' | 'full';

/** Tables that grow with history (pruned only by retention); skipped by the `work` check. */
export const HISTORY_TABLES: readonly string[] = [
  'archive',
  'records',
  'rollup_rows',
  'rollup_latest',
  'invoice_state',
  'sla_entries',
  'sla_bins',
  'reconcile_bins',
  'reconcile_hours',
];

/** Problems `quick_check` reports, at most a few ('ok' rows dropped); empty when sound. */
export function startupCheckProblems(db: Database.Database, check: StartupCheck): string[] {
  const tables =
    check === 'full'
      ? [undefined]
      : (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[]).filter(
          (name) => !HISTORY_TABLES.includes(name),
        );
  const problems: string[] = [];
  for (const table of tables) {
    // quick_check(<table>) checks that table and its indexes only (SQLite ≥ 3.33); the name comes
    // from sqlite_schema and is quoted as an identifier.
    const pragma = table === undefined ? 'quick_check' : `quick_check("${table.replaceAll('"', '""')}")`;
    const rows = db.pragma(pragma, { simple: false }) as { quick_check: string }[];
    problems.push(...rows.map((r) => r.quick_check).filter((r) => r !== 'ok'));
    if (problems.length >= 3) break;
  }
  return problems.slice(0, 3);
}
