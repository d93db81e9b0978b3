import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CacheWarmupResult,
  startCacheWarmup,
  WARMUP_HORIZON_MS,
  warmRecentPages,
  warmupReads,
  warmupWindow,
} from '../../../../cells/local/storage/cache-warmup.js';
import type { StageName } from '../../../../cells/topology.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../../dashboards/support/cell-db.js';
import { tempDataDir } from '../helpers/cell-process.js';

const NOW = Date.parse('2026-11-30T10:20:00Z');
const HOUR = 3_600_000;

describe('the start-up cache warm-up', () => {
  let cell: TestCellDb;

  beforeEach(async () => {
    cell = openTestCellDb();
    // Invoices whose stages entered 1 h, 50 h and 100 h before now, and one 10 min ahead.
    const at = (eventId: string, invoiceId: string, stage: StageName, timeMs: number) =>
      cell.write(recordOf({ eventId, invoiceId, stage, timeMs }));
    await at('a1', 'INV-A', 'ingestion', NOW - HOUR);
    await at('b1', 'INV-B', 'ingestion', NOW - 50 * HOUR);
    await at('b2', 'INV-B', 'reconciliation', NOW - 49 * HOUR);
    await at('c1', 'INV-C', 'ingestion', NOW - 100 * HOUR);
    await at('d1', 'INV-D', 'ingestion', NOW + 10 * 60_000);
  });

  afterEach(() => {
    cell.close();
  });

  const count = (sql: string, ...params: unknown[]) =>
    cell.db
      .prepare(sql)
      .pluck()
      .get(...params) as number;

  it('reads the horizon of every time-keyed index ingest writes, and all of the in-flight ones', () => {
    // Act
    const result = warmRecentPages(cell.db, { nowMs: NOW });

    // Assess: what each read covered, against plain counts of the same ranges.
    const { fromMs, toMs } = warmupWindow(NOW, WARMUP_HORIZON_MS);
    const inWindow = (table: string, time: string) =>
      count(`SELECT count(*) FROM ${table} WHERE ${time} >= ? AND ${time} < ?`, fromMs, toMs);
    expect(result.rows).toEqual({
      rollup_rows: inWindow('rollup_rows', 'bin_start_ms'),
      sla_entries_entered: 4, // not INV-C's, entered 100 h ago
      sla_entries_open: count("SELECT count(*) FROM sla_entries WHERE outcome = 'open'"),
      sla_bins: inWindow('sla_bins', 'bin_start_ms'),
      invoice_state_deadline: 4, // every invoice is in flight
      invoice_state_done: 0,
    });
    expect(result.rows.rollup_rows).toBeGreaterThan(0);
    expect(result.rows.rollup_rows).toBeLessThan(count('SELECT count(*) FROM rollup_rows'));
    expect(result.horizonHours).toBe(72);
  });

  it('reads ranges of indexes only: no read scans a table', () => {
    // Act
    const plans = warmupReads(cell.db).map((r) => {
      const params = [...r.prefix, ...(r.ranged ? [0, 1] : [])];
      const rows = cell.db.prepare(`EXPLAIN QUERY PLAN ${r.sql}`).all(...params) as { detail: string }[];
      return { name: r.name, ranged: r.ranged, plan: rows.map((p) => p.detail).join('\n') };
    });

    // Assess: ranged reads search a key range; the others read a partial index whole.
    expect(plans.length).toBeGreaterThan(6);
    for (const { name, ranged, plan } of plans) {
      if (ranged) expect(plan, name).toMatch(/^SEARCH /);
      else expect(plan, name).toMatch(new RegExp(`USING COVERING INDEX ${name}\\b`));
    }
  });

  it('covers whole hours from the horizon to the hour after now', () => {
    expect(warmupWindow(NOW, 2 * HOUR)).toEqual({
      fromMs: Date.parse('2026-11-30T08:00:00Z'),
      toMs: Date.parse('2026-11-30T12:00:00Z'),
    });
  });
});

describe('startCacheWarmup', () => {
  let dir: string;

  beforeEach(() => {
    dir = tempDataDir('cache-warmup-');
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('skips a file smaller than the engine cache', () => {
    // Prepare
    const cell = openTestCellDb();
    const file = cell.db.name;

    // Act
    const warmup = startCacheWarmup(
      { file, nowMs: NOW },
      () => {},
      () => {},
    );
    cell.close();

    // Assess
    expect(warmup).toBeUndefined();
  });

  it('reads the file in a worker thread and reports what it read', async () => {
    // Prepare
    const cell = openTestCellDb();
    await cell.write(recordOf({ eventId: 'e1', invoiceId: 'INV-1', stage: 'ingestion', timeMs: NOW }));
    const file = path.join(dir, 'cell.sqlite');
    await cell.db.backup(file);
    cell.close();

    // Act
    const result = await new Promise<CacheWarmupResult>((resolve, reject) => {
      const warmup = startCacheWarmup({ file, nowMs: NOW, minFileBytes: 0 }, resolve, (m) =>
        reject(new Error(m)),
      );
      expect(warmup).toBeDefined();
    });

    // Assess
    expect(result.rows.sla_entries_entered).toBe(1);
    expect(result.rows.rollup_rows).toBeGreaterThan(0);
  });

  it('reports a failure instead of throwing', async () => {
    // Prepare: not a database.
    const file = path.join(dir, 'cell.sqlite');
    fs.writeFileSync(file, 'not a database'.repeat(100));

    // Act
    const message = await new Promise<string>((resolve) => {
      startCacheWarmup({ file, nowMs: NOW, minFileBytes: 0 }, () => resolve('done'), resolve);
    });

    // Assess
    expect(message).toMatch(/not a database|corrupt/i);
  });
});
