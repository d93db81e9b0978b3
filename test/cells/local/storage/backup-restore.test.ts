import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyDatabase } from '../../../../cells/local/storage/backup-copy.js';
import { restoreCellDatabase } from '../../../../cells/local/storage/backup-restore.js';
import { BackupVerificationError } from '../../../../cells/local/storage/backup-verify.js';
import { openCellDatabase, SCHEMA_VERSION } from '../../../../cells/local/storage/db.js';
import { makeCellDatabase, metaRowCount, sha256 } from './support/cell-db-file.js';

/** Restoring a data dir's database from a backup: verified first, the old one kept aside, or nothing changed. */

const NOW = Date.parse('2026-11-20T09:15:00Z');
let dir: string;
let dbFile: string;
let backup: string;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-restore-'));
  const source = path.join(dir, 'source.sqlite');
  makeCellDatabase(source, { rows: 50 });
  backup = path.join(dir, 'backup.sqlite');
  await copyDatabase(source, backup);
  fs.mkdirSync(path.join(dir, 'data'));
  dbFile = path.join(dir, 'data', 'cell.sqlite');
  makeCellDatabase(dbFile, { rows: 7 });
  // A live-looking data dir: the database with its WAL and shared-memory files.
  fs.writeFileSync(`${dbFile}-wal`, 'wal');
  fs.writeFileSync(`${dbFile}-shm`, 'shm');
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function dataDirListing(): string[] {
  return fs.readdirSync(path.dirname(dbFile)).sort();
}

describe('restoreCellDatabase', () => {
  it('puts the backup in place and keeps the old database, WAL and shm aside under one name', () => {
    const oldHash = sha256(dbFile);

    const result = restoreCellDatabase({ backupFile: backup, dbFile, nowMs: NOW });

    const aside = `${dbFile}.before-restore-2026-11-20T09-15-00.000Z`;
    expect(result.previous).toBe(aside);
    expect(result.backup.schemaVersion).toBe(SCHEMA_VERSION);
    expect(sha256(dbFile)).toBe(sha256(backup));
    expect(sha256(aside)).toBe(oldHash);
    expect(fs.readFileSync(`${aside}-wal`, 'utf8')).toBe('wal');
    expect(fs.readFileSync(`${aside}-shm`, 'utf8')).toBe('shm');
    expect(dataDirListing()).toEqual(
      ['cell.sqlite', 'cell.sqlite.before-restore-2026-11-20T09-15-00.000Z'].flatMap((n) =>
        n === 'cell.sqlite' ? [n] : [n, `${n}-shm`, `${n}-wal`],
      ),
    );
    expect(metaRowCount(dbFile)).toBe(50);
  });

  it('restores into an empty data dir', () => {
    for (const f of fs.readdirSync(path.dirname(dbFile))) fs.rmSync(path.join(path.dirname(dbFile), f));

    const result = restoreCellDatabase({ backupFile: backup, dbFile, nowMs: NOW });

    expect(result.previous).toBeUndefined();
    expect(dataDirListing()).toEqual(['cell.sqlite']);
  });

  it.each([
    ['garbage', (f: string) => fs.writeFileSync(f, Buffer.alloc(4096, 1)), 'not-sqlite'],
    ['truncated', (f: string) => fs.truncateSync(f, fs.statSync(f).size - 4096), 'truncated'],
    ['missing', (f: string) => fs.rmSync(f), 'missing'],
  ])('refuses a %s backup with its reason and replaces nothing', (_name, spoil, reason) => {
    spoil(backup);
    const before = { listing: dataDirListing(), hash: sha256(dbFile) };

    let error: unknown;
    try {
      restoreCellDatabase({ backupFile: backup, dbFile, nowMs: NOW });
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(BackupVerificationError);
    expect((error as BackupVerificationError).reason).toBe(reason);
    expect(dataDirListing()).toEqual(before.listing);
    expect(sha256(dbFile)).toBe(before.hash);
  });

  it('refuses to restore the database over itself', () => {
    expect(() => restoreCellDatabase({ backupFile: dbFile, dbFile, nowMs: NOW })).toThrow(
      /cannot restore .* over itself/,
    );
  });

  it('restores a backup of an older schema, which the cell then migrates', async () => {
    const old = path.join(dir, 'old-source.sqlite');
    makeCellDatabase(old, { rows: 3, version: 1 });
    const oldBackup = path.join(dir, 'old-backup.sqlite');
    await copyDatabase(old, oldBackup);

    const result = restoreCellDatabase({ backupFile: oldBackup, dbFile, nowMs: NOW });
    const db = openCellDatabase({ file: dbFile, synchronous: 'NORMAL', role: 'api' });
    const version = db.pragma('user_version', { simple: true });
    db.close();

    expect(result.backup.schemaVersion).toBe(1);
    expect(version).toBe(SCHEMA_VERSION);
    expect(metaRowCount(dbFile)).toBe(3);
  });
});
