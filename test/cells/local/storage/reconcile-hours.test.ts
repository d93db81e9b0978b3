import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCellDatabase } from '../../../../cells/local/storage/db.js';
import { MIGRATIONS } from '../../../../cells/local/storage/migrations.js';
import {
  pruneReconcileBins,
  ReconcileCounters,
  readStageTotals,
  readUnbalancedBins,
} from '../../../../cells/local/storage/reconcile-counters.js';
import { CELL_TOPOLOGY, type StageName } from '../../../../cells/topology.js';
import type { BinCounts, StageTotals } from '../../../../consumers/monitoring/reconcile-bins.js';
import {
  archiveEvent,
  openTestCellDb,
  recordOf,
  type TestCellDb,
} from '../../../dashboards/support/cell-db.js';
import { tempDataDir } from '../helpers/cell-process.js';
import { seededRandom } from '../monitoring/support/reconcile-pipeline.js';

const T0 = Date.parse('2026-11-20T06:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const STAGES = CELL_TOPOLOGY.stages.map((s) => s.name);
const HOURS_MIGRATION = MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE reconcile_hours'));

type Db = TestCellDb['db'];

/** What reconcile_hours must hold: the minute bins grouped by hour (the definition). */
function hoursFromMinutes(db: Db): unknown[] {
  return db
    .prepare(
      `SELECT stage, bin_start_ms - ((bin_start_ms % ${HOUR}) + ${HOUR}) % ${HOUR} AS hour_start_ms,
         sum(accepted) AS accepted, sum(stored) AS stored, count(*) AS bins,
         sum(accepted != stored OR unaccepted != 0) AS unbalanced
       FROM reconcile_bins GROUP BY 1, 2 ORDER BY 1, 2`,
    )
    .all();
}

function hoursTable(db: Db): unknown[] {
  return db
    .prepare(
      'SELECT stage, hour_start_ms, accepted, stored, bins, unbalanced FROM reconcile_hours ORDER BY 1, 2',
    )
    .all();
}

/** The minute-level answers the hourly reads must equal. */
function minuteTotals(db: Db, fromMs: number, toMs: number): StageTotals[] {
  const sum = db.prepare<
    [string, number, number],
    { accepted: number | null; stored: number | null; bins: number }
  >(
    `SELECT sum(accepted) AS accepted, sum(stored) AS stored, count(*) AS bins
     FROM reconcile_bins WHERE stage = ? AND bin_start_ms >= ? AND bin_start_ms < ?`,
  );
  return STAGES.map((stage) => {
    const row = sum.get(stage, fromMs, toMs);
    return { stage, accepted: row?.accepted ?? 0, stored: row?.stored ?? 0, bins: row?.bins ?? 0 };
  });
}

function minuteUnbalanced(db: Db, fromMs: number, toMs: number, limit: number): BinCounts[] {
  return db
    .prepare<
      [number, number, number],
      { binStartMs: number; stage: StageName; accepted: number; stored: number; unaccepted: number }
    >(
      `SELECT bin_start_ms AS binStartMs, stage, accepted, stored, unaccepted FROM reconcile_bins
       WHERE bin_start_ms >= ? AND bin_start_ms < ? AND (accepted != stored OR unaccepted != 0)
       ORDER BY bin_start_ms, stage LIMIT ?`,
    )
    .all(fromMs, toMs, limit)
    .map((r) => ({
      stage: r.stage,
      binStartMs: r.binStartMs,
      accepted: r.accepted,
      stored: r.stored,
      unaccepted: r.unaccepted,
    }));
}

describe('reconcile_hours', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  /** Random acceptances and first writes over ten hours: most balance, some do not. */
  async function randomHistory(seed: number): Promise<void> {
    const random = seededRandom(seed);
    for (let i = 0; i < 600; i++) {
      const stage = CELL_TOPOLOGY.stages[Math.floor(random() * STAGES.length)];
      if (!stage) throw new Error('no stage');
      const receivedAtMs = T0 + Math.floor(random() * 10 * HOUR);
      const eventId = `e${seed}-${i}`;
      const invoiceId = `INV-${seed}-${i}`;
      const roll = random();
      // 90 % accepted and stored, 5 % accepted only (missing), 5 % stored only (unaccepted).
      if (roll < 0.95)
        archiveEvent(cell.db, { eventId, invoiceId, detailType: stage.detailType, receivedAtMs });
      if (roll < 0.9 || roll >= 0.95) {
        await cell.write(
          recordOf({ eventId, invoiceId, stage: stage.name, timeMs: receivedAtMs, receivedAtMs }),
        );
      }
    }
  }

  it('holds the sums of its minute bins through acceptances, first writes, deletes, a rebuild and pruning', async () => {
    // Prepare
    await randomHistory(1);
    const afterLoad = { table: hoursTable(cell.db), expected: hoursFromMinutes(cell.db) };

    // Act: the delete trigger, the rebuild (reset, then apply over nothing) and retention.
    cell.db.prepare("DELETE FROM records WHERE event_id LIKE 'e1-1%'").run();
    const afterDelete = { table: hoursTable(cell.db), expected: hoursFromMinutes(cell.db) };
    const hook = new ReconcileCounters(cell.db, CELL_TOPOLOGY);
    cell.db.transaction(() => hook.reset())();
    const afterReset = { table: hoursTable(cell.db), expected: hoursFromMinutes(cell.db) };
    while (pruneReconcileBins(cell.db, T0 + 3 * HOUR + 30 * MIN, 50) > 0);
    const afterPrune = { table: hoursTable(cell.db), expected: hoursFromMinutes(cell.db) };

    // Assess
    expect(afterLoad.table.length).toBeGreaterThan(30);
    for (const step of [afterLoad, afterDelete, afterReset, afterPrune])
      expect(step.table).toEqual(step.expected);
    expect(afterDelete.table).not.toEqual(afterLoad.table);
    // Hours whose minutes were all pruned leave no row; the cut hour keeps its later minutes.
    expect(
      hoursTable(cell.db).every((h) => (h as { hour_start_ms: number }).hour_start_ms >= T0 + 3 * HOUR),
    ).toBe(true);
  });

  it('answers totals and unbalanced bins of any window as the minute bins do', async () => {
    // Prepare
    await randomHistory(2);
    const random = seededRandom(99);
    const windows: [number, number][] = [
      [T0, T0 + 10 * HOUR],
      [T0 - 5 * HOUR, T0 + 20 * HOUR],
      [T0 + 17 * MIN, T0 + 17 * MIN + 3 * HOUR],
      [T0 + HOUR + 1 * MIN, T0 + 2 * HOUR - MIN],
      [T0 + 2 * HOUR, T0 + 3 * HOUR],
    ];
    for (let i = 0; i < 40; i++) {
      const from = T0 + Math.floor(random() * 600) * MIN;
      windows.push([from, from + (1 + Math.floor(random() * 600)) * MIN]);
    }

    // Act / Assess
    for (const [fromMs, toMs] of windows) {
      expect(readStageTotals(cell.db, STAGES, fromMs, toMs)).toEqual(minuteTotals(cell.db, fromMs, toMs));
      for (const limit of [3, 1_000]) {
        expect(readUnbalancedBins(cell.db, STAGES, fromMs, toMs, limit)).toEqual(
          minuteUnbalanced(cell.db, fromMs, toMs, limit),
        );
      }
    }
  });
});

