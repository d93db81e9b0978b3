import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../cells/local/logger.js';
import { type DatabaseHandle, openCellDatabase, WriteBatcher } from '../../../../cells/local/storage/db.js';
import type { FirstWriteHook } from '../../../../cells/local/storage/first-write-hook.js';
import { cellWriteHooks, createRecordStore } from '../../../../cells/local/storage/record-store.js';
import {
  META_BACKFILL,
  META_HOOK_VERSIONS,
  RollupBackfill,
  type RollupBackfillOptions,
  readBackfillStatus,
} from '../../../../cells/local/storage/rollup-backfill.js';
import { SqliteStore } from '../../../../cells/local/storage/sqlite-store.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { ManualClock } from '../../../../consumers/clock.js';
import type { RollupRecord } from '../../../../dashboards/rollups/contributions.js';
import { randomStream } from '../../../dashboards/rollups/support/random-records.js';
import { tempDataDir } from '../helpers/cell-process.js';
import {
  capturingLogger,
  type HookCalls,
  type LogLine,
  openOldDatabase,
  tableContents,
  watchHook,
  writeRecords,
} from './support/hook-data.js';

const topology = CELL_TOPOLOGY;
const silent = createLogger({ level: 'silent' });
/** ~1,000 records (duplicates, late events, many currencies) in 10-record writes. */
const stream = randomStream(9, 160);

function backfill(
  db: DatabaseHandle,
  hooks: readonly FirstWriteHook[],
  options: Partial<RollupBackfillOptions> = {},
) {
  return new RollupBackfill({
    db,
    batcher: new WriteBatcher(db),
    hooks,
    logger: silent,
    maxChunkRows: 97,
    ...options,
  });
}

function meta(db: DatabaseHandle, key: string): unknown {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row ? JSON.parse(row.value) : undefined;
}

/** A hook with a table of its own: records applied per stage. */
function countingHook(db: DatabaseHandle, name: string, version: string): FirstWriteHook {
  db.exec(`CREATE TABLE IF NOT EXISTS "${name}" (stage TEXT PRIMARY KEY, n INTEGER NOT NULL)`);
  const bump = db.prepare(
    `INSERT INTO "${name}" (stage, n) VALUES (?, 1) ON CONFLICT (stage) DO UPDATE SET n = n + 1`,
  );
  const clear = db.prepare(`DELETE FROM "${name}"`);
  return {
    name,
    version,
    apply: (records: readonly RollupRecord[]) => {
      for (const r of records) bump.run(r.stage);
    },
    reset: () => clear.run(),
  };
}

