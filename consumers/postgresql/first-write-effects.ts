// Layering: this file is the PostgreSQL store's only import of dashboards/ and cells/local/: the
// rollup definitions and the pure state rules are shared with the local cell so both stores
// follow one definition (see the report of issue 10 for the dependency-cruiser exception).

import type { CellTopology, StageName } from '../../cells/topology.js';
import { TIME_BINS } from '../../dashboards/panels/panel-types.js';
import { type LatestWrite, recordContributions } from '../../dashboards/rollups/apply-record.js';
import { cellRollups } from '../../dashboards/rollups/cell-rollups.js';
import { partitionKeyOf, type RollupRecord } from '../../dashboards/rollups/contributions.js';
import { toRollupRecord } from '../../dashboards/rollups/rollup-record.js';
import { type InvoiceStateRow, nextInvoiceState } from '../monitoring/invoice-state.js';
import type { InsertCandidate } from './record-insert.js';
import { jsonParam, type SqlRow, type SqlTransaction } from './sql-executor.js';

/**
 * What a record's first insert does besides the `records` row, in the same transaction: the
 * records-panel rollups (`rollup_rows`, `rollup_latest`: the specs and contribution rules of
 * dashboards/rollups, as the local cell's `RollupWriter`) and `invoice_state` (`nextInvoiceState`,
 * as the local cell's `InvoiceStateWriter`) and `vendors` (each vendor's latest name, as the local
 * cell's `vendor-names.ts`). Only records actually inserted come here, so a retry,
 * redrive, replay or duplicate never counts twice, and a rolled-back write leaves them as they were.
 *
 * Per call, a fixed number of statements whatever the batch size: read the latest rows and invoice
 * states the records touch (two primary-key reads), compute every delta in memory (later records
 * see earlier ones' writes), then one UPSERT per table with the rows as one JSON parameter, and
 * one guarded DELETE of rows whose count fell to 0. Rows are written in primary-key order so two
 * writers touching the same rows lock them in the same order. The read-modify-write of latest rows
 * and invoice states is safe against concurrent writers because the store holds a transaction
 * advisory lock on each of the batch's invoices (`PostgresStore`): every such row is per invoice.
 *
 * @example
 * await applyFirstWrites(tx, topology, outcome.inserted, storedAtMs);
 */

/** The sum of one call's deltas to one `rollup_rows` row. */
interface RowDelta {
  readonly spec_id: string;
  readonly tier: string;
  readonly bin_start_ms: number;
  readonly key_values: string;
  readonly bucket: number;
  count: number;
  money_minor: bigint;
  value_sum: number;
}

const LATEST_SQL = `SELECT l.* FROM rollup_latest l
  JOIN jsonb_to_recordset(CAST(:keys AS jsonb)) AS k(scope_id text, partition_key text)
    ON l.scope_id = k.scope_id AND l.partition_key = k.partition_key`;

const STATES_SQL = `SELECT s.* FROM invoice_state s
  WHERE s.invoice_id IN (SELECT jsonb_array_elements_text(CAST(:invoices AS jsonb)))`;

const ROW_KEY = 'spec_id, tier, bin_start_ms, key_values, bucket';
const ROW_KEY_TYPES = 'spec_id text, tier text, bin_start_ms bigint, key_values text, bucket integer';

const UPSERT_ROWS_SQL = `INSERT INTO rollup_rows (${ROW_KEY}, count, money_minor, value_sum)
  SELECT ${ROW_KEY}, count, money_minor, value_sum
  FROM jsonb_to_recordset(CAST(:rows AS jsonb))
    AS r(${ROW_KEY_TYPES}, count bigint, money_minor numeric, value_sum bigint)
  ORDER BY ${ROW_KEY}
  ON CONFLICT (${ROW_KEY}) DO UPDATE SET
    count = rollup_rows.count + excluded.count,
    money_minor = rollup_rows.money_minor + excluded.money_minor,
    value_sum = rollup_rows.value_sum + excluded.value_sum`;

// count 0: no record contributes to the row any more, so its money and sum are 0 too.
const DELETE_EMPTY_SQL = `DELETE FROM rollup_rows r
  USING jsonb_to_recordset(CAST(:keys AS jsonb)) AS k(${ROW_KEY_TYPES})
  WHERE r.spec_id = k.spec_id AND r.tier = k.tier AND r.bin_start_ms = k.bin_start_ms
    AND r.key_values = k.key_values AND r.bucket = k.bucket AND r.count = 0`;

// A name only moves forward in record time (a late record does not bring an old name back).
const UPSERT_VENDORS_SQL = `INSERT INTO vendors (vendor_id, name, updated_at_ms)
  SELECT vendor_id, name, updated_at_ms
  FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(vendor_id text, name text, updated_at_ms bigint)
  ORDER BY vendor_id
  ON CONFLICT (vendor_id) DO UPDATE SET name = excluded.name, updated_at_ms = excluded.updated_at_ms
  WHERE excluded.updated_at_ms > vendors.updated_at_ms`;

