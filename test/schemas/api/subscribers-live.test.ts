import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../cells/local/local-cell.js';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { buildTopology, STAGE_SETTINGS, type StageTopology } from '../../../cells/topology.js';
import type { SubscriberMessagesAnswer, SubscriberReceiveAnswer } from '../../../schemas/api/index.js';
import { CellClient } from '../../cells/local/helpers/cell-client.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from '../../cells/local/helpers/cell-process.js';
import { waitFor } from '../../cells/local/helpers/wait-for.js';
import { closeSerializer, expectAnswer } from './helpers/answer-check.js';

/**
 * `GET /subscribers/{stage}/{id}/messages`, `POST .../receive` and `POST .../ack` of a real local cell whose topology declares a
 * subscriber (the default topology declares none, so this cell runs in-process with its own
 * topology): its answers match `SubscriberMessagesAnswerSchema` and the error body.
 */

const topology = buildTopology({}, STAGE_SETTINGS, {
  ingestion: [{ id: 'eur-only', filterPolicy: { event: { amount: { currency: ['EUR'] } } } }],
});
const ingestion = topology.stages[0] as StageTopology;
const BASE = '/subscribers/ingestion/eur-only';
const PEEK = `${BASE}/messages`;

let cell: LocalCell;
let client: CellClient;
const dataDir = tempDataDir('api-contract-subscribers-');

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
  const event = new SampleEvents(topology).event(ingestion, { invoiceId: 'INV-API-SUB-1' });
  const eur = { ...event, amount: { ...(event as { amount: object }).amount, currency: 'EUR' } };
  expect((await client.post(ingestion.routePath, eur)).status).toBe(200);
});

afterAll(async () => {
  await closeSerializer();
  await cell?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the subscriber routes', () => {
  it('answers the queue of a declared subscriber as the contract says', async () => {
    const res = await waitFor(
      async () => {
        const peek = await client.get<SubscriberMessagesAnswer>(`${PEEK}?limit=10`);
        return peek.body.depth === 1 ? peek : undefined;
      },
      { what: 'the EUR event in the subscriber queue' },
    );

    const body = await expectAnswer<SubscriberMessagesAnswer>('subscriberMessages', res);
    expect(body.messages.map((m) => m.invoiceId)).toEqual(['INV-API-SUB-1']);
  });

  it('answers a receive and an ack as the contract says, and their errors', async () => {
    const received = await client.post<SubscriberReceiveAnswer>(`${BASE}/receive`, { maxMessages: 1 });
    const handle = received.body.messages[0]?.receiptHandle as string;
    const acked = await client.post(`${BASE}/ack`, { receiptHandles: [handle, 'stale'] });
    const unknown = await client.post('/subscribers/ingestion/usd-only/receive', {});
    const badReceive = await client.post(`${BASE}/receive`, { maxMessages: 0 });
    const badAck = await client.post(`${BASE}/ack`, {});

    expect([received.status, acked.status, unknown.status, badReceive.status, badAck.status]).toEqual([
      200, 200, 404, 400, 400,
    ]);
    expect(handle).toBeTypeOf('string');
    for (const res of [received, unknown, badReceive]) await expectAnswer('subscriberReceive', res);
    for (const res of [acked, badAck]) await expectAnswer('subscriberAck', res);
  });

  it('answers an unknown subscriber and a bad limit with the error body', async () => {
    const unknown = await client.get('/subscribers/ingestion/usd-only/messages');
    const badLimit = await client.get(`${PEEK}?limit=x`);

    expect([unknown.status, badLimit.status]).toEqual([404, 400]);
    for (const res of [unknown, badLimit]) await expectAnswer('subscriberMessages', res);
  });
});
