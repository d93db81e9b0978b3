import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { FifoQueue } from '../../cells/local/messaging/fifo-queue.js';
import type { SampleEvents } from '../../cells/local/sample-events.js';
import { openCellDatabase, type SynchronousMode } from '../../cells/local/storage/db.js';
import type { CellTopology, StageTopology } from '../../cells/topology.js';
import { SYSTEM_CLOCK } from '../../consumers/clock.js';
import { type InvoiceRecord, toInvoiceRecord } from '../../consumers/record.js';

/**
 * The machine's durable-append ceiling: the same rows the pipeline writes per event (archive +
 * queue message + dedup + record) inserted directly, with no pipeline, in events per second.
 *
 * @example
 * const eventsPerSec = rawCeiling('NORMAL', { topology, samples, quick: false });
 */
export function rawCeiling(
  sync: SynchronousMode,
  context: { readonly topology: CellTopology; readonly samples: SampleEvents; readonly quick: boolean },
): number {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cell-raw-'));
  const file = path.join(dataDir, 'cell.sqlite');
  const db = openCellDatabase({ file, synchronous: sync, role: 'api' });
  try {
    const stage = context.topology.stages[0] as StageTopology;
    const queue = new FifoQueue(
      db,
      {
        name: stage.ids.queue,
        dlqName: stage.ids.dlq,
        visibilityTimeoutSec: 180,
        maxReceiveCount: 5,
        dedupWindowSec: 300,
      },
      SYSTEM_CLOCK,
    );
    const n = context.quick ? 50_000 : 200_000;
    const messages = Array.from({ length: n }, () => {
      const event = context.samples.event(stage, { invoiceId: `INV-${randomUUID()}` });
      const message = { stage: stage.name, receivedAtMs: Date.now(), event };
      return {
        event,
        body: JSON.stringify(message),
        record: toInvoiceRecord(message, { cell: 'raw', region: 'raw' }),
      };
    });
    const started = performance.now();
    ingestAll(db, queue, stage, messages);
    // Receive + record + delete, the processing side's rows, in the same engine.
    processAll(db, queue, new Map(messages.map((m) => [m.event.eventId, m.record])));
    return n / ((performance.now() - started) / 1000);
  } finally {
    db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

interface RawMessage {
  readonly event: { readonly eventId: string; readonly invoiceId: string };
  readonly body: string;
  readonly record: InvoiceRecord;
}

/** The API side's rows: archive + queue message (with dedup), 100 events a transaction. */
function ingestAll(
  db: Database.Database,
  queue: FifoQueue,
  stage: StageTopology,
  messages: RawMessage[],
): void {
  const group = 100;
  const insertArchive = db.prepare(
    `INSERT INTO archive (event_id, bus_event_id, detail_type, invoice_id, received_at_ms, body)
       VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const ingest = db.transaction((chunk: RawMessage[]) => {
    for (const m of chunk) {
      insertArchive.run(
        m.event.eventId,
        randomUUID(),
        stage.detailType,
        m.event.invoiceId,
        Date.now(),
        m.body,
      );
    }
    queue.send(chunk.map((m) => ({ groupId: m.event.invoiceId, dedupId: m.event.eventId, body: m.body })));
  });
  for (let i = 0; i < messages.length; i += group) ingest.immediate(messages.slice(i, i + group));
}

/** The processing side's rows: receive, insert the record, delete, until the queue is empty. */
function processAll(db: Database.Database, queue: FifoQueue, byId: ReadonlyMap<string, InvoiceRecord>): void {
  const insertRecord = prepareRecordInsert(db);
  const receive = db.transaction(() => {
    const batches = queue.receiveBatches(50, 10);
    return batches.flat();
  });
  for (;;) {
    const received = receive.immediate();
    if (received.length === 0) break;
    db.transaction(() => {
      // The store's own transaction body, without its async group commit.
      for (const m of received) {
        const record = byId.get(m.dedupId);
        if (record) insertRecord(record);
      }
      queue.deleteMessages(received.map((m) => m.receiptHandle));
    }).immediate();
  }
}

function prepareRecordInsert(db: Database.Database): (record: InvoiceRecord) => void {
  const insert = db.prepare(
    `INSERT INTO records (event_id, measure_name, time_ms, cell, region, stage, stage_order, invoice_id,
         vendor_id, currency, version, status, amount_minor, vendor_name, received_at_ms, due_date_ms,
         payment_terms_days, stored_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  return (record) => {
    const d = record.dimensions;
    const m = record.measures;
    insert.run(
      d.eventId,
      record.measureName,
      record.timeMs,
      d.cell,
      d.region,
      d.stage,
      0,
      d.invoiceId,
      d.vendorId,
      d.currency,
      record.version,
      m.status,
      BigInt(m.amountMinor),
      m.vendorName,
      m.receivedAtMs,
      m.dueDateMs,
      m.paymentTermsDays,
      Date.now(),
    );
  };
}
