import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCellDatabase } from '../../../../cells/local/storage/db.js';
import { MIGRATIONS } from '../../../../cells/local/storage/migrations.js';
import { lookupVendorNames } from '../../../../cells/local/storage/vendor-names.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../../dashboards/support/cell-db.js';
import { tempDataDir } from '../helpers/cell-process.js';

const T0 = Date.parse('2026-11-16T00:00:00Z');

function named(eventId: string, vendorId: string, name: string, timeMs: number) {
  const record = recordOf({ eventId, invoiceId: `INV-${eventId}`, stage: 'ingestion', vendorId, timeMs });
  return { ...record, measures: { ...record.measures, vendorName: name } };
}

describe('vendor names', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  it("keeps each vendor's name of its newest record, whatever order the records arrive in", async () => {
    // Prepare
    await cell.write(named('e1', 'V-1', 'Acme GmbH', T0 + 2_000));
    await cell.write(named('e2', 'V-1', 'Acme (old name)', T0 + 1_000));
    await cell.write(named('e3', 'V-1', 'Acme (same time, later)', T0 + 2_000));
    await cell.write(named('e4', 'V-2', 'Globex', T0));
    await cell.write(named('e5', 'V-2', 'Globex Corporation', T0 + 5_000));

    // Act
    const names = lookupVendorNames(cell.db, ['V-1', 'V-2']);

    // Assess
    expect(Object.fromEntries(names)).toEqual({ 'V-1': 'Acme GmbH', 'V-2': 'Globex Corporation' });
  });

  it('answers only the ids asked for, and leaves out ids without a name', async () => {
    // Prepare
    await cell.write(named('e1', 'V-1', 'Acme GmbH', T0));
    await cell.write(named('e2', 'V-2', 'Globex', T0));

    // Act
    const names = lookupVendorNames(cell.db, ['V-2', 'V-unknown', 'V-2']);

    // Assess
    expect(Object.fromEntries(names)).toEqual({ 'V-2': 'Globex' });
  });

  it('looks names up by primary key, never by scanning records', () => {
    // Act
    const plan = cell.db
      .prepare('EXPLAIN QUERY PLAN SELECT vendor_id, name FROM vendors WHERE vendor_id IN (?, ?)')
      .all('V-1', 'V-2') as { detail: string }[];

    // Assess
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/SEARCH vendors USING PRIMARY KEY/);
  });

  it('does not change a name when the same record is written again (a replay)', async () => {
    // Prepare
    const record = named('e1', 'V-1', 'Acme GmbH', T0);
    await cell.write(record);
    cell.db.prepare("UPDATE vendors SET name = 'Renamed elsewhere' WHERE vendor_id = 'V-1'").run();

    // Act
    await cell.write(record);

    // Assess
    expect(lookupVendorNames(cell.db, ['V-1']).get('V-1')).toBe('Renamed elsewhere');
  });
});

describe('migration 3 (vendors)', () => {
  let dir: string;

  beforeEach(() => {
    dir = tempDataDir('vendors-migration-');
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("fills the names of a data dir's stored records, the newest name of each vendor", () => {
    // Prepare: a version 2 database with records written before the vendors table existed.
    const file = path.join(dir, 'cell.sqlite');
    const old = new Database(file);
    old.exec(MIGRATIONS[0] as string);
    old.exec(MIGRATIONS[1] as string);
    old.pragma('user_version = 2');
    const insert = old.prepare(
      `INSERT INTO records (event_id, measure_name, time_ms, cell, region, stage, stage_order, invoice_id,
         vendor_id, currency, version, status, amount_minor, vendor_name, received_at_ms, stored_at_ms)
       VALUES (?, 'invoice_event', ?, 'local', 'local', 'ingestion', 0, ?, ?, 'USD', 1, 'RECEIVED', 100, ?, ?, ?)`,
    );
    insert.run('e1', T0 + 2_000, 'INV-1', 'V-1', 'Acme GmbH', T0, T0);
    insert.run('e2', T0 + 1_000, 'INV-2', 'V-1', 'Acme (old name)', T0, T0);
    insert.run('e3', T0, 'INV-3', 'V-2', 'Globex', T0, T0);
    old.close();

    // Act
    const db = openCellDatabase({ file, synchronous: 'NORMAL', role: 'api' });

    // Assess
    try {
      expect(Object.fromEntries(lookupVendorNames(db, ['V-1', 'V-2']))).toEqual({
        'V-1': 'Acme GmbH',
        'V-2': 'Globex',
      });
    } finally {
      db.close();
    }
  });
});
