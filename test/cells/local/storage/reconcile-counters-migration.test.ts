import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCellDatabase, SCHEMA_VERSION } from '../../../../cells/local/storage/db.js';
import { MIGRATIONS } from '../../../../cells/local/storage/migrations.js';
import { storedCounts } from '../../../../cells/local/storage/reconcile-counters.js';
import { tempDataDir } from '../helpers/cell-process.js';

const RECONCILE_MIGRATION = MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE reconcile_bins'));
const T0 = Date.parse('2026-11-20T09:00:00Z');
const MIN = 60_000;

describe('the reconcile counters migration', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = tempDataDir('reconcile-migration-');
    file = path.join(dir, 'cell.sqlite');
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fills the counters of a data dir of the previous schema from its archive and records', () => {
    // Prepare: the schema before the migration, with accepted events and stored records.
    const old = new Database(file);
    for (const sql of MIGRATIONS.slice(0, RECONCILE_MIGRATION)) old.exec(sql);
    old.pragma(`user_version = ${RECONCILE_MIGRATION}`);
    const archive = old.prepare(
      `INSERT INTO archive (event_id, bus_event_id, detail_type, invoice_id, received_at_ms, body)
       VALUES (?, ?, ?, 'INV-1', ?, '{}')`,
    );
    const records = old.prepare(
      `INSERT INTO records (event_id, measure_name, time_ms, cell, region, stage, stage_order, invoice_id,
         vendor_id, currency, version, status, amount_minor, vendor_name, received_at_ms, stored_at_ms)
       VALUES (?, 'invoice', ?, 'local', 'local', ?, 0, 'INV-1', 'V-1', 'USD', 1, 'RECEIVED', 100, 'Acme', ?, ?)`,
    );
    archive.run('a1', 'b1', 'invoice.ingestion', T0 + 1);
    archive.run('a2', 'b2', 'invoice.ingestion', T0 + 2);
    archive.run('a3', 'b3', 'invoice.posting', T0 + MIN);
    archive.run('x1', 'bx', 'other.detail', T0);
    records.run('a1', T0, 'ingestion', T0 + 1, T0 + 5);
    records.run('a3', T0, 'posting', T0 + MIN, T0 + MIN + 5);
    records.run('p1', T0, 'posting', T0 - MIN, T0);
    old.close();

    // Act
    const db = openCellDatabase({ file, synchronous: 'NORMAL', role: 'api' });
    try {
      db.prepare(
        `INSERT INTO archive (event_id, bus_event_id, detail_type, invoice_id, received_at_ms, body)
         VALUES ('a4', 'b4', 'invoice.ingestion', 'INV-1', ?, '{}')`,
      ).run(T0 + 3);

      // Assess
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(
        db
          .prepare(
            'SELECT bin_start_ms, stage, accepted, stored, unaccepted FROM reconcile_bins ORDER BY 1, 2',
          )
          .all(),
      ).toEqual([
        { bin_start_ms: T0 - MIN, stage: 'posting', accepted: 0, stored: 1, unaccepted: 0 },
        { bin_start_ms: T0, stage: 'ingestion', accepted: 3, stored: 1, unaccepted: 0 },
        { bin_start_ms: T0 + MIN, stage: 'posting', accepted: 1, stored: 1, unaccepted: 0 },
      ]);
      expect(storedCounts(db)).toEqual(
        new Map([
          ['ingestion', 1],
          ['posting', 2],
        ]),
      );
    } finally {
      db.close();
    }
  });
});
