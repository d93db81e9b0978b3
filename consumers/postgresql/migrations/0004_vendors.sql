-- 0004: vendor names (as the local cell's `vendors`, cells/local/storage/vendor-names.ts): each
-- vendor's latest name by record time, upserted in the record's write transaction
-- (first-write-effects.ts), so a report or panel looks names up by primary key for the vendor ids
-- of its answer instead of searching `records`. Filled from the records already stored.
CREATE TABLE vendors (
  vendor_id text PRIMARY KEY,
  name text NOT NULL,
  updated_at_ms bigint NOT NULL
);
INSERT INTO vendors (vendor_id, name, updated_at_ms)
  SELECT DISTINCT ON (vendor_id) vendor_id, vendor_name, time_ms
  FROM records
  ORDER BY vendor_id, time_ms DESC, event_id;
