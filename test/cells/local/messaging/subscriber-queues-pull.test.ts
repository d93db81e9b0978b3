import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../../cells/local/local-cell.js';
import { SampleEvents } from '../../../../cells/local/sample-events.js';
import { buildTopology, STAGE_SETTINGS, type StageTopology } from '../../../../cells/topology.js';
import type {
  ErrorAnswer,
  SubscriberAckAnswer,
  SubscriberMessagesAnswer,
  SubscriberReceiveAnswer,
} from '../../../../schemas/api/index.js';
import { CellClient } from '../helpers/cell-client.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from '../helpers/cell-process.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * `POST /subscribers/{stage}/{id}/receive` and `.../ack` of a real in-process cell whose topology
 * declares a subscriber: per-invoice order over HTTP, acks per handle, the role needed, and the
 * 400/404 answers. (Timeouts and the DLQ are covered with a manual clock in subscriber-pull.test.ts.)
 */

const topology = buildTopology({}, STAGE_SETTINGS, {
  ingestion: [
    { id: 'all', filterPolicy: { stage: ['ingestion'] } },
    // Pushed, and matching nothing on this stage: never delivered to, only refused for pulls.
    { id: 'pushed', filterPolicy: { stage: ['posting'] }, endpoint: 'http://127.0.0.1:9/hook' },
  ],
});
const ingestion = topology.stages[0] as StageTopology;
const samples = new SampleEvents(topology);
const BASE = '/subscribers/ingestion/all';

let cell: LocalCell;
let client: CellClient;
const dataDir = tempDataDir('subscriber-pull-routes-');

const A1 = samples.event(ingestion, { invoiceId: 'INV-PULL-A' });
const A2 = samples.event(ingestion, { invoiceId: 'INV-PULL-A' });
const B1 = samples.event(ingestion, { invoiceId: 'INV-PULL-B' });

beforeAll(async () => {
  cell = await startLocalCell({
    dataDir,
    port: 0,
    apiKey: TEST_API_KEY,
    operatorKey: TEST_OPERATOR_KEY,
    logLevel: 'silent',
    topology,
  });
  client = new CellClient(cell.url);
  for (const event of [A1, A2, B1]) {
    expect((await client.post(ingestion.routePath, event)).status).toBe(200);
  }
  await waitFor(
    async () => {
      const peek = await client.get<SubscriberMessagesAnswer>(`${BASE}/messages`);
      return peek.body.depth === 3 || undefined;
    },
    { what: 'three messages in the subscriber queue' },
  );
});

afterAll(async () => {
  await cell?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('subscriber receive and ack routes', () => {
  it('receives one invoice at a time in order, lets other invoices flow, and acks per handle', async () => {
    // Act
    const first = await client.post<SubscriberReceiveAnswer>(`${BASE}/receive`, { maxMessages: 1 });
    const second = await client.post<SubscriberReceiveAnswer>(`${BASE}/receive`, {
      visibilityTimeoutSec: 60,
    });
    const handleA = first.body.messages[0]?.receiptHandle as string;
    const ack = await client.post<SubscriberAckAnswer>(`${BASE}/ack`, {
      receiptHandles: [handleA, handleA, 'nope'],
    });
    const third = await client.post<SubscriberReceiveAnswer>(`${BASE}/receive`, {});
    const peek = await client.get<SubscriberMessagesAnswer>(`${BASE}/messages`);

    // Assess
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ stage: 'ingestion', subscriber: 'all', queue: expect.any(String) });
    expect(first.body.visibilityTimeoutSec).toBe(topology.stages[0]?.visibilityTimeoutSec);
    expect(first.body.messages.map((m) => [m.invoiceId, m.eventId, m.receiveCount])).toEqual([
      ['INV-PULL-A', A1.eventId, 1],
    ]);
    expect(first.body.messages[0]?.message).toMatchObject({ stage: 'ingestion', event: A1 });
    expect(second.body.visibilityTimeoutSec).toBe(60);
    expect(second.body.messages.map((m) => m.invoiceId)).toEqual(['INV-PULL-B']);
    expect(ack.status).toBe(200);
    expect(ack.body.acked).toEqual([handleA]);
    expect(ack.body.failed.map((f) => f.receiptHandle)).toEqual([handleA, 'nope']);
    expect(third.body.messages.map((m) => m.eventId)).toEqual([A2.eventId]);
    expect(peek.body).toMatchObject({ depth: 2, dlqDepth: 0 });
  });

  it('refuses a producer key: receiving and acking are operator calls', async () => {
    const res = await fetch(`${cell.url}${BASE}/receive`, {
      method: 'POST',
      headers: { 'x-api-key': TEST_API_KEY, 'content-type': 'application/json' },
      body: '{}',
    });

    expect(res.status).toBe(403);
  });

  it('answers 404 naming the declared subscribers, and 400 naming the bad field', async () => {
    const unknown = await client.post<ErrorAnswer>('/subscribers/ingestion/nope/receive', {});
    const unknownAck = await client.post<ErrorAnswer>('/subscribers/posting/all/ack', {
      receiptHandles: ['1.1'],
    });
    const badMax = await client.post<ErrorAnswer>(`${BASE}/receive`, { maxMessages: 11 });
    const badAck = await client.post<ErrorAnswer>(`${BASE}/ack`, { receiptHandles: [] });
    const noBody = await client.request<ErrorAnswer>('POST', `${BASE}/ack`);

    expect([unknown.status, unknownAck.status]).toEqual([404, 404]);
    expect(unknown.body.message).toBe(
      'no subscriber nope on stage ingestion; declared: ingestion/all, ingestion/pushed',
    );
    expect(unknownAck.body.message).toBe(
      'no subscriber all on stage posting; declared: ingestion/all, ingestion/pushed',
    );
    expect([badMax.status, badAck.status]).toEqual([400, 400]);
    expect(badMax.body.message).toBe('invalid request: /maxMessages must be an integer from 1 to 10');
    expect(badAck.body.message).toBe(
      'invalid request: /receiptHandles must be a list of 1 to 10 receipt handles (non-empty strings)',
    );
    expect(noBody.status).toBe(415);
  });

  it('answers 409 to a pull on a pushed subscriber', async () => {
    const receive = await client.post<ErrorAnswer>('/subscribers/ingestion/pushed/receive', {});
    const ack = await client.post<ErrorAnswer>('/subscribers/ingestion/pushed/ack', {
      receiptHandles: ['1.1'],
    });

    expect([receive.status, ack.status]).toEqual([409, 409]);
    expect(receive.body.message).toMatch(
      /^subscriber pushed on stage ingestion is pushed to its endpoint http:\/\/127\.0\.0\.1:9\/hook: /,
    );
  });
});
