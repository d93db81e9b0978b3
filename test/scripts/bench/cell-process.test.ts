import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CellChild, startCell, stopCell } from '../../../scripts/bench/cell-process.js';
import { makeCellDatabase } from '../../cells/local/storage/support/cell-db-file.js';

const API_KEY = 'cell-process-test-key-0123456789';

describe('startCell: the start-up cache warm-up the bench waits for', () => {
  const dirs: string[] = [];
  const cells: CellChild[] = [];
  afterEach(async () => {
    for (const cell of cells.splice(0)) await stopCell(cell);
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  function dataDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cell-process-test-'));
    dirs.push(dir);
    return dir;
  }

  it('answers the seconds from ready to the end of the warm-up of a large data dir', async () => {
    // Prepare: larger than the engine's page cache (64 MiB), so the cell warms it
    const dir = dataDir();
    makeCellDatabase(path.join(dir, 'cell.sqlite'), { rows: 70_000 });

    // Act
    const cell = await startCell(dir, 'normal', API_KEY);
    cells.push(cell);
    const seconds = await cell.warmup;

    // Assess
    expect(seconds).toBeTypeOf('number');
    expect(seconds).toBeGreaterThanOrEqual(0);
  });

  it('answers undefined at once for a new data dir, which has nothing to warm', async () => {
    // Act
    const cell = await startCell(dataDir(), 'normal', API_KEY);
    cells.push(cell);

    // Assess
    expect(await cell.warmup).toBeUndefined();
  });
});
