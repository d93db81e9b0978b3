import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../../cells/local/storage/db.js';
import type { FirstWriteHook } from '../../../../cells/local/storage/first-write-hook.js';
import { RollupReader } from '../../../../cells/local/storage/rollup-reader.js';
import {
  type LatestRow,
  latestRecordOf,
  RollupWriter,
} from '../../../../cells/local/storage/rollup-writer.js';
import { SqliteStore } from '../../../../cells/local/storage/sqlite-store.js';
import { buildTopology, CELL_TOPOLOGY, STAGE_SETTINGS } from '../../../../cells/topology.js';
import {
  applyRecord,
  emptyRollupState,
  type RollupState,
} from '../../../../dashboards/rollups/apply-record.js';
import { cellRollups } from '../../../../dashboards/rollups/cell-rollups.js';
import { ROLLUP_TIERS } from '../../../../dashboards/rollups/window-plan.js';
import { randomStream } from '../../../dashboards/rollups/support/random-records.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../../dashboards/support/cell-db.js';
import { loadStream, storedRollupRecords } from './support/rollup-load.js';

const rollups = cellRollups(CELL_TOPOLOGY);
const T = Date.UTC(2026, 0, 7, 10, 30);

/** Every rollup row as [spec, tier, bin, key values, bucket, count, money, sum], sorted. */
type FlatRow = [string, string, number, string, number, number, string, number];

function tableRows(db: DatabaseHandle): FlatRow[] {
  const reader = new RollupReader(db);
  const rows: FlatRow[] = [];
  for (const spec of rollups.specs) {
    for (const tier of ROLLUP_TIERS) {
      for (const r of reader.rows(spec, tier, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)) {
        const keys = JSON.stringify(r.keyValues);
        const { cell } = r;
        if (cell.buckets.size === 0)
          rows.push([spec.id, tier, r.binStartMs, keys, 0, cell.count, `${cell.sumMinor}`, cell.sum]);
        for (const [bucket, n] of cell.buckets)
          rows.push([spec.id, tier, r.binStartMs, keys, bucket, n, '0', 0]);
      }
    }
  }
  return rows.sort();
}

function stateRows(state: RollupState): FlatRow[] {
  const rows: FlatRow[] = [];
  for (const [specId, tiers] of state.bins) {
    for (const [tier, bins] of tiers) {
      for (const [binStartMs, byKey] of bins) {
        for (const { keyValues, cell } of byKey.values()) {
          const keys = JSON.stringify(keyValues);
          if (cell.buckets.size === 0)
            rows.push([specId, tier, binStartMs, keys, 0, cell.count, `${cell.sumMinor}`, cell.sum]);
          for (const [bucket, n] of cell.buckets)
            rows.push([specId, tier, binStartMs, keys, bucket, n, '0', 0]);
        }
      }
    }
  }
  return rows.sort();
}

function latestTable(db: DatabaseHandle): [string, string, unknown][] {
  return db
    .prepare<[], LatestRow & { scope_id: string; partition_key: string }>('SELECT * FROM rollup_latest')
    .safeIntegers(true)
    .all()
    .map((r): [string, string, unknown] => [r.scope_id, r.partition_key, latestRecordOf(r)])
    .sort((a, b) => (`${a[0]}/${a[1]}` < `${b[0]}/${b[1]}` ? -1 : 1));
}

function latestState(state: RollupState): [string, string, unknown][] {
  return [...state.latest]
    .flatMap(([scopeId, partitions]) =>
      [...partitions].map(([key, r]): [string, string, unknown] => [scopeId, key, r]),
    )
    .sort((a, b) => (`${a[0]}/${a[1]}` < `${b[0]}/${b[1]}` ? -1 : 1));
}

function snapshot(db: DatabaseHandle) {
  return { rows: tableRows(db), latest: latestTable(db) };
}

