import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import type { DlqAnswer } from '../../../schemas/api/index.js';
import type { InvoiceEvent } from '../../../schemas/types.js';
import { CellClient, type TimelineBody } from './helpers/cell-client.js';
import { type CellProcess, startCellProcess, stopAllCells, tempDataDir } from './helpers/cell-process.js';
import { waitFor } from './helpers/wait-for.js';

const MAX_RECEIVES = 3;
const topology = CELL_TOPOLOGY;
const samples = new SampleEvents(topology);
const stage = topology.stages[0] as StageTopology;

describe('LocalCell', () => {
  let dataDir: string;
  let cell: CellProcess;
  let client: CellClient;

  beforeAll(async () => {
    dataDir = tempDataDir();
    cell = await startCellProcess({
      dataDir,
      args: [
        '--enable-fault-injection',
        '--visibility-timeout-sec',
        '1',
        '--max-receive-count',
        String(MAX_RECEIVES),
      ],
    });
    client = new CellClient(cell.url);
  });

  afterAll(async () => {
    await stopAllCells();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const timeline = async (invoiceId: string) => {
    const res = await client.get<TimelineBody>(`/invoices/${invoiceId}`);
    return res.status === 200 ? res.body.timeline : [];
  };

  describe('a poison event', () => {
    it('is retried to max receives, dead-lettered, holds only its invoice, and is stored once after redrive', async () => {
      // Prepare: the store refuses the first event of invoice P; P has two later events.
      const poisonInvoice = 'INV-POISON-1';
      const occurredAt = Date.parse('2026-11-20T10:00:00Z');
      const poison = [0, 1, 2].map((k) =>
        samples.event(stage, { invoiceId: poisonInvoice, occurredAtMs: occurredAt + k * 60_000 }),
      );
      const [p1] = poison as [InvoiceEvent, InvoiceEvent, InvoiceEvent];
      const faults = await client.post('/admin/faults', { failEventIds: [p1.eventId] });
      expect(faults.status).toBe(200);

      // Act 1: P's events, then healthy invoices while P is stuck.
      expect((await client.post(stage.routePath, { events: poison })).status).toBe(200);
      const healthy = Array.from({ length: 20 }, (_, i) =>
        samples.event(stage, { invoiceId: `INV-HEALTHY-${i}`, occurredAtMs: occurredAt }),
      );
      for (let i = 0; i < healthy.length; i += 10) {
        expect((await client.post(stage.routePath, { events: healthy.slice(i, i + 10) })).status).toBe(200);
      }

      // Assess 1: other invoices flow while P's first event keeps failing and blocks P.
      await waitFor(
        async () => (await client.stats()).stages[stage.name]?.stored === healthy.length || undefined,
        {
          what: 'healthy invoices stored',
          describe: () => client.stats(),
        },
      );
      const whileStuck = await client.stats();
      const pStored = await timeline(poisonInvoice);
      expect(pStored).toEqual([]);
      expect(whileStuck.stages[stage.name]?.failures.rejected).toBeGreaterThanOrEqual(1);

      // Assess 2: after MAX_RECEIVES receives the poison event is in the DLQ, and nothing of P
      // was stored before it got there (later events were held, then freed or dead-lettered).
      const dlq = await waitFor(
        async () => {
          const res = await client.get<DlqAnswer>(`/dlq/${stage.name}?invoiceId=${poisonInvoice}`);
          return res.body.messages.some((m) => m.eventId === p1.eventId) ? res.body : undefined;
        },
        { what: 'the poison event in the DLQ', timeoutMs: 30_000, describe: () => client.stats() },
      );
      expect(dlq.messages.find((m) => m.eventId === p1.eventId)?.receiveCount).toBe(MAX_RECEIVES);
      const storedBeforeRedrive = (await timeline(poisonInvoice)).map((t) => t.eventId);
      expect(storedBeforeRedrive).not.toContain(p1.eventId);
      // Whatever of P was not dead-lettered with p1 is processed once the group is free.
      const deadLettered = new Set(dlq.messages.map((m) => m.eventId));
      await waitFor(
        async () =>
          (await timeline(poisonInvoice)).length ===
            poison.filter((e) => !deadLettered.has(e.eventId)).length || undefined,
        { what: 'the rest of P processed after its group was freed' },
      );

      // Act 2: clear the fault and redrive P from the DLQ.
      expect((await client.request('DELETE', '/admin/faults')).status).toBe(200);
      const dryRun = await client.post<{ total: number; moved: number }>(`/dlq/${stage.name}/redrive`, {
        invoiceId: poisonInvoice,
        dryRun: true,
      });
      const redrive = await client.post<{ state: string; total: number }>(`/dlq/${stage.name}/redrive`, {
        invoiceId: poisonInvoice,
        ratePerSec: 50,
      });

      // Assess 3: every event of P stored exactly once; the DLQ is empty; nothing unaccounted.
      expect(dryRun.body).toMatchObject({ total: deadLettered.size, moved: 0 });
      expect(redrive.status).toBe(202);
      expect(redrive.body.total).toBe(deadLettered.size);
      const final = await waitFor(
        async () => {
          const t = await timeline(poisonInvoice);
          return t.length === poison.length ? t : undefined;
        },
        { what: 'all of P stored after the redrive', describe: () => client.stats() },
      );
      expect(final.map((t) => t.eventId).sort()).toEqual(poison.map((e) => e.eventId).sort());
      const stats = await waitFor(
        async () => {
          const s = await client.stats();
          return s.totals.inDlq === 0 && s.totals.visible === 0 && s.totals.inFlight === 0 ? s : undefined;
        },
        { what: 'queues and DLQ empty', describe: () => client.stats() },
      );
      expect(stats.stages[stage.name]).toMatchObject({
        accepted: poison.length + healthy.length,
        stored: poison.length + healthy.length,
        inDlq: 0,
        unaccounted: 0,
      });
      const redriveStatus = await client.get<{ state: string; moved: number }>(`/dlq/${stage.name}/redrive`);
      expect(redriveStatus.body).toMatchObject({ state: 'completed', moved: deadLettered.size });
    });
  });

  describe('POST /replays', () => {
    it('replays archived events onto the bus without storing anything twice', async () => {
      // Prepare
      const before = await client.stats();
      const from = new Date(Date.now() - 3_600_000).toISOString();
      const to = new Date(Date.now() + 1_000).toISOString();

      // Act
      const dry = await client.post<{ total: number; state: string }>('/replays', {
        from,
        to,
        dryRun: true,
        name: 'dry',
      });
      const started = await client.post<{ name: string; total: number }>('/replays', {
        from,
        to,
        name: 'audit-1',
      });
      const done = await waitFor(
        async () => {
          const res = await client.get<{ state: string; replayed: number; total: number }>(
            '/replays/audit-1',
          );
          return res.body.state === 'completed' ? res.body : undefined;
        },
        { what: 'replay completed' },
      );
      const again = await client.post('/replays', { from, to, name: 'audit-1' });

      // Assess
      expect(dry.status).toBe(200);
      expect(dry.body).toMatchObject({ state: 'dry-run', total: before.totals.accepted });
      expect(started.status).toBe(202);
      expect(done).toMatchObject({ total: before.totals.accepted, replayed: before.totals.accepted });
      expect(again.status).toBe(409);
      const after = await waitFor(
        async () => {
          const s = await client.stats();
          return s.totals.visible === 0 && s.totals.inFlight === 0 ? s : undefined;
        },
        { what: 'replayed messages drained' },
      );
      expect(after.totals.accepted).toBe(before.totals.accepted);
      expect(after.totals.stored).toBe(before.totals.stored);
    });
  });
});
