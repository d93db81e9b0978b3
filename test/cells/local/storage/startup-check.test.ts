import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptDatabaseError, openCellDatabase } from '../../../../cells/local/storage/db.js';
import { HISTORY_TABLES } from '../../../../cells/local/storage/startup-check.js';
import { tempDataDir } from '../helpers/cell-process.js';
import { addArchiveRows, damageLeafPage, makeCellDatabase } from './support/cell-db-file.js';

const dirs: string[] = [];
function cellFile(): string {
  const dir = tempDataDir('startup-check-');
  dirs.push(dir);
  return path.join(dir, 'cell.sqlite');
}

function open(file: string, check?: 'work' | 'full') {
  return () =>
    openCellDatabase({ file, synchronous: 'NORMAL', role: 'api', ...(check ? { check } : {}) }).close();
}

describe('the start-up check', () => {
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('names only tables of the schema as history', () => {
    // Prepare
    const file = cellFile();
    makeCellDatabase(file, { rows: 1 });

    // Act
    const db = openCellDatabase({ file, synchronous: 'NORMAL', role: 'readonly' });
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all();
    db.close();

    // Assess
    expect(tables).toEqual(expect.arrayContaining([...HISTORY_TABLES]));
    expect(tables).toEqual(expect.arrayContaining(['messages', 'queues', 'dedup', 'api_keys', 'meta']));
  });

  it('refuses a damaged page of a table a restart resumes from, naming the file', () => {
    // Prepare
    const file = cellFile();
    makeCellDatabase(file, { rows: 200 });
    damageLeafPage(file, 'meta');

    // Act / Assess
    expect(open(file)).toThrow(CorruptDatabaseError);
    expect(open(file)).toThrow(file);
  });

  it('leaves a damaged history page to backups by default, and refuses it with the full check', () => {
    // Prepare
    const file = cellFile();
    makeCellDatabase(file, { rows: 1 });
    addArchiveRows(file, 200);
    damageLeafPage(file, 'archive');

    // Act / Assess
    expect(open(file)).not.toThrow();
    expect(open(file, 'work')).not.toThrow();
    expect(open(file, 'full')).toThrow(CorruptDatabaseError);
    expect(open(file, 'full')).toThrow(/corrupt/);
  });
});
