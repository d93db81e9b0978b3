import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineHousekeeping } from '../../../../cells/local/engine/engine-housekeeping.js';
import { createLogger } from '../../../../cells/local/logger.js';
import { type DatabaseHandle, openCellDatabase, WriteBatcher } from '../../../../cells/local/storage/db.js';
import { DiskFullMonitor } from '../../../../cells/local/storage/disk-full-monitor.js';
import { cellWriteHooks } from '../../../../cells/local/storage/record-store.js';
import { resolveRetention } from '../../../../cells/local/storage/retention-options.js';
import { META_HOOK_VERSIONS, readBackfillStatus } from '../../../../cells/local/storage/rollup-backfill.js';
import { SqliteStore } from '../../../../cells/local/storage/sqlite-store.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { ManualClock } from '../../../../consumers/clock.js';
import { randomStream } from '../../../dashboards/rollups/support/random-records.js';
import { tempDataDir } from '../helpers/cell-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { openOldDatabase, writeRecords } from '../storage/support/hook-data.js';

const topology = CELL_TOPOLOGY;
const DAY = 86_400_000;

describe('EngineHousekeeping', () => {
  let dir: string;
  let db: DatabaseHandle | undefined;
  let housekeeping: EngineHousekeeping | undefined;

  afterEach(async () => {
    await housekeeping?.stop();
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('start', () => {
    it('hands over to polling only once the backfill made the hooks current, then prunes', async () => {
      // Prepare: a data dir of a version before the hooks, whose records were all written long ago.
      dir = tempDataDir('housekeeping-');
      const file = path.join(dir, 'cell.sqlite');
      const old = openOldDatabase(file, 4);
      const writer = new ManualClock();
      await writeRecords(
        new SqliteStore(old, { topology, clock: writer }),
        writer,
        randomStream(3, 40).stored,
      );
      old.close();
      db = openCellDatabase({ file, synchronous: 'NORMAL', role: 'api' });
      const clock = new ManualClock(writer.now() + 500 * DAY);
      const logger = createLogger({ level: 'silent' });
      housekeeping = new EngineHousekeeping({
        db,
        batcher: new WriteBatcher(db),
        clock,
        logger,
        disk: new DiskFullMonitor({ db, dbFile: file, clock, logger }),
        hooks: cellWriteHooks(db, topology),
        retention: resolveRetention({}, topology.settings),
        queueIds: [],
        maxFutureSkewMs: 300_000,
        topology,
      });
      const current = db;
      let statusAtHandOver: unknown;

      // Act
      housekeeping.start(() => {
        statusAtHandOver = {
          ...readBackfillStatus(current),
          versions: current.prepare(`SELECT value FROM meta WHERE key = '${META_HOOK_VERSIONS}'`).get(),
          rollupRows: (current.prepare('SELECT count(*) AS n FROM rollup_rows').get() as { n: number }).n,
        };
      });

      // Assess
      await waitFor(() => statusAtHandOver, { what: 'the hand-over to polling' });
      expect(statusAtHandOver).toEqual({
        state: 'current',
        versions: { value: expect.any(String) },
        rollupRows: expect.any(Number),
      });
      expect((statusAtHandOver as { rollupRows: number }).rollupRows).toBeGreaterThan(0);
      const records = () => (current.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n;
      await waitFor(() => records() === 0, { what: 'the first retention run', describe: records });
    });
  });
});
