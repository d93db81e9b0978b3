import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCellDatabase, WriteBatcher } from '../../../../cells/local/storage/db.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { tempDataDir } from '../helpers/cell-process.js';

const _topology = CELL_TOPOLOGY;

describe('WriteBatcher', () => {
  describe('run', () => {
    it('rolls back only the failing job of a shared commit', async () => {
      // Prepare
      const dir = tempDataDir('batcher-');
      const db = openCellDatabase({
        file: path.join(dir, 'cell.sqlite'),
        synchronous: 'NORMAL',
        role: 'api',
      });
      const batcher = new WriteBatcher(db);
      const put = db.prepare("INSERT INTO meta (key, value) VALUES (?, 'v')");
      try {
        // Act
        const outcomes = await Promise.allSettled([
          batcher.run(() => put.run('a')),
          batcher.run(() => {
            put.run('b');
            throw new Error('job failed');
          }),
          batcher.run(() => put.run('c')),
        ]);

        // Assess
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect(db.prepare('SELECT key FROM meta ORDER BY key').all()).toEqual([{ key: 'a' }, { key: 'c' }]);
        expect(batcher.stats.commits).toBe(1);
      } finally {
        db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
