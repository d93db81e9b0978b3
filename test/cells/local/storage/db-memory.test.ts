import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CACHE_KIB, openCellDatabase } from '../../../../cells/local/storage/db.js';
import { tempDataDir } from '../helpers/cell-process.js';

describe('openCellDatabase', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = tempDataDir('db-memory-');
    file = path.join(dir, 'cell.sqlite');
    openCellDatabase({ file, synchronous: 'NORMAL', role: 'api' }).close();
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('memory', () => {
    it.each(['api', 'engine', 'readonly'] as const)(
      'bounds the %s connection: its page cache, no memory map, temporary tables in files',
      (role) => {
        // Act
        const db = openCellDatabase({ file, synchronous: 'NORMAL', role });

        // Assess
        try {
          expect(db.pragma('cache_size', { simple: true })).toBe(-CACHE_KIB[role]);
          expect(db.pragma('mmap_size', { simple: true })).toBe(0);
          expect(db.pragma('temp_store', { simple: true })).toBe(1);
        } finally {
          db.close();
        }
      },
    );

    it('keeps the page caches of a cell within 128 MiB', () => {
      // Assess: a cell has one api and one engine connection (tools open read-only ones).
      expect(CACHE_KIB.api + CACHE_KIB.engine).toBeLessThanOrEqual(128 * 1024);
    });
  });
});
