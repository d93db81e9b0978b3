/**
 * The cell database schema as numbered migrations: entry `i` takes `PRAGMA user_version` from `i`
 * to `i + 1`, and `openCellDatabase` (api role) applies the missing ones in order, each in its own
 * transaction. Append only: a shipped migration is never edited, since data dirs already ran it.
 *
 * @example
 * for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v] as string);
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the initial schema: meta, counters, API keys, archive, queues and messages, records, replays.
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

  -- All-time counters that must survive restarts and archive pruning (e.g. accepted:<stage>).
  CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;

  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    salt BLOB NOT NULL,
    hash BLOB NOT NULL,
    created_at_ms INTEGER NOT NULL
  );

  -- The bus archive: every accepted event, once (event_id is the producer's idempotency key).
  CREATE TABLE archive (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    bus_event_id TEXT NOT NULL,
    detail_type TEXT NOT NULL,
    invoice_id TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX archive_received ON archive (received_at_ms);

  CREATE TABLE queues (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);

  -- Every FIFO queue and DLQ. AUTOINCREMENT: seq never goes back, even after the newest row is
  -- deleted, so a poller that has seen seq N can find new messages with seq > N.
  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue_id INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    dedup_id TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at_ms INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_receive_ms INTEGER,
    dead_lettered_at_ms INTEGER,
    source_queue_id INTEGER
  );
  CREATE INDEX messages_queue_seq ON messages (queue_id, seq);

  -- FIFO deduplication (5-minute window by MessageDeduplicationId), kept after delivery and
  -- deletion, per queue.
  CREATE TABLE dedup (
    queue_id INTEGER NOT NULL,
    dedup_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (queue_id, dedup_id)
  ) WITHOUT ROWID;
  CREATE INDEX dedup_expiry ON dedup (expires_at_ms);

  -- The time-series table: one row per InvoiceRecord (consumers/record.ts). Money is INTEGER
  -- minor units, never REAL. stored_at_ms is first-write metadata, not part of the record.
  CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    measure_name TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    cell TEXT NOT NULL,
    region TEXT NOT NULL,
    stage TEXT NOT NULL,
    stage_order INTEGER NOT NULL,
    invoice_id TEXT NOT NULL,
    vendor_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    vendor_name TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL,
    due_date_ms INTEGER,
    payment_terms_days INTEGER,
    stored_at_ms INTEGER NOT NULL
  );
  -- Record identity = eventId + dimensions + time + measure name.
  CREATE UNIQUE INDEX records_identity ON records
    (event_id, stage, invoice_id, cell, region, vendor_id, currency, time_ms, measure_name);
  CREATE INDEX records_timeline ON records (invoice_id, time_ms);
  CREATE INDEX records_stage_time ON records (stage, time_ms);
  CREATE INDEX records_currency_time ON records (currency, time_ms);

  CREATE TABLE replays (
    name TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    from_ms INTEGER NOT NULL,
    to_ms INTEGER NOT NULL,
    stage TEXT,
    invoice_id TEXT,
    total INTEGER NOT NULL,
    replayed INTEGER NOT NULL,
    cursor_received_ms INTEGER NOT NULL,
    cursor_seq INTEGER NOT NULL,
    started_at_ms INTEGER NOT NULL,
    finished_at_ms INTEGER,
    error TEXT
  ) WITHOUT ROWID;
  `,
  // 2: alarm state changes of the monitoring plugin (cells/local/monitoring/alarm-store.ts).
  // IF NOT EXISTS: before this migration the plugin created the table itself, so data dirs of
  // that time already have it (same columns) at user_version 1.
  `
  CREATE TABLE IF NOT EXISTS alarm_transitions (
    id INTEGER PRIMARY KEY,
    rule_id TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    value REAL,
    threshold REAL NOT NULL,
    reason TEXT NOT NULL
  );
  `,
  // 3: vendor names for the dashboards (cells/local/storage/vendor-names.ts): the latest name of
  // each vendor by record time, so a panel looks names up by primary key instead of scanning
  // records. Filled from the records already stored (SQLite's bare column of max() is the row
  // with the latest time); from now on the store upserts it in the record's write transaction.
  `
  CREATE TABLE vendors (
    vendor_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO vendors (vendor_id, name, updated_at_ms)
    SELECT vendor_id, vendor_name, max(time_ms) FROM records GROUP BY vendor_id;
  `,
  // 4: key roles and revocation (cells/local/api/api-keys.ts). Keys of older data dirs could only
  // post events, so they become producer keys; their label becomes their name.
  `
  ALTER TABLE api_keys RENAME COLUMN label TO name;
  ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'producer'
    CHECK (role IN ('producer', 'operator', 'viewer'));
  ALTER TABLE api_keys ADD COLUMN revoked_at_ms INTEGER;
  `,
  // 5: rollups of the records panels (cells/local/storage/rollup-writer.ts, dashboards/rollups/),
  // written in the record's first-write transaction. Only the tables: the backfill
  // (rollup-backfill.ts) fills them from the stored records when the rollup version changes.
  // rollup_rows: one row per (spec, tier, bin, key values, histogram bucket); key_values is the
  // JSON array of the spec's key values (they may be NULL, which a WITHOUT ROWID key cannot be);
  // bucket is 0 for specs that are not histograms. Money is two INTEGER columns (hi * 1e9 + lo,
  // as MONEY_SPLIT_FACTOR in local-sql.ts) so the running sums never overflow 64 bits.
  // rollup_latest: each latest-state partition's latest record (distinct-invoice panels).
  `
  CREATE TABLE rollup_rows (
    spec_id TEXT NOT NULL,
    tier TEXT NOT NULL,
    bin_start_ms INTEGER NOT NULL,
    key_values TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    count INTEGER NOT NULL,
    money_hi INTEGER NOT NULL,
    money_lo INTEGER NOT NULL,
    value_sum INTEGER NOT NULL,
    PRIMARY KEY (spec_id, tier, bin_start_ms, key_values, bucket)
  ) WITHOUT ROWID;
  CREATE TABLE rollup_latest (
    scope_id TEXT NOT NULL,
    partition_key TEXT NOT NULL,
    event_id TEXT NOT NULL,
    invoice_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    stage_order INTEGER NOT NULL,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    vendor_id TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    payment_terms_days INTEGER,
    due_date_ms INTEGER,
    time_ms INTEGER NOT NULL,
    stored_at_ms INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    PRIMARY KEY (scope_id, partition_key)
  ) WITHOUT ROWID;
  `,
  // 6: stuck invoices and SLA attainment without scans (invoice-state-writer.ts,
  // sla-rollup-writer.ts), written in the record's first-write transaction; the backfill fills
  // them from the stored records. invoice_state: one row per invoice at its furthest stage, with
  // the SLA deadline (NULL when it can never be stuck) indexed for `/stuck` and the alarm.
  // sla_entries: one row per invoice and stage with its SLA outcome; sla_bins: outcome counters
  // per stage and bin of the entered time (tiers 1m, 1h, 1d).
  `
  CREATE TABLE invoice_state (
    invoice_id TEXT PRIMARY KEY,
    stage_order INTEGER NOT NULL,
    status TEXT NOT NULL,
    status_time_ms INTEGER NOT NULL,
    status_event_id TEXT NOT NULL,
    vendor_id TEXT NOT NULL,
    entered_ms INTEGER NOT NULL,
    deadline_ms INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX invoice_state_deadline ON invoice_state (deadline_ms, stage_order, entered_ms)
    WHERE deadline_ms IS NOT NULL;
  CREATE INDEX invoice_state_done ON invoice_state (entered_ms) WHERE deadline_ms IS NULL;
  CREATE TABLE sla_entries (
    invoice_id TEXT NOT NULL,
    stage_order INTEGER NOT NULL,
    entered_ms INTEGER NOT NULL,
    status TEXT NOT NULL,
    status_time_ms INTEGER NOT NULL,
    status_event_id TEXT NOT NULL,
    outcome TEXT CHECK (outcome IN ('met', 'missed', 'ended', 'open')),
    PRIMARY KEY (invoice_id, stage_order)
  ) WITHOUT ROWID;
  CREATE INDEX sla_entries_outcome ON sla_entries (outcome, stage_order, entered_ms);
  CREATE TABLE sla_bins (
    tier TEXT NOT NULL,
    stage_order INTEGER NOT NULL,
    bin_start_ms INTEGER NOT NULL,
    met INTEGER NOT NULL,
    missed INTEGER NOT NULL,
    ended INTEGER NOT NULL,
    open INTEGER NOT NULL,
    PRIMARY KEY (tier, bin_start_ms, stage_order)
  ) WITHOUT ROWID;
  `,
  // 7: reconciliation counters (cells/local/storage/reconcile-counters.ts): per stage and minute
  // of received time, events accepted (trigger on archive inserts: the ingest transaction itself),
  // records stored (first-write hook; the delete trigger lowers it) and stored without acceptance;
  // the first unaccepted records by id. The stage of an archive row is its detail-type after
  // 'invoice.' (deriveStage in cells/topology.ts). Filled once from the archive and the records
  // (the backfill rebuilds the stored side, not `accepted`: the pruned archive cannot give it back);
  // stored:<stage> counters spare the engine's start a count of records.
  `
  CREATE TABLE reconcile_bins (
    bin_start_ms INTEGER NOT NULL,
    stage TEXT NOT NULL,
    accepted INTEGER NOT NULL DEFAULT 0,
    stored INTEGER NOT NULL DEFAULT 0,
    unaccepted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (stage, bin_start_ms)
  ) WITHOUT ROWID;
  CREATE TABLE reconcile_unexpected (
    bin_start_ms INTEGER NOT NULL,
    stage TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (bin_start_ms, stage, event_id)
  ) WITHOUT ROWID;
  CREATE TRIGGER reconcile_accepted AFTER INSERT ON archive
  WHEN substr(new.detail_type, 1, 8) = 'invoice.'
  BEGIN
    INSERT INTO reconcile_bins (stage, bin_start_ms, accepted)
      VALUES (substr(new.detail_type, 9), new.received_at_ms - ((new.received_at_ms % 60000) + 60000) % 60000, 1)
      ON CONFLICT (stage, bin_start_ms) DO UPDATE SET accepted = accepted + 1;
  END;
  CREATE TRIGGER reconcile_record_deleted AFTER DELETE ON records
  BEGIN
    UPDATE reconcile_bins SET stored = stored - 1
      WHERE stage = old.stage
        AND bin_start_ms = old.received_at_ms - ((old.received_at_ms % 60000) + 60000) % 60000;
    INSERT INTO counters (name, value) VALUES ('records_deleted:' || old.stage, 1)
      ON CONFLICT (name) DO UPDATE SET value = value + 1;
  END;
  INSERT INTO reconcile_bins (stage, bin_start_ms, accepted)
    SELECT substr(detail_type, 9), received_at_ms - ((received_at_ms % 60000) + 60000) % 60000, count(*)
    FROM archive WHERE substr(detail_type, 1, 8) = 'invoice.' GROUP BY 1, 2;
  INSERT INTO reconcile_bins (stage, bin_start_ms, stored)
    SELECT stage, received_at_ms - ((received_at_ms % 60000) + 60000) % 60000, count(*)
    FROM records WHERE true GROUP BY 1, 2
    ON CONFLICT (stage, bin_start_ms) DO UPDATE SET stored = excluded.stored;
  INSERT INTO counters (name, value)
    SELECT 'stored:' || stage, sum(stored) FROM reconcile_bins WHERE stored > 0 GROUP BY stage
    ON CONFLICT (name) DO UPDATE SET value = excluded.value;
  `,
  // 8: drop the records indexes only whole-window scans used (stage/currency + time): panels read
  // rollups now (migration 5), retention prunes by id, reconciliation looks records up by event id.
  // Each was one more random B-tree insert per record, a cost that grows with the table.
  `
  DROP INDEX IF EXISTS records_stage_time;
  DROP INDEX IF EXISTS records_currency_time;
  `,
  // 9: reconciliation counters per hour (cells/local/storage/reconcile-counters.ts): the sums of
  // the hour's minute bins and how many of them do not balance, kept by triggers on
  // reconcile_bins (every writer of it, the hook, the archive trigger, the delete trigger, the
  // rebuild and retention, goes through them), so a 30-day `/reconcile` reads 720 rows per stage
  // and opens only the hours that have an unbalanced minute, instead of 43,200 minute rows.
  `
  CREATE TABLE reconcile_hours (
    stage TEXT NOT NULL,
    hour_start_ms INTEGER NOT NULL,
    accepted INTEGER NOT NULL,
    stored INTEGER NOT NULL,
    bins INTEGER NOT NULL,
    unbalanced INTEGER NOT NULL,
    PRIMARY KEY (stage, hour_start_ms)
  ) WITHOUT ROWID;
  CREATE TRIGGER reconcile_hours_insert AFTER INSERT ON reconcile_bins
  BEGIN
    INSERT INTO reconcile_hours (stage, hour_start_ms, accepted, stored, bins, unbalanced)
      VALUES (new.stage, new.bin_start_ms - ((new.bin_start_ms % 3600000) + 3600000) % 3600000,
        new.accepted, new.stored, 1, new.accepted != new.stored OR new.unaccepted != 0)
      ON CONFLICT (stage, hour_start_ms) DO UPDATE SET
        accepted = accepted + excluded.accepted, stored = stored + excluded.stored,
        bins = bins + 1, unbalanced = unbalanced + excluded.unbalanced;
  END;
  CREATE TRIGGER reconcile_hours_update AFTER UPDATE ON reconcile_bins
  BEGIN
    UPDATE reconcile_hours SET
        accepted = accepted + new.accepted - old.accepted,
        stored = stored + new.stored - old.stored,
        unbalanced = unbalanced + (new.accepted != new.stored OR new.unaccepted != 0)
          - (old.accepted != old.stored OR old.unaccepted != 0)
      WHERE stage = new.stage
        AND hour_start_ms = new.bin_start_ms - ((new.bin_start_ms % 3600000) + 3600000) % 3600000;
  END;
  CREATE TRIGGER reconcile_hours_delete AFTER DELETE ON reconcile_bins
  BEGIN
    UPDATE reconcile_hours SET
        accepted = accepted - old.accepted, stored = stored - old.stored, bins = bins - 1,
        unbalanced = unbalanced - (old.accepted != old.stored OR old.unaccepted != 0)
      WHERE stage = old.stage
        AND hour_start_ms = old.bin_start_ms - ((old.bin_start_ms % 3600000) + 3600000) % 3600000;
    DELETE FROM reconcile_hours WHERE stage = old.stage
      AND hour_start_ms = old.bin_start_ms - ((old.bin_start_ms % 3600000) + 3600000) % 3600000
      AND bins = 0;
  END;
  INSERT INTO reconcile_hours (stage, hour_start_ms, accepted, stored, bins, unbalanced)
    SELECT stage, bin_start_ms - ((bin_start_ms % 3600000) + 3600000) % 3600000,
      sum(accepted), sum(stored), count(*), sum(accepted != stored OR unaccepted != 0)
    FROM reconcile_bins WHERE true GROUP BY 1, 2;
  `,
  // 10: sla_entries indexes that an outcome change does not move (sla-rollup-reader.ts). The
  // index (outcome, stage_order, entered_ms) moved an entry from 'open' to 'met' each time its
  // invoice entered the next stage: a delete and an insert at random leaves of an index as big as
  // the table (measured: 2,610 of the 6,809 pages 5,000 events dirtied on an 18 M-record cell).
  // Now retention walks the entered time (an entry enters it once) and the pending count reads a
  // partial index of the open entries only, which stays as small as the invoices in flight.
  `
  DROP INDEX sla_entries_outcome;
  CREATE INDEX sla_entries_entered ON sla_entries (entered_ms);
  CREATE INDEX sla_entries_open ON sla_entries (stage_order, entered_ms) WHERE outcome = 'open';
  `,
];
