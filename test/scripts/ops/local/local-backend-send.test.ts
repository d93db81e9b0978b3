import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SampleEvents } from '../../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';
import type { IngestAnswer } from '../../../../schemas/api/index.js';
import { TransientSendError } from '../../../../scripts/ops/backend.js';
import { LocalBackend } from '../../../../scripts/ops/local/local-backend.js';

/**
 * `LocalBackend.send` reads the one ingest answer (`schemas/api/ingest.ts`) by entry `index`: a
 * 502 that lists entries is a per-event result, a 502 or 503 error body a transient failure of the
 * whole request.
 */

const stage = CELL_TOPOLOGY.stages[0] as StageTopology;
const samples = new SampleEvents(CELL_TOPOLOGY);
let server: Server;
let backend: LocalBackend;
let next: { status: number; body: unknown } = { status: 500, body: {} };

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(next.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(next.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  backend = new LocalBackend({
    baseUrl: `http://127.0.0.1:${port}`,
    topology: CELL_TOPOLOGY,
    timeoutMs: 5_000,
  });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('LocalBackend.send', () => {
  it('reports each event by the index of its entry in a 502 answer', async () => {
    // Prepare
    const events = [0, 1, 2].map((i) => samples.event(stage, { invoiceId: `INV-SEND-${i}` }));
    const body: IngestAnswer = {
      failedEntryCount: 1,
      entries: [
        { index: 2, status: 'accepted', busEventId: 'b-2' },
        { index: 0, status: 'duplicate', busEventId: 'b-0' },
        { index: 1, status: 'failed', errorCode: 'EventIdConflict', errorMessage: 'other content' },
      ],
    };
    next = { status: 502, body };

    // Act
    const results = await backend.send(stage, events);

    // Assess
    expect(results.map((r) => [r.eventId, r.status, r.errorCode])).toEqual([
      [events[0]?.eventId, 'duplicate', undefined],
      [events[1]?.eventId, 'failed', 'EventIdConflict'],
      [events[2]?.eventId, 'accepted', undefined],
    ]);
  });

  it('reports an event the answer has no entry for as failed', async () => {
    // Prepare
    const events = [0, 1].map((i) => samples.event(stage, { invoiceId: `INV-SEND-MISSING-${i}` }));
    next = { status: 200, body: { failedEntryCount: 0, entries: [{ index: 0, status: 'accepted' }] } };

    // Act
    const results = await backend.send(stage, events);

    // Assess
    expect(results.map((r) => r.status)).toEqual(['accepted', 'failed']);
    expect(results[1]?.errorCode).toBe('NoEntryInAnswer');
  });

  it.each([
    { status: 502, body: { message: 'bad gateway' } },
    { status: 503, body: { message: 'events could not be stored right now; retry' } },
  ])('treats a $status error body as a transient failure of the whole request', async (answer) => {
    // Prepare
    next = answer;

    // Act
    const sending = backend.send(stage, [samples.event(stage, { invoiceId: 'INV-SEND-DOWN' })]);

    // Assess
    await expect(sending).rejects.toBeInstanceOf(TransientSendError);
  });
});