describe('RollupBackfill', () => {
  let dir: string;
  let dbs: DatabaseHandle[];

  beforeEach(() => {
    dir = tempDataDir('rollup-backfill-');
    dbs = [];
  });

  afterEach(() => {
    for (const db of dbs) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const open = (name: string) => {
    const db = openCellDatabase({ file: path.join(dir, name), synchronous: 'NORMAL', role: 'api' });
    dbs.push(db);
    return db;
  };

  /** A data dir of a version before the hooks (schema 4), with the stream's records, then migrated. */
  async function upgradedDataDir(name: string): Promise<DatabaseHandle> {
    const old = openOldDatabase(path.join(dir, name), 4);
    const clock = new ManualClock();
    await writeRecords(new SqliteStore(old, { topology, clock }), clock, stream.arrivals);
    old.close();
    return open(name);
  }

  /** The reference: a fresh data dir whose store had the hooks from its first record on. */
  async function hooksAllAlong(): Promise<DatabaseHandle> {
    const db = open('reference.sqlite');
    await backfill(db, cellWriteHooks(db, topology)).run();
    const clock = new ManualClock();
    await writeRecords(createRecordStore(db, { topology, clock }), clock, stream.arrivals);
    return db;
  }

  describe('run', () => {
    it('builds the hooks of an old data dir equal to those of a store that had them all along', async () => {
      // Prepare
      const reference = await hooksAllAlong();
      const db = await upgradedDataDir('old.sqlite');

      // Act
      const outcome = await backfill(db, cellWriteHooks(db, topology)).run();

      // Assess
      expect(outcome).toBe('rebuilt');
      expect(tableContents(db)).toEqual(tableContents(reference));
      expect(meta(db, META_HOOK_VERSIONS)).toEqual(meta(reference, META_HOOK_VERSIONS));
      expect(readBackfillStatus(db)).toEqual({ state: 'current' });
    });

    it('resumes an interrupted rebuild from its cursor without resetting again, ending equal', async () => {
      // Prepare: the third chunk fails (a kill mid-backfill leaves the same state: its
      // transaction never committed).
      const reference = await hooksAllAlong();
      const db = await upgradedDataDir('old.sqlite');
      const first: HookCalls = { resets: 0, applies: 0 };
      const [rollups, ...others] = cellWriteHooks(db, topology) as [FirstWriteHook, ...FirstWriteHook[]];
      await expect(backfill(db, [watchHook(rollups, first, 3), ...others]).run()).rejects.toThrow(
        /on purpose/,
      );
      const interrupted = meta(db, META_BACKFILL) as { cursor: number; upto: number };
      const second: HookCalls = { resets: 0, applies: 0 };

      // Act
      const [again, ...rest] = cellWriteHooks(db, topology) as [FirstWriteHook, ...FirstWriteHook[]];
      const outcome = await backfill(db, [watchHook(again, second), ...rest]).run();

      // Assess
      expect(interrupted.cursor).toBeGreaterThan(0);
      expect(interrupted.cursor).toBeLessThan(interrupted.upto);
      expect(outcome).toBe('rebuilt');
      expect(second.resets).toBe(0);
      expect(tableContents(db)).toEqual(tableContents(reference));
      expect(meta(db, META_BACKFILL)).toBeUndefined();
    });

    it('stops after the chunk under way and continues from there on the next run', async () => {
      // Prepare
      const db = await upgradedDataDir('old.sqlite');
      const hook = countingHook(db, 'stage_counts', 'v1');
      let runner: RollupBackfill | undefined;
      const stopping: FirstWriteHook = {
        ...hook,
        apply: (records) => {
          hook.apply(records);
          runner?.stop();
        },
      };
      runner = backfill(db, [stopping]);

      // Act
      const stopped = await runner.run();
      const status = readBackfillStatus(db);
      const resumed = await backfill(db, [hook]).run();

      // Assess
      expect(stopped).toBe('stopped');
      expect(status).toEqual({
        state: 'building',
        hooks: ['stage_counts'],
        done: 97,
        total: expect.any(Number),
      });
      expect(resumed).toBe('rebuilt');
      const counted = db.prepare('SELECT sum(n) AS n FROM stage_counts').get() as { n: number };
      const stored = db.prepare('SELECT count(*) AS n FROM records').get() as { n: number };
      expect(counted.n).toBe(stored.n);
    });

    it('writes the versions at once for a data dir without records', async () => {
      // Prepare
      const db = open('fresh.sqlite');
      const calls: HookCalls = { resets: 0, applies: 0 };

      // Act
      const outcome = await backfill(db, [watchHook(countingHook(db, 'stage_counts', 'v1'), calls)]).run();

      // Assess
      expect(outcome).toBe('current');
      expect(calls.applies).toBe(0);
      expect(meta(db, META_HOOK_VERSIONS)).toEqual({ stage_counts: 'v1' });
    });

    it('rebuilds only the hooks whose version changed and leaves current ones alone', async () => {
      // Prepare
      const db = await upgradedDataDir('old.sqlite');
      await backfill(db, [countingHook(db, 'kept', 'v1'), countingHook(db, 'changed', 'v1')]).run();
      const kept: HookCalls = { resets: 0, applies: 0 };
      const changed: HookCalls = { resets: 0, applies: 0 };

      // Act
      const outcome = await backfill(db, [
        watchHook(countingHook(db, 'kept', 'v1'), kept),
        watchHook(countingHook(db, 'changed', 'v2'), changed),
      ]).run();

      // Assess
      expect(outcome).toBe('rebuilt');
      expect(kept).toEqual({ resets: 0, applies: 0 });
      expect(changed.resets).toBe(1);
      const sum = (t: string) => (db.prepare(`SELECT sum(n) AS n FROM ${t}`).get() as { n: number }).n;
      expect(sum('changed')).toBe(sum('kept'));
      expect(meta(db, META_HOOK_VERSIONS)).toEqual({ kept: 'v1', changed: 'v2' });
    });

    it('does nothing on a restart when every hook is current', async () => {
      // Prepare
      const db = await upgradedDataDir('old.sqlite');
      await backfill(db, [countingHook(db, 'stage_counts', 'v1')]).run();
      const calls: HookCalls = { resets: 0, applies: 0 };

      // Act
      const outcome = await backfill(db, [watchHook(countingHook(db, 'stage_counts', 'v1'), calls)]).run();

      // Assess
      expect(outcome).toBe('current');
      expect(calls).toEqual({ resets: 0, applies: 0 });
    });

    it('logs its start, its progress (done, total, percent, rate, ETA) and its end', async () => {
      // Prepare
      const db = await upgradedDataDir('old.sqlite');
      const lines: LogLine[] = [];
      const total = (db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n;

      // Act
      await backfill(db, [countingHook(db, 'stage_counts', 'v1')], {
        logger: capturingLogger(lines),
        progressEveryMs: 0,
      }).run();

      // Assess
      expect(lines[0]).toEqual({
        level: 'info',
        msg: 'rollup backfill started',
        fields: { hooks: ['stage_counts'], total },
      });
      const progress = lines.filter((l) => l.msg === 'rollup backfill');
      expect(progress.length).toBeGreaterThan(0);
      expect(progress[0]?.fields).toEqual({
        done: 97,
        total,
        percent: Math.round((1000 * 97) / total) / 10,
        recordsPerSec: expect.any(Number),
        etaSec: expect.any(Number),
      });
      expect(lines.at(-1)).toMatchObject({ msg: 'rollup backfill done', fields: { records: total } });
    });
  });
});