const LATEST_COLUMNS = `event_id text, invoice_id text, stage text, stage_order integer, status text,
    currency text, vendor_id text, amount_minor bigint, payment_terms_days integer, due_date_ms bigint,
    time_ms bigint, stored_at_ms bigint, received_at_ms bigint`;
const LATEST_NAMES = LATEST_COLUMNS.split(',').map((c) => c.trim().split(' ')[0] as string);

const UPSERT_LATEST_SQL = `INSERT INTO rollup_latest (scope_id, partition_key, ${LATEST_NAMES.join(', ')})
  SELECT scope_id, partition_key, ${LATEST_NAMES.join(', ')}
  FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(scope_id text, partition_key text, ${LATEST_COLUMNS})
  ORDER BY scope_id, partition_key
  ON CONFLICT (scope_id, partition_key) DO UPDATE SET
    ${LATEST_NAMES.map((c) => `${c} = excluded.${c}`).join(', ')}`;

const STATE_NAMES = [
  'stage_order',
  'status',
  'status_time_ms',
  'status_event_id',
  'vendor_id',
  'entered_ms',
  'deadline_ms',
];

const UPSERT_STATES_SQL = `INSERT INTO invoice_state (invoice_id, ${STATE_NAMES.join(', ')})
  SELECT invoice_id, ${STATE_NAMES.join(', ')}
  FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(invoice_id text, stage_order integer, status text,
    status_time_ms bigint, status_event_id text, vendor_id text, entered_ms bigint, deadline_ms bigint)
  ORDER BY invoice_id
  ON CONFLICT (invoice_id) DO UPDATE SET ${STATE_NAMES.map((c) => `${c} = excluded.${c}`).join(', ')}`;

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** A `rollup_latest` row (Data API values) as the record it holds. */
function latestRecordOfRow(row: SqlRow): RollupRecord {
  return {
    eventId: String(row.event_id),
    invoiceId: String(row.invoice_id),
    stage: String(row.stage) as StageName,
    stageOrder: Number(row.stage_order),
    status: String(row.status),
    currency: String(row.currency),
    vendorId: String(row.vendor_id),
    amountMinor: BigInt(String(row.amount_minor)),
    paymentTermsDays: numberOrNull(row.payment_terms_days),
    dueDateMs: numberOrNull(row.due_date_ms),
    timeMs: Number(row.time_ms),
    storedAtMs: Number(row.stored_at_ms),
    receivedAtMs: Number(row.received_at_ms),
  };
}

function stateOfRow(row: SqlRow): InvoiceStateRow {
  return {
    invoice_id: String(row.invoice_id),
    stage_order: Number(row.stage_order),
    status: String(row.status),
    status_time_ms: Number(row.status_time_ms),
    status_event_id: String(row.status_event_id),
    vendor_id: String(row.vendor_id),
    entered_ms: Number(row.entered_ms),
    deadline_ms: numberOrNull(row.deadline_ms),
  };
}

const keyOf = (scopeId: string, partitionKey: string) => `${scopeId}\u0000${partitionKey}`;

/** The rollup deltas and latest writes of a call's first writes, given the stored latest rows. */
function rollupEffects(
  topology: CellTopology,
  records: readonly RollupRecord[],
  stored: ReadonlyMap<string, RollupRecord>,
): { rows: RowDelta[]; latest: LatestWrite[] } {
  const rollups = cellRollups(topology);
  const latest = new Map(stored);
  const changed = new Map<string, LatestWrite>();
  const rows = new Map<string, RowDelta>();
  for (const record of records) {
    const effects = recordContributions(rollups, record, (scopeId, partitionKey) =>
      latest.get(keyOf(scopeId, partitionKey)),
    );
    for (const w of effects.latestWrites) {
      latest.set(keyOf(w.scopeId, w.partitionKey), w.record);
      changed.set(keyOf(w.scopeId, w.partitionKey), w);
    }
    for (const { spec, contribution: c } of effects.contributions) {
      const keyValues = JSON.stringify(c.keyValues);
      const bucket = c.bucket ?? 0;
      for (const tier of spec.tiers) {
        const width = TIME_BINS[tier];
        const binStartMs = Math.floor(c.windowMs / width) * width;
        const key = [spec.id, tier, binStartMs, keyValues, bucket].join('\u0000');
        const row = rows.get(key);
        if (row) {
          row.count += c.count;
          row.money_minor += c.sumMinor;
          row.value_sum += c.sum;
        } else {
          rows.set(key, {
            spec_id: spec.id,
            tier,
            bin_start_ms: binStartMs,
            key_values: keyValues,
            bucket,
            count: c.count,
            money_minor: c.sumMinor,
            value_sum: c.sum,
          });
        }
      }
    }
  }
  // A zero delta (a latest record replaced by one landing in the same row) writes nothing.
  const nonZero = [...rows.values()].filter(
    (r) => r.count !== 0 || r.money_minor !== 0n || r.value_sum !== 0,
  );
  return { rows: nonZero, latest: [...changed.values()] };
}

