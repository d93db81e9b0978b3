import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyDatabase } from '../../../../cells/local/storage/backup-copy.js';
import {
  type BackupProblem,
  BackupVerificationError,
  verifyBackupFile,
} from '../../../../cells/local/storage/backup-verify.js';
import { SCHEMA_VERSION } from '../../../../cells/local/storage/db.js';
import { makeCellDatabase, sha256 } from './support/cell-db-file.js';

/** Which files a backup is refused for, with which reason; a verification changes nothing. */

let dir: string;
let good: string;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-verify-'));
  const live = path.join(dir, 'cell.sqlite');
  makeCellDatabase(live, { rows: 300 });
  good = path.join(dir, 'good.sqlite');
  await copyDatabase(live, good);
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function reasonOf(file: string): BackupProblem | 'accepted' {
  try {
    verifyBackupFile(file);
    return 'accepted';
  } catch (error) {
    if (error instanceof BackupVerificationError) return error.reason;
    throw error;
  }
}

function variant(name: string, change: (file: string) => void): string {
  const file = path.join(dir, name);
  fs.copyFileSync(good, file);
  change(file);
  return file;
}

describe('verifyBackupFile', () => {
  it('accepts a copy of a cell database and says what it holds', () => {
    const verified = verifyBackupFile(good);

    expect(verified).toMatchObject({ file: good, schemaVersion: SCHEMA_VERSION, check: 'integrity_check' });
    expect(verified.bytes).toBe(fs.statSync(good).size);
    expect(verified.pages * verified.pageSize).toBe(verified.bytes);
  });

  it('refuses a missing file, an empty file and a file that is not SQLite', () => {
    const empty = path.join(dir, 'empty.sqlite');
    fs.writeFileSync(empty, '');
    const garbage = path.join(dir, 'garbage.sqlite');
    fs.writeFileSync(garbage, Buffer.alloc(8192, 0x5a));

    expect(reasonOf(path.join(dir, 'none.sqlite'))).toBe('missing');
    expect(reasonOf(empty)).toBe('empty');
    expect(reasonOf(garbage)).toBe('not-sqlite');
  });

  it('refuses a truncated file, whether cut at a page boundary or inside a page', () => {
    const size = fs.statSync(good).size;
    const atPage = variant('cut-page.sqlite', (f) => fs.truncateSync(f, size - 4096));
    const inPage = variant('cut-mid.sqlite', (f) => fs.truncateSync(f, Math.floor(size / 2) + 100));

    expect(reasonOf(atPage)).toBe('truncated');
    expect(reasonOf(inPage)).toBe('truncated');
  });

  it('refuses a SQLite database of another application, naming the missing tables', () => {
    const other = path.join(dir, 'other.sqlite');
    const db = new Database(other);
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)');
    db.pragma('user_version = 1');
    db.close();

    expect(() => verifyBackupFile(other)).toThrow(/not-a-cell-database.*missing tables: meta, counters/);
  });

  it('refuses a cell database of a newer schema than this code', () => {
    const newer = variant('newer.sqlite', (f) => {
      const db = new Database(f);
      db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      db.close();
    });

    expect(() => verifyBackupFile(newer)).toThrow(
      `schema version ${SCHEMA_VERSION + 1} is newer than this code's ${SCHEMA_VERSION}`,
    );
    expect(reasonOf(newer)).toBe('newer-schema');
  });

  it('refuses a file whose b-tree pages were overwritten', () => {
    const corrupt = variant('corrupt.sqlite', (f) => {
      const pages = fs.statSync(f).size / 4096;
      const fd = fs.openSync(f, 'r+');
      // Garbage over the middle third of the data pages (page 1 holds the schema).
      for (let page = Math.floor(pages / 3); page < Math.floor((2 * pages) / 3); page++) {
        fs.writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, page * 4096);
      }
      fs.closeSync(fd);
    });

    expect(reasonOf(corrupt)).toBe('corrupt');
  });

  it('changes nothing: the file keeps its bytes and gets no -wal or -shm beside it', () => {
    const before = sha256(good);

    verifyBackupFile(good);

    expect(sha256(good)).toBe(before);
    expect(fs.existsSync(`${good}-wal`) || fs.existsSync(`${good}-shm`)).toBe(false);
  });
});