describe('the reconcile_hours migration', () => {
  let dir: string;

  beforeEach(() => {
    dir = tempDataDir('reconcile-hours-migration-');
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fills the hours from the minute bins of a data dir of the previous schema', () => {
    // Prepare: the schema before the migration with minute bins in two hours, one unbalanced.
    const file = path.join(dir, 'cell.sqlite');
    const old = new Database(file);
    for (const sql of MIGRATIONS.slice(0, HOURS_MIGRATION)) old.exec(sql);
    old.pragma(`user_version = ${HOURS_MIGRATION}`);
    const bin = old.prepare(
      'INSERT INTO reconcile_bins (bin_start_ms, stage, accepted, stored, unaccepted) VALUES (?, ?, ?, ?, ?)',
    );
    bin.run(T0, 'ingestion', 3, 3, 0);
    bin.run(T0 + 59 * MIN, 'ingestion', 2, 1, 0);
    bin.run(T0 + HOUR, 'ingestion', 1, 1, 0);
    bin.run(T0 + HOUR, 'posting', 0, 1, 1);
    old.close();

    // Act
    const db = openCellDatabase({ file, synchronous: 'NORMAL', role: 'api' });
    try {
      // Assess
      expect(hoursTable(db)).toEqual([
        { stage: 'ingestion', hour_start_ms: T0, accepted: 5, stored: 4, bins: 2, unbalanced: 1 },
        { stage: 'ingestion', hour_start_ms: T0 + HOUR, accepted: 1, stored: 1, bins: 1, unbalanced: 0 },
        { stage: 'posting', hour_start_ms: T0 + HOUR, accepted: 0, stored: 1, bins: 1, unbalanced: 1 },
      ]);
    } finally {
      db.close();
    }
  });
});