describe('RollupWriter', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  it('holds exactly the in-memory rollup state of the records the store inserted', async () => {
    // Prepare
    const stream = randomStream(31, 150);
    await loadStream(cell.store, cell.clock, stream, 31);

    // Act: the reference applies the stored records in first-write order.
    const state = emptyRollupState();
    for (const record of storedRollupRecords(cell.db)) applyRecord(state, rollups, record);

    // Assess
    expect(tableRows(cell.db)).toEqual(stateRows(state));
    expect(latestTable(cell.db)).toEqual(latestState(state));
    expect(tableRows(cell.db).length).toBeGreaterThan(1000);
  });

  it('rebuilds the same tables after reset from the stored records (the backfill path)', async () => {
    // Prepare
    await loadStream(cell.store, cell.clock, randomStream(5, 80), 5);
    const before = snapshot(cell.db);
    const writer = new RollupWriter(cell.db, CELL_TOPOLOGY);

    // Act
    cell.db.transaction(() => {
      writer.reset();
      const records = storedRollupRecords(cell.db);
      for (let i = 0; i < records.length; i += 97) writer.apply(records.slice(i, i + 97));
    })();

    // Assess
    expect(snapshot(cell.db)).toEqual(before);
  });

  it('empties both tables on reset', async () => {
    // Prepare
    await cell.write(recordOf({ eventId: 'e1', invoiceId: 'INV-1', stage: 'ingestion', timeMs: T }));

    // Act
    new RollupWriter(cell.db, CELL_TOPOLOGY).reset();

    // Assess
    expect(snapshot(cell.db)).toEqual({ rows: [], latest: [] });
  });

  it('carries money into the high column so the low column stays below 1e9 and the sum exact', async () => {
    // Prepare
    const spec = rollups.specs.find((s) => s.panelIds.includes('exec-value-by-stage'));
    const amounts = ['999999999', '999999999', '999999999', '-5'];

    // Act: one write per record, so each amount is one UPSERT into the same day row.
    for (const [i, amountMinor] of amounts.entries()) {
      await cell.write(
        recordOf({ eventId: `m${i}`, invoiceId: `INV-${i}`, stage: 'posting', timeMs: T, amountMinor }),
      );
    }

    // Assess
    const lows = cell.db
      .prepare('SELECT money_lo FROM rollup_rows WHERE money_lo <> 0')
      .pluck()
      .all() as number[];
    expect(lows.length).toBeGreaterThan(0);
    expect(lows.every((lo) => Math.abs(lo) < 1e9)).toBe(true);
    const [row] = new RollupReader(cell.db).rows(
      spec as NonNullable<typeof spec>,
      '1d',
      T - 86_400_000,
      T + 86_400_000,
    );
    expect(row?.cell.sumMinor).toBe(2_999_999_992n);
  });

  it('deletes a distinct-invoice row when its only invoice moves to a later bin', async () => {
    // Prepare
    await cell.write(recordOf({ eventId: 'a', invoiceId: 'INV-1', stage: 'ingestion', timeMs: T }));
    const spec = rollups.specs.find((s) => s.panelIds.includes('exec-invoices-by-stage'));
    const read = () =>
      new RollupReader(cell.db).rows(spec as NonNullable<typeof spec>, '1m', T - 3_600_000, T + 3_600_000);
    expect(read().map((r) => [r.binStartMs, r.cell.count])).toEqual([[T, 1]]);

    // Act
    await cell.write(recordOf({ eventId: 'b', invoiceId: 'INV-1', stage: 'ingestion', timeMs: T + 120_000 }));

    // Assess
    expect(read().map((r) => [r.binStartMs, r.cell.count])).toEqual([[T + 120_000, 1]]);
  });

  it('rolls the whole commit back when a hook fails (records and rollups), and applies the next commit', async () => {
    // Prepare
    const failing: FirstWriteHook = {
      name: 'failing',
      version: '1',
      apply(records) {
        if (records.some((r) => r.eventId === 'boom')) throw new Error('injected hook failure');
      },
      reset() {},
    };
    const store = new SqliteStore(cell.db, {
      topology: CELL_TOPOLOGY,
      clock: cell.clock,
      hooks: [new RollupWriter(cell.db, CELL_TOPOLOGY), failing],
    });
    await store.writeRecords([
      recordOf({ eventId: 'first', invoiceId: 'INV-1', stage: 'ingestion', timeMs: T }),
    ]);
    const before = snapshot(cell.db);

    // Act: both writes share one group commit, whose hooks run once; the second carries the poison.
    const [withGood, withBoom] = await Promise.allSettled([
      store.writeRecords([recordOf({ eventId: 'good', invoiceId: 'INV-2', stage: 'posting', timeMs: T })]),
      store.writeRecords([
        recordOf({ eventId: 'next', invoiceId: 'INV-1', stage: 'reconciliation', timeMs: T + 60_000 }),
        recordOf({ eventId: 'boom', invoiceId: 'INV-3', stage: 'ingestion', timeMs: T }),
      ]),
    ]);
    const rolledBack = snapshot(cell.db);
    const storedAfterFailure = storedRollupRecords(cell.db).map((r) => r.eventId);
    await store.writeRecords([
      recordOf({ eventId: 'good', invoiceId: 'INV-2', stage: 'posting', timeMs: T }),
    ]);

    // Assess
    expect([withGood.status, withBoom.status]).toEqual(['rejected', 'rejected']);
    expect(storedAfterFailure).toEqual(['first']);
    expect(rolledBack).toEqual(before);
    const state = emptyRollupState();
    for (const record of storedRollupRecords(cell.db)) applyRecord(state, rollups, record);
    expect(storedRollupRecords(cell.db).map((r) => r.eventId)).toEqual(['first', 'good']);
    expect(snapshot(cell.db)).toEqual({ rows: stateRows(state), latest: latestState(state) });
  });

  it('leaves the rollups unchanged when an insert of the write fails', async () => {
    // Prepare
    await cell.write(recordOf({ eventId: 'first', invoiceId: 'INV-1', stage: 'ingestion', timeMs: T }));
    const before = snapshot(cell.db);
    cell.db.exec(`CREATE TEMP TRIGGER fail_insert BEFORE INSERT ON records WHEN NEW.event_id = 'boom'
      BEGIN SELECT RAISE(ABORT, 'injected insert failure'); END`);

    // Act
    const act = cell.store.writeRecords([
      recordOf({ eventId: 'next', invoiceId: 'INV-2', stage: 'ingestion', timeMs: T }),
      recordOf({ eventId: 'boom', invoiceId: 'INV-3', stage: 'ingestion', timeMs: T }),
    ]);

    // Assess
    await expect(act).rejects.toThrow(/injected insert failure/);
    expect(snapshot(cell.db)).toEqual(before);
  });

  it('names itself and versions the spec and scope ids of the topology', () => {
    // Prepare
    const writer = new RollupWriter(cell.db, CELL_TOPOLOGY);
    const threeStages = buildTopology({}, STAGE_SETTINGS.slice(0, 3));

    // Act
    const other = new RollupWriter(cell.db, threeStages);

    // Assess
    expect(writer.name).toBe('rollups');
    expect(writer.version).toMatch(/^[0-9a-f]{16}$/);
    expect(new RollupWriter(cell.db, buildTopology()).version).toBe(writer.version);
    expect(other.version).not.toBe(writer.version);
  });
});
