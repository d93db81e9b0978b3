import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyDatabase } from '../../../../cells/local/storage/backup-copy.js';
import { makeCellDatabase, metaRowCount } from './support/cell-db-file.js';

/** The online copy: finishes and is one consistent snapshot while another connection keeps committing. */

let dir: string;
let source: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-copy-'));
  source = path.join(dir, 'cell.sqlite');
  makeCellDatabase(source, { rows: 2_000 });
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('copyDatabase', () => {
  it('copies the snapshot of its start while another connection commits between every step', async () => {
    const writer = new Database(source);
    writer.pragma('journal_mode = WAL');
    const insert = writer.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    let writes = 0;
    let writing = true;
    const write = () => {
      if (!writing) return;
      insert.run(`during-${writes++}`, 'y'.repeat(512));
      setImmediate(write);
    };
    setImmediate(write);
    let steps = 0;

    // 20 pages a step: the copy takes many turns of the event loop, each with commits in between.
    const copy = await copyDatabase(source, path.join(dir, 'copy.sqlite'), {
      pagesPerStep: 20,
      onProgress: () => {
        steps++;
      },
    });
    writing = false;
    writer.close();

    expect(steps).toBeGreaterThan(10);
    expect(writes).toBeGreaterThan(10);
    expect(metaRowCount(copy.file)).toBe(2_000);
    expect(copy.bytes).toBe(copy.pages * 4096);
  });

  it('writes one self-contained file in rollback-journal mode', async () => {
    const copy = await copyDatabase(source, path.join(dir, 'copy.sqlite'));
    const db = new Database(copy.file, { readonly: true });
    const mode = db.pragma('journal_mode', { simple: true });
    db.close();

    expect(mode).toBe('delete');
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('copy'))).toEqual(['copy.sqlite']);
  });

  it('refuses an existing destination and leaves it alone', async () => {
    const dest = path.join(dir, 'taken.sqlite');
    fs.writeFileSync(dest, 'mine');

    await expect(copyDatabase(source, dest)).rejects.toThrow(`backup destination ${dest} already exists`);
    expect(fs.readFileSync(dest, 'utf8')).toBe('mine');
  });
});
