import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DatabaseHandle,
  isDiskFullError,
  openCellDatabase,
  setMaxPageCount,
  WriteBatcher,
} from '../../../../cells/local/storage/db.js';
import { tempDataDir } from '../helpers/cell-process.js';

/** A write that needs ~50 new pages: it cannot fit once the file is capped at its current size. */
const BIG_VALUE = 'x'.repeat(200_000);

describe('WriteBatcher on a full disk', () => {
  let dir: string;
  let db: DatabaseHandle;

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh cell database capped at its current size (SQLite never sets the cap below it). */
  function openCapped(): void {
    dir = tempDataDir('disk-full-');
    db = openCellDatabase({ file: path.join(dir, 'cell.sqlite'), synchronous: 'NORMAL', role: 'api' });
    setMaxPageCount(db, 1);
  }

  it('fails every job of a commit that hit SQLITE_FULL and stores none of them', async () => {
    // Prepare
    openCapped();
    const errors: unknown[] = [];
    const batcher = new WriteBatcher(db, { onError: (error) => errors.push(error) });
    const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');

    // Act
    const outcomes = await Promise.allSettled([
      batcher.run(() => put.run('before', 'v')),
      batcher.run(() => put.run('big', BIG_VALUE)),
      batcher.run(() => put.run('after', 'v')),
    ]);

    // Assess: 'after' did not run outside a transaction once SQLite rolled everything back.
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(outcomes.every((o) => o.status === 'rejected' && isDiskFullError(o.reason))).toBe(true);
    expect(db.prepare("SELECT key FROM meta WHERE key IN ('before', 'big', 'after')").all()).toEqual([]);
    expect(errors.some(isDiskFullError)).toBe(true);
    expect(db.inTransaction).toBe(false);
  });

  it('commits the same jobs once the cap is raised', async () => {
    // Prepare
    openCapped();
    const batcher = new WriteBatcher(db);
    const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    await expect(batcher.run(() => put.run('big', BIG_VALUE))).rejects.toMatchObject({ code: 'SQLITE_FULL' });

    // Act
    setMaxPageCount(db, 1_000_000);
    await batcher.run(() => put.run('big', BIG_VALUE));

    // Assess
    expect(db.prepare("SELECT length(value) AS n FROM meta WHERE key = 'big'").get()).toEqual({
      n: BIG_VALUE.length,
    });
  });
});

describe('isDiskFullError', () => {
  it('finds SQLITE_FULL anywhere in the cause chain and nothing else', () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

    expect(isDiskFullError(full)).toBe(true);
    expect(isDiskFullError(new Error('wrapped', { cause: new Error('again', { cause: full }) }))).toBe(true);
    expect(isDiskFullError(Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }))).toBe(false);
    expect(isDiskFullError(undefined)).toBe(false);
  });
});

describe('setMaxPageCount', () => {
  it('refuses a cap that is not a positive integer, naming the value', () => {
    expect(() => setMaxPageCount({} as DatabaseHandle, 0)).toThrow(
      'maxPageCount must be a positive integer, got 0',
    );
  });
});
