import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../../../cells/local/api/api-keys.js';
import { openCellDatabase, SCHEMA_VERSION } from '../../../../cells/local/storage/db.js';
import { MIGRATIONS } from '../../../../cells/local/storage/migrations.js';
import { SYSTEM_CLOCK } from '../../../../consumers/clock.js';
import { tempDataDir } from '../helpers/cell-process.js';

/** The data dir of the schema before key roles: its keys keep working, as producer keys. */

const ROLES_MIGRATION = MIGRATIONS.findIndex((sql) => sql.includes('RENAME COLUMN label TO name'));
const OLD_KEY = 'old-producer-key-0123456789-abcdef';

describe('the key-roles migration', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = tempDataDir('migrations-keys-');
    file = path.join(dir, 'cell.sqlite');
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('turns the keys of a data dir of the previous schema into producer keys that still work', () => {
    // Prepare: the schema just before the migration, with a key as the old code stored it.
    expect(ROLES_MIGRATION).toBeGreaterThan(0);
    const old = new Database(file);
    for (const sql of MIGRATIONS.slice(0, ROLES_MIGRATION)) old.exec(sql);
    old.pragma(`user_version = ${ROLES_MIGRATION}`);
    const salt = randomBytes(16);
    const hash = createHash('sha256').update(salt).update(OLD_KEY, 'utf8').digest();
    old
      .prepare('INSERT INTO api_keys (id, label, salt, hash, created_at_ms) VALUES (?, ?, ?, ?, ?)')
      .run('old-id', 'cli', salt, hash, 1_000);
    old.close();

    // Act
    const db = openCellDatabase({ file, synchronous: 'NORMAL', role: 'api' });

    // Assess
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const keys = new ApiKeyStore(db, SYSTEM_CLOCK);
      expect(keys.verify(OLD_KEY)).toEqual({ id: 'old-id', name: 'cli', role: 'producer' });
      expect(keys.list()).toEqual([
        { id: 'old-id', name: 'cli', role: 'producer', createdAtMs: 1_000, revokedAtMs: undefined },
      ]);
    } finally {
      db.close();
    }
  });

  it('refuses a role the contract does not know', () => {
    const db = openCellDatabase({ file, synchronous: 'NORMAL', role: 'api' });
    try {
      const insert = () =>
        db
          .prepare(
            "INSERT INTO api_keys (id, name, role, salt, hash, created_at_ms) VALUES ('x', 'x', 'admin', x'00', x'00', 0)",
          )
          .run();
      expect(insert).toThrow(/CHECK constraint failed/);
    } finally {
      db.close();
    }
  });
});
