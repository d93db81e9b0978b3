import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DatabaseHandle, openCellDatabase, queueIds } from '../../../cells/local/storage/db.js';
import { createRecordStore } from '../../../cells/local/storage/record-store.js';
import type { SqliteStore } from '../../../cells/local/storage/sqlite-store.js';
import { CELL_TOPOLOGY, type CellTopology, type StageName } from '../../../cells/topology.js';
import { ManualClock } from '../../../consumers/clock.js';
import { INVOICE_MEASURE_NAME, type InvoiceRecord } from '../../../consumers/record.js';

/**
 * A real local-cell database (the cell's own migrations) in a temp directory, with the cell's own
 * store writing records, for tests that execute the dashboard and monitoring SQL.
 */
export interface TestCellDb {
  readonly db: DatabaseHandle;
  readonly store: SqliteStore;
  readonly clock: ManualClock;
  /** Writes one record with `stored_at_ms = storedAtMs` (the store stamps it from the clock). */
  write(record: InvoiceRecord, storedAtMs?: number): Promise<void>;
  close(): void;
}

export function openTestCellDb(topology: CellTopology = CELL_TOPOLOGY): TestCellDb {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboards-test-'));
  const db = openCellDatabase({ file: path.join(dir, 'cell.db'), synchronous: 'NORMAL', role: 'api' });
  const clock = new ManualClock(0);
  const store = createRecordStore(db, { topology, clock });
  return {
    db,
    store,
    clock,
    async write(record, storedAtMs) {
      clock.set(storedAtMs ?? record.measures.receivedAtMs + 1_000);
      const { rejected } = await store.writeRecords([record]);
      if (rejected.length > 0) throw new Error(`test record refused: ${rejected[0]?.reason}`);
    },
    close() {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RecordSpec {
  readonly eventId: string;
  readonly invoiceId: string;
  readonly stage: StageName;
  readonly timeMs: number;
  readonly status?: string;
  readonly amountMinor?: string;
  readonly currency?: string;
  readonly vendorId?: string;
  readonly cell?: string;
  readonly receivedAtMs?: number;
  readonly dueDateMs?: number | null;
  readonly paymentTermsDays?: number | null;
}

/** An InvoiceRecord with defaults for everything a test does not care about. */
export function recordOf(spec: RecordSpec): InvoiceRecord {
  const cell = spec.cell ?? 'local';
  return {
    measureName: INVOICE_MEASURE_NAME,
    timeMs: spec.timeMs,
    version: 1,
    dimensions: {
      cell,
      region: cell,
      stage: spec.stage,
      invoiceId: spec.invoiceId,
      eventId: spec.eventId,
      vendorId: spec.vendorId ?? 'V-1',
      currency: spec.currency ?? 'USD',
    },
    measures: {
      status: spec.status ?? 'RECEIVED',
      amountMinor: spec.amountMinor ?? '1000',
      vendorName: `Vendor ${spec.vendorId ?? 'V-1'}`,
      receivedAtMs: spec.receivedAtMs ?? spec.timeMs,
      dueDateMs: spec.dueDateMs ?? null,
      paymentTermsDays: spec.paymentTermsDays ?? null,
    },
  };
}

/** Inserts an archive row the way the local bus does (detail-type of the stage). */
export function archiveEvent(
  db: DatabaseHandle,
  e: { eventId: string; invoiceId: string; detailType: string; receivedAtMs: number },
): void {
  db.prepare(
    `INSERT INTO archive (event_id, bus_event_id, detail_type, invoice_id, received_at_ms, body)
     VALUES (?, ?, ?, ?, ?, '{}')`,
  ).run(e.eventId, `bus-${e.eventId}`, e.detailType, e.invoiceId, e.receivedAtMs);
}

/** Inserts a queue (or DLQ) message whose body is a StageMessage, as the relay publishes it. */
export function enqueueMessage(
  db: DatabaseHandle,
  queueName: string,
  m: { eventId: string; invoiceId: string; stage: StageName; receivedAtMs: number },
): void {
  const queueId = queueIds(db, [queueName]).get(queueName);
  const body = JSON.stringify({
    stage: m.stage,
    receivedAtMs: m.receivedAtMs,
    event: { eventId: m.eventId, invoiceId: m.invoiceId },
  });
  db.prepare(
    `INSERT INTO messages (queue_id, message_id, group_id, dedup_id, body, sent_at_ms)
     VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(queueId, `msg-${m.eventId}`, m.invoiceId, m.eventId, body, m.receivedAtMs);
}
