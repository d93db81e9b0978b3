import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import type { InvoiceEvent } from '../../../schemas/types.js';
import { CellClient, type TimelineBody } from './helpers/cell-client.js';
import { type CellProcess, startCellProcess, stopAllCells, tempDataDir } from './helpers/cell-process.js';
import { waitFor } from './helpers/wait-for.js';

const INVOICES = 200;
/** Events per invoice per stage: two, so FIFO order inside one message group is observable. */
const EVENTS_PER_STAGE = 2;
const topology = CELL_TOPOLOGY;
const samples = new SampleEvents(topology);

interface SentEvent {
  readonly stage: StageTopology;
  readonly event: InvoiceEvent;
}

describe('LocalCell', () => {
  let dataDir: string;
  let cell: CellProcess;
  let client: CellClient;
  /** Per invoice, its events in the order they were sent (and acknowledged). */
  const sent = new Map<string, SentEvent[]>();

  beforeAll(async () => {
    dataDir = tempDataDir();
    cell = await startCellProcess({ dataDir });
    client = new CellClient(cell.url);
  });

  afterAll(async () => {
    await stopAllCells();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  describe('POST /invoices/{stage} then GET /invoices/{invoiceId}', () => {
    it('stores every event of every stage for 200 invoices and keeps each invoice in sent order', async () => {
      // Prepare: invoice i's events have increasing occurredAt in lifecycle order.
      const invoiceIds = Array.from({ length: INVOICES }, (_, i) => `INV-E2E-${String(i).padStart(4, '0')}`);
      const baseMs = Date.parse('2026-11-20T08:00:00Z');
      for (const [i, invoiceId] of invoiceIds.entries()) {
        const events: SentEvent[] = [];
        for (const stage of topology.stages) {
          for (let k = 0; k < EVENTS_PER_STAGE; k++) {
            const occurredAtMs = baseMs + i * 1000 + (stage.order * EVENTS_PER_STAGE + k) * 60_000;
            events.push({ stage, event: samples.event(stage, { invoiceId, occurredAtMs }) });
          }
        }
        sent.set(invoiceId, events);
      }

      // Act: stage by stage; within a stage, requests of 10 events (5 invoices × 2 events, in
      // order) sent 8 at a time. A stage starts only after the previous one was acknowledged.
      for (const stage of topology.stages) {
        const stageEvents = invoiceIds.flatMap((id) =>
          (sent.get(id) ?? []).filter((s) => s.stage === stage).map((s) => s.event),
        );
        const requests: InvoiceEvent[][] = [];
        for (let i = 0; i < stageEvents.length; i += 10) requests.push(stageEvents.slice(i, i + 10));
        for (let i = 0; i < requests.length; i += 8) {
          const answers = await Promise.all(
            requests.slice(i, i + 8).map((events) => client.post(stage.routePath, { events })),
          );
          for (const answer of answers) {
            expect(answer.status, answer.text).toBe(200);
            expect(answer.body).toMatchObject({ failedEntryCount: 0 });
          }
        }
      }
      const total = INVOICES * topology.stages.length * EVENTS_PER_STAGE;
      await waitFor(async () => (await client.stats()).totals.stored === total || undefined, {
        what: `${total} stored records`,
        describe: () => client.stats(),
      });

      // Assess: every invoice's timeline holds its events once, in sent order, both by business
      // time (the timeline order) and by processing order (store sequence).
      for (const invoiceId of invoiceIds) {
        const res = await client.get<TimelineBody>(`/invoices/${invoiceId}`);
        expect(res.status).toBe(200);
        const expected = (sent.get(invoiceId) ?? []).map((s) => s.event.eventId);
        expect(res.body.timeline.map((t) => t.eventId)).toEqual(expected);
        const bySeq = [...res.body.timeline].sort((a, b) => a.storeSeq - b.storeSeq);
        for (const stage of topology.stages) {
          const expectedInStage = (sent.get(invoiceId) ?? [])
            .filter((s) => s.stage === stage)
            .map((s) => s.event.eventId);
          expect(bySeq.filter((t) => t.stage === stage.name).map((t) => t.eventId)).toEqual(expectedInStage);
        }
      }
      const stats = await client.stats();
      expect(stats.totals).toMatchObject({ accepted: total, stored: total, inDlq: 0, unaccounted: 0 });
    });

    it('answers a resent event as a duplicate and stores nothing twice', async () => {
      // Prepare
      const [first] = sent.get('INV-E2E-0000') ?? [];
      if (!first) throw new Error('the previous test did not run');
      const before = await client.stats();

      // Act
      const res = await client.post(first.stage.routePath, first.event);

      // Assess
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        failedEntryCount: 0,
        entries: [{ index: 0, status: 'duplicate' }],
      });
      const after = await client.stats();
      expect(after.totals.accepted).toBe(before.totals.accepted);
      expect(after.stages[first.stage.name]?.duplicates).toBe(
        (before.stages[first.stage.name]?.duplicates ?? 0) + 1,
      );
    });

    it('answers 404 with a message for an invoice with no stored events', async () => {
      const res = await client.get<{ message: string }>('/invoices/INV-NOT-THERE');
      expect(res.status).toBe(404);
      expect(res.body.message).toContain('INV-NOT-THERE');
    });
  });

  describe('GET /health, /metrics', () => {
    it('reports ready and exposes per-stage Prometheus counters', async () => {
      const health = await client.get('/health');
      const metrics = await client.get('/metrics');
      expect(health.status).toBe(200);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      for (const stage of topology.stages) {
        expect(metrics.text).toContain(
          `invoice_cell_records_stored_total{stage="${stage.name}"} ${INVOICES * EVENTS_PER_STAGE}`,
        );
      }
      expect(metrics.text).toMatch(
        /invoice_cell_ingest_to_store_seconds_bucket\{stage="[a-z]+",le="\+Inf"\}/,
      );
    });
  });

  describe('shutdown and restart', () => {
    it('stops on SIGTERM with exit code 0 and serves the same data after a restart', async () => {
      // Act
      const code = await cell.stop();
      const db = new Database(path.join(dataDir, 'cell.sqlite'), { readonly: true });
      const records = (db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n;
      const amounts = db.prepare('SELECT DISTINCT typeof(amount_minor) AS t FROM records').all() as {
        t: string;
      }[];
      db.close();
      cell = await startCellProcess({ dataDir });
      client.url = cell.url;

      // Assess
      expect(code).toBe(0);
      expect(records).toBe(INVOICES * topology.stages.length * EVENTS_PER_STAGE);
      expect(amounts).toEqual([{ t: 'integer' }]);
      const res = await client.get<TimelineBody>('/invoices/INV-E2E-0199');
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(topology.stages.length * EVENTS_PER_STAGE);
      const stats = await client.stats();
      expect(stats.totals.accepted).toBe(records);
    });
  });
});
