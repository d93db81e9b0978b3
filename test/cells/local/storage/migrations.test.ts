import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAlarmTransitions } from '../../../../cells/local/monitoring/alarm-store.js';
import { openCellDatabase, SCHEMA_VERSION } from '../../../../cells/local/storage/db.js';
import { MIGRATIONS } from '../../../../cells/local/storage/migrations.js';
import { tempDataDir } from '../helpers/cell-process.js';

/** The DDL the monitoring plugin ran itself before the table became migration 2. */
const PLUGIN_CREATED_TABLE = `CREATE TABLE IF NOT EXISTS alarm_transitions (
  id INTEGER PRIMARY KEY,
  rule_id TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  value REAL,
  threshold REAL NOT NULL,
  reason TEXT NOT NULL
)`;

describe('MIGRATIONS', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = tempDataDir('migrations-');
    file = path.join(dir, 'cell.sqlite');
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the alarm transitions table in a new database', () => {
    // Act
    const db = openCellDatabase({ file, synchronous: 'NORMAL', role: 'api' });

    // Assess
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(readAlarmTransitions(db)).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('opens a version 1 data dir whose table the plugin created, keeping its transitions', () => {
    // Prepare: the schema of version 1 plus the table and a row written by the old plugin code.
    const old = new Database(file);
    old.exec(MIGRATIONS[0] as string);
    old.pragma('user_version = 1');
    old.exec(PLUGIN_CREATED_TABLE);
    old
      .prepare(
        `INSERT INTO alarm_transitions (rule_id, from_state, to_state, at_ms, value, threshold, reason)
         VALUES ('intake-dlq-not-empty', 'OK', 'ALARM', 1000, 1, 0, 'breached')`,
      )
      .run();
    old.close();

    // Act
    const db = openCellDatabase({ file, synchronous: 'NORMAL', role: 'api' });

    // Assess
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(readAlarmTransitions(db)).toEqual([
        {
          rule_id: 'intake-dlq-not-empty',
          from_state: 'OK',
          to_state: 'ALARM',
          at_ms: 1000,
          value: 1,
          threshold: 0,
          reason: 'breached',
        },
      ]);
    } finally {
      db.close();
    }
    const engine = openCellDatabase({ file, synchronous: 'NORMAL', role: 'engine' });
    engine.close();
  });
});
