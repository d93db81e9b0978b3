import type { DatabaseHandle } from '../../../../../cells/local/storage/db.js';
import { type LatestRow, latestRecordOf } from '../../../../../cells/local/storage/rollup-writer.js';
import type { SqliteStore } from '../../../../../cells/local/storage/sqlite-store.js';
import type { StageName } from '../../../../../cells/topology.js';
import type { ManualClock } from '../../../../../consumers/clock.js';
import { INVOICE_MEASURE_NAME, type InvoiceRecord } from '../../../../../consumers/record.js';
import type { RollupRecord } from '../../../../../dashboards/rollups/contributions.js';
import { int, mixSeed, mulberry32 } from '../../../../../scripts/ops/seeded-random.js';
import type { RandomStream } from '../../../../dashboards/rollups/support/random-records.js';

/**
 * Loads a random rollup stream (`test/dashboards/rollups/support/random-records.ts`) through a
 * real store the way the pipeline does: batches of 1–10 records, several batches in one group
 * commit, poison records the store refuses (an amount beyond BIGINT, which also refuses the later
 * records of its invoice in that call, redelivered afterwards), and replays of stored records.
 */

/** A rollup stream record as the processor writes it (cell `local`). */
export function invoiceRecordOf(r: RollupRecord): InvoiceRecord {
  return {
    measureName: INVOICE_MEASURE_NAME,
    timeMs: r.timeMs,
    version: 1,
    dimensions: {
      cell: 'local',
      region: 'local',
      stage: r.stage,
      invoiceId: r.invoiceId,
      eventId: r.eventId,
      vendorId: r.vendorId,
      currency: r.currency,
    },
    measures: {
      status: r.status,
      amountMinor: r.amountMinor.toString(),
      vendorName: `Vendor ${r.vendorId}`,
      receivedAtMs: r.receivedAtMs,
      dueDateMs: r.dueDateMs,
      paymentTermsDays: r.paymentTermsDays,
    },
  };
}

/** What the load did, so a test can show it exercised each case. */
export interface LoadStats {
  readonly batches: number;
  readonly poisonRejected: number;
  readonly redelivered: number;
  readonly replayed: number;
}

function poisonOf(r: RollupRecord, n: number): InvoiceRecord {
  const record = invoiceRecordOf({ ...r, eventId: `poison-${n}-${r.eventId}` });
  return { ...record, measures: { ...record.measures, amountMinor: '99999999999999999999' } };
}

/** Batches of 1–10 records with a poison record now and then. */
function batchesOf(stream: RandomStream, seed: number): InvoiceRecord[][] {
  const random = mulberry32(mixSeed(seed, 9_999));
  const batches: InvoiceRecord[][] = [];
  let i = 0;
  while (i < stream.arrivals.length) {
    const size = int(random, 1, 10);
    const batch = stream.arrivals.slice(i, i + size).map(invoiceRecordOf);
    const first = stream.arrivals[i] as RollupRecord;
    if (random() < 0.08) batch.splice(int(random, 0, batch.length), 0, poisonOf(first, i));
    batches.push(batch);
    i += size;
  }
  return batches;
}

/**
 * Writes the stream through `store`, `perCommit` batches per group commit, each commit stamped
 * with the stored time of its first record. Returns what it exercised.
 */
export async function loadStream(
  store: SqliteStore,
  clock: ManualClock,
  stream: RandomStream,
  seed: number,
  perCommit = 3,
): Promise<LoadStats> {
  const batches = batchesOf(stream, seed);
  const refused: InvoiceRecord[] = [];
  let poisonRejected = 0;
  for (let b = 0; b < batches.length; b += perCommit) {
    const group = batches.slice(b, b + perCommit);
    clock.set(Math.max(0, (group[0]?.[0]?.measures.receivedAtMs ?? 0) + (b % 7) * 1_000));
    const results = await Promise.all(group.map((batch) => store.writeRecords(batch)));
    results.forEach((result, g) => {
      for (const rejected of result.rejected) {
        const record = group[g]?.[rejected.index] as InvoiceRecord;
        if (record.dimensions.eventId.startsWith('poison-')) poisonRejected++;
        else if (!/same identity/.test(rejected.reason)) refused.push(record);
      }
    });
  }
  // The queue redelivers what was refused behind a poison record; replays re-send stored records.
  const replays = stream.stored.filter((_, i) => i % 17 === 0).map(invoiceRecordOf);
  for (const batch of [refused, replays]) {
    for (let i = 0; i < batch.length; i += 10) {
      const result = await store.writeRecords(batch.slice(i, i + 10));
      if (result.rejected.some((r) => !/same identity/.test(r.reason))) {
        throw new Error(`redelivery refused: ${result.rejected[0]?.reason}`);
      }
    }
  }
  return { batches: batches.length, poisonRejected, redelivered: refused.length, replayed: replays.length };
}

/** The stored records as the rollups read them, in first-write order. */
export function storedRollupRecords(db: DatabaseHandle): RollupRecord[] {
  const rows = db
    .prepare<[], LatestRow>(
      `SELECT event_id, invoice_id, stage, stage_order, status, currency, vendor_id, amount_minor,
         payment_terms_days, due_date_ms, time_ms, stored_at_ms, received_at_ms
       FROM records ORDER BY id`,
    )
    .safeIntegers(true)
    .all();
  return rows.map(latestRecordOf);
}

/** The stages of a stream's records (for stage-filtered reads). */
export function stagesOf(records: readonly RollupRecord[]): StageName[] {
  return [...new Set(records.map((r) => r.stage))];
}
