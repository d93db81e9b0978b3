import type { Database, Statement } from 'better-sqlite3';

/**
 * Vendor names of the local cell (`vendors` table, migration 3): each vendor's latest name by
 * record time, so a dashboard shows "Acme GmbH" beside `V-1042` without scanning records.
 *
 * - Written by the store in the record's own write transaction ({@link prepareVendorUpsert}): a
 *   name replaces the stored one only when its record is strictly newer, so a replay or redrive of
 *   an old event (or a tie) never overwrites a newer name, and the table is idempotent like the
 *   records are.
 * - Read by primary key for the vendor ids of one panel answer only ({@link lookupVendorNames}).
 *
 * @example
 * const upsert = prepareVendorUpsert(db);
 * upsert.run('V-1', 'Acme GmbH', record.timeMs);
 * lookupVendorNames(db, ['V-1', 'V-2']); // Map { 'V-1' => 'Acme GmbH' }
 */

/** Parameters of the upsert: vendor id, name, record time (epoch ms). */
export type VendorUpsertParams = [string, string, number];

const UPSERT_SQL = `INSERT INTO vendors (vendor_id, name, updated_at_ms) VALUES (?, ?, ?)
  ON CONFLICT (vendor_id) DO UPDATE SET name = excluded.name, updated_at_ms = excluded.updated_at_ms
  WHERE excluded.updated_at_ms > vendors.updated_at_ms`;

/** Ids per lookup statement: far below SQLite's bound-parameter limit (32,766 since 3.32). */
const LOOKUP_CHUNK = 500;

/**
 * The prepared upsert of a vendor's name (run it inside the record write's transaction).
 *
 * @example
 * prepareVendorUpsert(db).run(d.vendorId, m.vendorName, record.timeMs);
 */
export function prepareVendorUpsert(db: Database): Statement<VendorUpsertParams> {
  return db.prepare<VendorUpsertParams>(UPSERT_SQL);
}

/**
 * The stored names of `vendorIds` (ids without a name are left out): primary-key lookups in
 * chunks of {@link LOOKUP_CHUNK}, so the cost follows the ids asked for, never the record count.
 *
 * @example
 * const names = lookupVendorNames(db, rows.map((r) => r.vendorId));
 */
export function lookupVendorNames(db: Database, vendorIds: Iterable<string>): Map<string, string> {
  const ids = [...new Set(vendorIds)];
  const names = new Map<string, string>();
  for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
    const chunk = ids.slice(i, i + LOOKUP_CHUNK);
    const rows = db
      .prepare<string[], { vendor_id: string; name: string }>(
        `SELECT vendor_id, name FROM vendors WHERE vendor_id IN (${chunk.map(() => '?').join(', ')})`,
      )
      .all(...chunk);
    for (const row of rows) names.set(row.vendor_id, row.name);
  }
  return names;
}
