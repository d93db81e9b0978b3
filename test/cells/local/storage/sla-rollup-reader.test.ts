import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  pruneSlaBins,
  pruneSlaEntries,
  readSlaRollups,
} from '../../../../cells/local/storage/sla-rollup-reader.js';
import { CELL_TOPOLOGY, type StageName } from '../../../../cells/topology.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../../dashboards/support/cell-db.js';

const T0 = Date.parse('2026-11-20T09:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

describe('readSlaRollups', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  const write = (eventId: string, invoiceId: string, stage: StageName, timeMs: number, status?: string) =>
    cell.write(recordOf({ eventId, invoiceId, stage, timeMs, ...(status ? { status } : {}) }));
  const ingestion = (read: ReturnType<typeof readSlaRollups>) =>
    read.rows.find((r) => r.stage === 'ingestion');

  it('counts open entries pending within their SLA and missed after it, at the reading time', async () => {
    // Prepare: two open ingestion entries, 20 and 5 minutes before now (15 min SLA).
    const nowMs = T0 + 30 * MIN;
    await write('a', 'INV-A', 'ingestion', T0 + 10 * MIN);
    await write('b', 'INV-B', 'ingestion', T0 + 25 * MIN);

    // Act
    const now = readSlaRollups(cell.db, CELL_TOPOLOGY, { fromMs: T0, toMs: T0 + HOUR, nowMs });
    const later = readSlaRollups(cell.db, CELL_TOPOLOGY, {
      fromMs: T0,
      toMs: T0 + HOUR,
      nowMs: nowMs + HOUR,
    });

    // Assess
    expect(ingestion(now)).toEqual({ stage: 'ingestion', met: 0, missed: 1, pending: 1, ended: 0, value: 0 });
    expect(ingestion(later)).toMatchObject({ missed: 2, pending: 0 });
  });

  it('counts an entry by the window its entered time falls in, and says which window it read', async () => {
    // Prepare
    await write('a', 'INV-A', 'ingestion', T0 + 10 * MIN + 30_000);
    await write('a2', 'INV-A', 'reconciliation', T0 + 12 * MIN);

    // Act: the window's edges are inside minute bins.
    const read = readSlaRollups(cell.db, CELL_TOPOLOGY, {
      fromMs: T0 + 10 * MIN + 45_000,
      toMs: T0 + 20 * MIN + 1,
      nowMs: T0 + HOUR,
    });
    const before = readSlaRollups(cell.db, CELL_TOPOLOGY, {
      fromMs: T0,
      toMs: T0 + 10 * MIN,
      nowMs: T0 + HOUR,
    });

    // Assess: the start snaps down to its minute, the end up to the next minute.
    expect([read.fromMs, read.toMs]).toEqual([T0 + 10 * MIN, T0 + 21 * MIN]);
    expect(ingestion(read)).toMatchObject({ met: 1, value: 100 });
    expect(ingestion(before)).toMatchObject({ met: 0, missed: 0, pending: 0, ended: 0, value: null });
  });

  it('answers the same after old entries, open ones included, and minute bins are pruned', async () => {
    // Prepare: entries over three hours, some judged, some ended, some open; read a day later,
    // when every open one is past even the longest SLA (posting, 24 h).
    await write('a1', 'INV-A', 'ingestion', T0 + 5 * MIN);
    await write('a2', 'INV-A', 'reconciliation', T0 + 10 * MIN);
    await write('b1', 'INV-B', 'ingestion', T0 + HOUR + 7 * MIN, 'REJECTED');
    await write('c1', 'INV-C', 'ingestion', T0 + 2 * HOUR + 3 * MIN);
    await write('c2', 'INV-C', 'reconciliation', T0 + 3 * HOUR);
    await write('d1', 'INV-D', 'ingestion', T0 + 2 * HOUR + 9 * MIN);
    const nowMs = T0 + 30 * HOUR;
    const window = { fromMs: T0 + 2 * MIN, toMs: T0 + 4 * HOUR, nowMs };
    const before = readSlaRollups(cell.db, CELL_TOPOLOGY, window);
    const cutoff = T0 + 3 * HOUR;

    // Act
    const entriesPruned = pruneSlaEntries(cell.db, CELL_TOPOLOGY, { beforeMs: cutoff, nowMs }, 100);
    const binsPruned = pruneSlaBins(cell.db, '1m', cutoff, 100);
    const after = readSlaRollups(cell.db, CELL_TOPOLOGY, { ...window, oldestRetainedMs: { '1m': cutoff } });

    // Assess: every entry entered before the cut goes, the open ones (INV-A at reconciliation,
    // INV-D at ingestion) too: the bins still count them, as missed.
    expect(entriesPruned).toBe(5);
    expect(binsPruned).toBeGreaterThan(0);
    expect(after.rows).toEqual(before.rows);
    expect(ingestion(after)).toMatchObject({ met: 1, missed: 2, ended: 1, pending: 0 });
    // Without minute bins there, the start snaps down to the hour (nothing entered before 09:05).
    expect([before.fromMs, after.fromMs]).toEqual([T0 + 2 * MIN, T0]);
    const left = cell.db.prepare('SELECT invoice_id, stage_order FROM sla_entries ORDER BY 1, 2').raw().all();
    expect(left).toEqual([['INV-C', 1]]);
  });

  it('keeps open entries still within the longest SLA, which the panel may count as pending', async () => {
    // Prepare: an open reconciliation entry 2 h old (pending: its SLA is 1 h, the longest is 24 h)
    // and a met ingestion entry; retention's cut is later than both.
    const nowMs = T0 + 3 * HOUR;
    await write('a1', 'INV-A', 'ingestion', T0 + HOUR - 10 * MIN);
    await write('a2', 'INV-A', 'reconciliation', T0 + HOUR);
    const window = { fromMs: T0, toMs: T0 + 4 * HOUR, nowMs: T0 + HOUR + 30 * MIN };
    const before = readSlaRollups(cell.db, CELL_TOPOLOGY, window);

    // Act
    const pruned = pruneSlaEntries(cell.db, CELL_TOPOLOGY, { beforeMs: nowMs, nowMs }, 100);

    // Assess: nothing entered within 24 h of now goes, so the pending count is unchanged.
    expect(pruned).toBe(0);
    expect(readSlaRollups(cell.db, CELL_TOPOLOGY, window).rows).toEqual(before.rows);
    expect(before.rows.find((r) => r.stage === 'reconciliation')).toMatchObject({ pending: 1 });
  });

  it('prunes oldest first and at most the limit per call', async () => {
    // Prepare: entries one minute apart, ended and open.
    await write('A1', 'INV-A', 'ingestion', T0, 'REJECTED');
    await write('B1', 'INV-B', 'ingestion', T0 + MIN);
    await write('C1', 'INV-C', 'ingestion', T0 + 2 * MIN, 'REJECTED');
    const cut = { beforeMs: T0 + 3 * MIN, nowMs: T0 + 30 * HOUR };
    const left = () => cell.db.prepare('SELECT invoice_id FROM sla_entries ORDER BY 1').pluck().all();

    // Act
    const first = pruneSlaEntries(cell.db, CELL_TOPOLOGY, cut, 1);
    const afterFirst = left();
    const rest = [5, 5].map((limit) => pruneSlaEntries(cell.db, CELL_TOPOLOGY, cut, limit));

    // Assess
    expect([first, ...rest]).toEqual([1, 2, 0]);
    expect(afterFirst).toEqual(['INV-B', 'INV-C']);
    expect(left()).toEqual([]);
  });

  it('reads open entries and prunes through indexes an outcome change does not move', () => {
    // Act
    const plan = (sql: string) =>
      (cell.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
        .map((p) => p.detail)
        .join('\n');
    const indexes = cell.db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sla_entries'")
      .all();

    // Assess: no index of sla_entries has the outcome in its key.
    expect(indexes).toEqual([
      { name: 'sla_entries_entered', sql: expect.stringMatching(/\(entered_ms\)$/) },
      {
        name: 'sla_entries_open',
        sql: expect.stringMatching(/\(stage_order, entered_ms\) WHERE outcome = 'open'$/),
      },
    ]);
    expect(
      plan(
        "SELECT count(*) FROM sla_entries WHERE outcome = 'open' AND stage_order = 0 AND entered_ms >= 0 AND entered_ms < 1",
      ),
    ).toMatch(/SEARCH sla_entries USING COVERING INDEX sla_entries_open/);
  });
});
