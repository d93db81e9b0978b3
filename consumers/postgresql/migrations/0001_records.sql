-- 0001: the time-series table of the Aurora PostgreSQL store, one row per InvoiceRecord
-- (consumers/record.ts). The columns mirror the local cell's SQLite `records`
-- (cells/local/storage/migrations.ts), so a panel rendered for either engine reads the same
-- names. Differences, on purpose:
-- - event_id is the primary key: `INSERT ... ON CONFLICT (event_id) DO NOTHING` makes a retry,
--   redrive or replay a no-op, and a *different* record under an existing event id is refused
--   (as Timestream refuses a version conflict). SQLite keys on the full record identity instead.
-- - money is bigint minor units (never numeric/float); times are bigint epoch milliseconds, as in
--   SQLite, so bins are computed the same way on both engines.
CREATE TABLE records (
  event_id text PRIMARY KEY,
  measure_name text NOT NULL,
  time_ms bigint NOT NULL,
  cell text NOT NULL,
  region text NOT NULL,
  stage text NOT NULL,
  stage_order integer NOT NULL,
  invoice_id text NOT NULL,
  vendor_id text NOT NULL,
  currency text NOT NULL,
  version bigint NOT NULL,
  status text NOT NULL,
  amount_minor bigint NOT NULL,
  vendor_name text NOT NULL,
  received_at_ms bigint NOT NULL,
  due_date_ms bigint,
  payment_terms_days integer,
  stored_at_ms bigint NOT NULL
);
CREATE INDEX records_timeline ON records (invoice_id, time_ms);
CREATE INDEX records_stage_time ON records (stage, time_ms);
CREATE INDEX records_currency_time ON records (currency, time_ms);
CREATE INDEX records_received ON records (stage, received_at_ms);
