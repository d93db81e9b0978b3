import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAlarmTransitions } from '../../../../cells/local/monitoring/alarm-store.js';
import { type MigrationStep, openCellDatabase, SCHEMA_VERSION } from '../../../../cells/local/storage/db.js';
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

  it('tells each migration it applies before and after, with the version the file had', () => {
    // Prepare: a data dir two versions behind.
    const old = new Database(file);
    for (const sql of MIGRATIONS.slice(0, SCHEMA_VERSION - 2)) old.exec(sql);
    old.pragma(`user_version = ${SCHEMA_VERSION - 2}`);
    old.close();
    const steps: MigrationStep[] = [];

    // Act
    openCellDatabase({ file, synchronous: 'NORMAL', role: 'api', onMigration: (s) => steps.push(s) }).close();
    openCellDatabase({ file, synchronous: 'NORMAL', role: 'api', onMigration: (s) => steps.push(s) }).close();

    // Assess: two migrations, each started then done; none on the second open.
    const from = SCHEMA_VERSION - 2;
    expect(steps.map(({ ms, ...step }) => step)).toEqual([
      { phase: 'start', from, version: from + 1, of: SCHEMA_VERSION },
      { phase: 'done', from, version: from + 1, of: SCHEMA_VERSION },
      { phase: 'start', from, version: from + 2, of: SCHEMA_VERSION },
      { phase: 'done', from, version: from + 2, of: SCHEMA_VERSION },
    ]);
    expect(steps.filter((s) => s.phase === 'done').every((s) => typeof s.ms === 'number')).toBe(true);
  });

  it('moves the SLA entries of a version 9 data dir off the index keyed by outcome', () => {
    // Prepare: the version 9 schema with an open and a met entry.
    const old = new Database(file);
    for (const sql of MIGRATIONS.slice(0, 9)) old.exec(sql);
    old.pragma('user_version = 9');
    const entry = old.prepare(
      `INSERT INTO sla_entries (invoice_id, stage_order, entered_ms, status, status_time_ms, status_event_id, outcome)
       VALUES (?, 0, ?, 'RECEIVED', ?, ?, ?)`,
    );
    entry.run('INV-1', 1_000, 1_000, 'e1', 'open');
    entry.run('INV-2', 2_000, 2_000, 'e2', 'met');
    old.close();

    // Act
    const db = openCellDatabase({ file, synchronous: 'NORMAL', role: 'api' });

    // Assess
    try {
      const names = db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sla_entries' ORDER BY 1",
        )
        .pluck()
        .all();
      expect(names).toEqual(['sla_entries_entered', 'sla_entries_open']);
      const open = db.prepare(
        "SELECT invoice_id FROM sla_entries INDEXED BY sla_entries_open WHERE outcome = 'open'",
      );
      expect(open.pluck().all()).toEqual(['INV-1']);
      const byEntered = db.prepare(
        'SELECT invoice_id FROM sla_entries INDEXED BY sla_entries_entered ORDER BY entered_ms',
      );
      expect(byEntered.pluck().all()).toEqual(['INV-1', 'INV-2']);
    } finally {
      db.close();
    }
  });
});
