-- 0002: rollups of the records panels (dashboards/rollups), written by PostgresStore in the
-- transaction of a record's first insert, so a retry, redrive or replay never counts twice. Same
-- shape and meaning as the local cell's SQLite tables (cells/local/storage/migrations.ts, 5):
--
-- rollup_rows: one row per (spec, tier, bin, key values, histogram bucket). key_values is the
-- JSON text of the spec's key values (JSON.stringify, exactly as the SQLite writer encodes it: a
-- key value may be NULL, which a primary key column cannot be); bucket is 0 for specs that are
-- not histograms. count is the number of records (or latest records) in the row; a row whose
-- count falls to 0 is deleted.
--
-- Money: money_minor numeric(38,0), not SQLite's hi/lo split. SQLite has only 64-bit integers, so
-- its running sums needed two columns to pass 2^63; PostgreSQL's numeric is exact at any size,
-- sums and additions on it never round, and the Data API returns it as a string (decimalReturnType
-- STRING). 38 digits hold more than 10^19 sums of the largest BIGINT amount. value_sum is bigint:
-- it sums integer milliseconds or days.
CREATE TABLE rollup_rows (
  spec_id text NOT NULL,
  tier text NOT NULL,
  bin_start_ms bigint NOT NULL,
  key_values text NOT NULL,
  bucket integer NOT NULL,
  count bigint NOT NULL,
  money_minor numeric(38, 0) NOT NULL,
  value_sum bigint NOT NULL,
  PRIMARY KEY (spec_id, tier, bin_start_ms, key_values, bucket)
);

-- rollup_latest: each latest-state partition's latest record (distinct-invoice panels). The
-- partition key is the invoice id, or the JSON text [invoiceId, stage] (partitionKeyOf).
CREATE TABLE rollup_latest (
  scope_id text NOT NULL,
  partition_key text NOT NULL,
  event_id text NOT NULL,
  invoice_id text NOT NULL,
  stage text NOT NULL,
  stage_order integer NOT NULL,
  status text NOT NULL,
  currency text NOT NULL,
  vendor_id text NOT NULL,
  amount_minor bigint NOT NULL,
  payment_terms_days integer,
  due_date_ms bigint,
  time_ms bigint NOT NULL,
  stored_at_ms bigint NOT NULL,
  received_at_ms bigint NOT NULL,
  PRIMARY KEY (scope_id, partition_key)
);
