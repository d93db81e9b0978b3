import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCellDatabase } from '../../../../cells/local/storage/db.js';
import { FaultInjectingStore } from '../../../../cells/local/storage/fault-injecting-store.js';
import { SqliteStore } from '../../../../cells/local/storage/sqlite-store.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { ManualClock } from '../../../../consumers/clock.js';
import { tempDataDir } from '../helpers/cell-process.js';
import { record, T0 } from './support/records.js';

const topology = CELL_TOPOLOGY;

describe('FaultInjectingStore', () => {
  describe('writeRecords', () => {
    it('refuses the chosen events and the later records of their invoices, and writes the rest', async () => {
      // Prepare
      const dir = tempDataDir('fault-store-');
      const db = openCellDatabase({
        file: path.join(dir, 'cell.sqlite'),
        synchronous: 'NORMAL',
        role: 'api',
      });
      const inner = new SqliteStore(db, { topology, clock: new ManualClock(T0) });
      const store = new FaultInjectingStore(inner);
      store.setFailingEventIds(['p1']);
      try {
        // Act
        const result = await store.writeRecords([
          record({ eventId: 'h1', invoiceId: 'INV-H' }),
          record({ eventId: 'p1', invoiceId: 'INV-P' }),
          record({ eventId: 'p2', invoiceId: 'INV-P', timeMs: T0 + 1 }),
          record({ eventId: 'h2', invoiceId: 'INV-H', timeMs: T0 + 1 }),
        ]);

        // Assess
        expect(result.rejected.map((r) => r.index)).toEqual([1, 2]);
        expect((await store.timeline('INV-H')).map((r) => r.dimensions.eventId)).toEqual(['h1', 'h2']);
        expect(await store.timeline('INV-P')).toEqual([]);
      } finally {
        db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