/**
 * Applies the rollups and invoice states of the records `tx` just inserted (see the module comment).
 *
 * @example
 * await applyFirstWrites(tx, topology, inserted, storedAtMs);
 */
export async function applyFirstWrites(
  tx: SqlTransaction,
  topology: CellTopology,
  inserted: readonly InsertCandidate[],
  storedAtMs: number,
): Promise<void> {
  if (inserted.length === 0) return;
  const records = inserted.map((c) => toRollupRecord(c.record, c.stageOrder, storedAtMs));
  const { scopes } = cellRollups(topology);
  const keys = new Map<string, { scope_id: string; partition_key: string }>();
  for (const r of records) {
    for (const s of scopes) {
      const partitionKey = partitionKeyOf(s.partition, r);
      keys.set(keyOf(s.id, partitionKey), { scope_id: s.id, partition_key: partitionKey });
    }
  }
  const invoices = [...new Set(records.map((r) => r.invoiceId))];
  const latestRows = (await tx.execute(LATEST_SQL, [jsonParam('keys', [...keys.values()])])).rows;
  const stateRows = (await tx.execute(STATES_SQL, [jsonParam('invoices', invoices)])).rows;

  const stored = new Map(
    latestRows.map((row) => [keyOf(String(row.scope_id), String(row.partition_key)), latestRecordOfRow(row)]),
  );
  const { rows, latest } = rollupEffects(topology, records, stored);
  const states = new Map(stateRows.map((row) => [String(row.invoice_id), stateOfRow(row)]));
  const changedStates = new Map<string, InvoiceStateRow>();
  for (const record of records) {
    const next = nextInvoiceState(states.get(record.invoiceId), record, topology);
    if (!next) continue;
    states.set(record.invoiceId, next);
    changedStates.set(record.invoiceId, next);
  }

  if (rows.length > 0) await tx.execute(UPSERT_ROWS_SQL, [jsonParam('rows', rows)]);
  const shrinking = rows.filter((r) => r.count < 0);
  if (shrinking.length > 0) {
    const rowKeys = shrinking.map(({ spec_id, tier, bin_start_ms, key_values, bucket }) => ({
      spec_id,
      tier,
      bin_start_ms,
      key_values,
      bucket,
    }));
    await tx.execute(DELETE_EMPTY_SQL, [jsonParam('keys', rowKeys)]);
  }
  if (latest.length > 0) {
    const latestJson = latest.map((w) => ({
      scope_id: w.scopeId,
      partition_key: w.partitionKey,
      ...latestRowOf(w),
    }));
    await tx.execute(UPSERT_LATEST_SQL, [jsonParam('rows', latestJson)]);
  }
  if (changedStates.size > 0) {
    await tx.execute(UPSERT_STATES_SQL, [jsonParam('rows', [...changedStates.values()])]);
  }
  await tx.execute(UPSERT_VENDORS_SQL, [jsonParam('rows', vendorNames(inserted))]);
}

/**
 * Each vendor's latest name among the inserted records (by record time; the first written wins a
 * tie, as in the local cell), for {@link UPSERT_VENDORS_SQL}.
 */
function vendorNames(
  inserted: readonly InsertCandidate[],
): { vendor_id: string; name: string; updated_at_ms: number }[] {
  const latest = new Map<string, { vendor_id: string; name: string; updated_at_ms: number }>();
  for (const { record } of inserted) {
    const id = record.dimensions.vendorId;
    const seen = latest.get(id);
    if (seen && seen.updated_at_ms >= record.timeMs) continue;
    latest.set(id, { vendor_id: id, name: record.measures.vendorName, updated_at_ms: record.timeMs });
  }
  return [...latest.values()];
}

function latestRowOf(w: LatestWrite): Record<string, unknown> {
  const r = w.record;
  return {
    event_id: r.eventId,
    invoice_id: r.invoiceId,
    stage: r.stage,
    stage_order: r.stageOrder,
    status: r.status,
    currency: r.currency,
    vendor_id: r.vendorId,
    amount_minor: r.amountMinor,
    payment_terms_days: r.paymentTermsDays,
    due_date_ms: r.dueDateMs,
    time_ms: r.timeMs,
    stored_at_ms: r.storedAtMs,
    received_at_ms: r.receivedAtMs,
  };
}
