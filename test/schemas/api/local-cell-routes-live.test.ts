import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import {
  API_DASHBOARD_IDS,
  type DlqAnswer,
  ErrorAnswerSchema,
  type IngestAnswer,
  LOCAL_CELL_ROUTES,
  type RedriveStatusAnswer,
  type ReplayStatusAnswer,
  type StatsAnswer,
  type StuckAnswer,
} from '../../../schemas/api/index.js';
import { CellClient, type CellResponse } from '../../cells/local/helpers/cell-client.js';
import {
  type CellProcess,
  startCellProcess,
  stopAllCells,
  tempDataDir,
} from '../../cells/local/helpers/cell-process.js';
import { waitFor } from '../../cells/local/helpers/wait-for.js';
import {
  checkedAnswers,
  closedSchemaProblems,
  closeSerializer,
  expectAnswer,
} from './helpers/answer-check.js';

/**
 * Every JSON route of a real local cell (child process, fault injection on, 1 s visibility
 * timeout, 2 receives before the DLQ) answers exactly what `schemas/api` says: each answer is
 * checked against its closed schema and through fastify's serializer (see helpers/answer-check).
 * The cell holds complete lifecycles, an invoice stuck at the first stage, a poison event in the
 * first stage's DLQ, a duplicate and a conflicting event.
 */

const topology = CELL_TOPOLOGY;
const samples = new SampleEvents(topology);
const first = topology.stages[0] as StageTopology;
const last = topology.stages[topology.stages.length - 1] as StageTopology;
const LIFECYCLES = ['INV-API-OK-1', 'INV-API-OK-2'];
const STUCK_INVOICE = 'INV-API-STUCK-1';
const POISON_INVOICE = 'INV-API-POISON-1';
const poison = samples.event(first, { invoiceId: POISON_INVOICE });
const dup = samples.event(first, { invoiceId: 'INV-API-DUP-1' });

let cell: CellProcess;
let client: CellClient;
const setup: Record<string, CellResponse> = {};

beforeAll(async () => {
  cell = await startCellProcess({
    dataDir: tempDataDir('api-contract-'),
    args: ['--enable-fault-injection', '--visibility-timeout-sec', '1', '--max-receive-count', '2'],
  });
  client = new CellClient(cell.url);
  setup.faults = await client.post('/admin/faults', { failEventIds: [poison.eventId] });
  for (const stage of topology.stages) {
    const events = LIFECYCLES.map((invoiceId) => samples.event(stage, { invoiceId }));
    setup[`batch-${stage.name}`] = await client.post(stage.routePath, { events });
  }
  const stuck = samples.event(first, { invoiceId: STUCK_INVOICE, occurredAtMs: Date.now() - 2 * 3_600_000 });
  setup.stuck = await client.post(first.routePath, stuck);
  setup.poison = await client.post(first.routePath, poison);
  setup.first = await client.post(first.routePath, dup);
  setup.duplicate = await client.post(first.routePath, dup);
  setup.conflict = await client.post(first.routePath, { ...dup, status: 'REJECTED' });
  await waitFor(
    async () => {
      const stats = await client.stats();
      return (
        (stats.totals.stored === stats.totals.accepted - 1 && stats.stages[first.name]?.inDlq === 1) ||
        undefined
      );
    },
    { what: 'everything stored and the poison event dead-lettered', describe: () => client.stats() },
  );
});

afterAll(async () => {
  await closeSerializer();
  await cell?.stop();
  await stopAllCells();
  if (cell) fs.rmSync(cell.dataDir, { recursive: true, force: true });
});

describe('the local cell answers as schemas/api says', () => {
  it('POST /invoices/{stage}: accepted, duplicate, conflict and refused requests', async () => {
    for (const stage of topology.stages)
      await expectAnswer('ingest', setup[`batch-${stage.name}`] as CellResponse);
    const duplicate = await expectAnswer<IngestAnswer>('ingest', setup.duplicate as CellResponse);
    const conflict = await expectAnswer<IngestAnswer>('ingest', setup.conflict as CellResponse);
    const invalid = await client.post(first.routePath, {});
    const unknownStage = await client.post('/invoices/nope', dup);
    const wrongType = await client.request('POST', first.routePath, {
      rawBody: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    const noKey = await client.request('POST', first.routePath, { body: dup, noKey: true });

    expect(duplicate.entries[0]?.status).toBe('duplicate');
    expect(conflict.entries[0]).toMatchObject({ status: 'failed', errorCode: 'EventIdConflict' });
    expect([
      setup.conflict?.status,
      invalid.status,
      unknownStage.status,
      wrongType.status,
      noKey.status,
    ]).toEqual([502, 400, 404, 415, 401]);
    expect((invalid.body as { errors?: unknown[] }).errors?.length).toBeGreaterThan(0);
    for (const res of [invalid, unknownStage, wrongType, noKey]) await expectAnswer('ingest', res);
  });

  it('GET /invoices/{invoiceId}: a whole lifecycle, and 404', async () => {
    const timeline = await client.get(`/invoices/${LIFECYCLES[0]}`);
    const missing = await client.get('/invoices/INV-API-NONE');

    expect(timeline.status).toBe(200);
    expect((timeline.body as { count: number }).count).toBe(topology.stages.length);
    await expectAnswer('timeline', timeline);
    expect(missing.status).toBe(404);
    await expectAnswer('timeline', missing);
  });

  it('GET /health, /stats, an unknown route and an unknown asset', async () => {
    const stats = await expectAnswer<StatsAnswer>('stats', await client.get('/stats'));
    const noRoute = await client.get('/nope');
    const noAsset = await client.get('/assets/nope.js');

    await expectAnswer('health', await client.get('/health'));
    expect(stats.stages[first.name]?.inDlq).toBe(1);
    expect(noRoute.status).toBe(404);
    expect(closedSchemaProblems(ErrorAnswerSchema, noRoute.body)).toEqual([]);
    expect(noAsset.status).toBe(404);
    await expectAnswer('webAsset', noAsset);
  });

  it('GET /subscribers/signing-key without a key', async () => {
    const res = await client.request('GET', '/subscribers/signing-key', { noKey: true });

    expect(res.status).toBe(200);
    await expectAnswer('subscriberSigningKey', res);
  });

  it('GET /dlq/{stage}: the poison message, an empty DLQ and bad requests', async () => {
    const dlq = await expectAnswer<DlqAnswer>('dlq', await client.get(`/dlq/${first.name}`));
    await expectAnswer('dlq', await client.get(`/dlq/${last.name}?invoiceId=${POISON_INVOICE}&limit=5`));
    const badLimit = await client.get(`/dlq/${first.name}?limit=0`);
    const badStage = await client.get('/dlq/nope');

    expect(dlq.messages.map((m) => m.eventId)).toEqual([poison.eventId]);
    expect([badLimit.status, badStage.status]).toEqual([400, 404]);
    for (const res of [badLimit, badStage]) await expectAnswer('dlq', res);
  });

  it('GET /stuck: the stuck invoice and the dead-lettered message', async () => {
    const stuck = await expectAnswer<StuckAnswer>('stuck', await client.get('/stuck'));
    await expectAnswer('stuck', await client.get(`/stuck?stage=${last.name}`));
    const bad = await client.get('/stuck?stage=nope');

    expect(stuck.invoices.map((s) => s.invoiceId)).toEqual([STUCK_INVOICE]);
    expect(stuck.messages.map((m) => m.kind)).toEqual(['dlq']);
    expect(bad.status).toBe(400);
    await expectAnswer('stuck', bad);
  });

  it('GET /reconcile and /alarms, with and without parameters', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    await expectAnswer('reconcile', await client.get('/reconcile'));
    await expectAnswer('reconcile', await client.get(`/reconcile?from=${from}&to=${to}`));
    const badWindow = await client.get(`/reconcile?from=${to}&to=${from}`);
    await expectAnswer('alarms', await client.get('/alarms'));
    await expectAnswer('alarms', await client.get('/alarms?historySec=3600'));
    const badHistory = await client.get('/alarms?historySec=x');

    expect([badWindow.status, badHistory.status]).toEqual([400, 400]);
    await expectAnswer('reconcile', badWindow);
    await expectAnswer('alarms', badHistory);
  });

  it('GET /dashboards and the data of every view, whole and for one stage', async () => {
    const list = await expectAnswer<{ id: string }[]>('dashboards', await client.get('/dashboards'));
    for (const view of API_DASHBOARD_IDS) {
      await expectAnswer('dashboardData', await client.get(`/dashboards/${view}/data`));
      await expectAnswer('dashboardData', await client.get(`/dashboards/${view}/data?stage=${first.name}`));
    }
    const unknown = await client.get('/dashboards/nope/data');
    const badTime = await client.get('/dashboards/operations/data?from=yesterday');

    expect(list.map((d) => d.id)).toEqual([...API_DASHBOARD_IDS]);
    expect([unknown.status, badTime.status]).toEqual([404, 400]);
    for (const res of [unknown, badTime]) await expectAnswer('dashboardData', res);
  });

  it('GET /reports and /reports/{month}: a closed month stored on demand, listed; bad months', async () => {
    // The default topology's months are UTC months: the previous one is closed (stored when asked).
    const now = new Date();
    const previous = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))
      .toISOString()
      .slice(0, 7);
    const report = await client.get(`/reports/${previous}?format=json`);
    const list = await expectAnswer<{ month: string }[]>('reports', await client.get('/reports'));
    const badMonth = await client.get('/reports/2026-13');
    const badFormat = await client.get(`/reports/${previous}?format=pdf`);
    const future = await client.get('/reports/9999-12');

    expect([report.status, badMonth.status, badFormat.status, future.status]).toEqual([200, 400, 400, 404]);
    expect((report.body as { month: string }).month).toBe(previous);
    expect(list.map((r) => r.month)).toContain(previous);
    for (const res of [badMonth, badFormat, future]) await expectAnswer('report', res);
  });

  it('POST and GET /dlq/{stage}/redrive: none yet, a dry run, a task and its end', async () => {
    const none = await client.get(`/dlq/${first.name}/redrive`);
    await expectAnswer('redriveStart', await client.post(`/dlq/${first.name}/redrive`, { dryRun: true }));
    const started = await client.post(`/dlq/${first.name}/redrive`, {
      invoiceId: POISON_INVOICE,
      ratePerSec: 50,
    });
    const bad = await client.post(`/dlq/${first.name}/redrive`, { ratePerSec: -1 });
    const done = await waitFor(
      async () => {
        const res = await client.get<RedriveStatusAnswer>(`/dlq/${first.name}/redrive`);
        return res.body.state === 'completed' ? res : undefined;
      },
      { what: 'the redrive finished' },
    );

    expect([none.status, started.status, bad.status]).toEqual([404, 202, 400]);
    for (const res of [none, done]) await expectAnswer('redriveStatus', res);
    for (const res of [started, bad]) await expectAnswer('redriveStart', res);
    expect(done.body).toMatchObject({ invoiceId: POISON_INVOICE, moved: 1 });
  });

  it('POST and GET /replays: a dry run, a replay and its end, a name in use, bad requests', async () => {
    const window = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() };
    const request = { ...window, stage: first.name, invoiceId: LIFECYCLES[0], name: 'api-contract-1' };
    const dryRun = await client.post('/replays', { ...window, dryRun: true });
    const started = await client.post('/replays', request);
    const inUse = await client.post('/replays', request);
    const bad = await client.post('/replays', { from: window.to, to: window.from });
    const done = await waitFor(
      async () => {
        const res = await client.get<ReplayStatusAnswer>('/replays/api-contract-1');
        return res.body.state === 'completed' ? res : undefined;
      },
      { what: 'the replay finished' },
    );
    const missing = await client.get('/replays/none');

    expect([dryRun.status, started.status, inUse.status, bad.status, missing.status]).toEqual([
      200, 202, 409, 400, 404,
    ]);
    for (const res of [dryRun, started, inUse, bad]) await expectAnswer('replayStart', res);
    for (const res of [done, missing]) await expectAnswer('replayStatus', res);
    expect(done.body).toMatchObject({ stage: first.name, total: 1, replayed: 1 });
  });

  it('POST and DELETE /admin/faults', async () => {
    const bad = await client.post('/admin/faults', { failEventIds: 'x' });
    const cleared = await client.request('DELETE', '/admin/faults');

    await expectAnswer('faultsSet', setup.faults as CellResponse);
    await expectAnswer('faultsSet', bad);
    await expectAnswer('faultsClear', cleared);
    expect(cleared.body).toEqual({ failEventIds: [] });
  });

  it('the key routes and the session routes', async () => {
    const created = await client.post('/keys', { name: 'api-contract-viewer', role: 'viewer' });
    const taken = await client.post('/keys', { name: 'api-contract-viewer', role: 'viewer' });
    const listed = await client.get('/keys');
    const session = await client.request('GET', '/session', { noKey: true });
    const signedIn = await client.request('POST', '/signin', {
      body: { key: (created.body as { key: string }).key },
      noKey: true,
    });
    const signedOut = await client.request('POST', '/signout', { noKey: true });
    const revoked = await client.request('DELETE', '/keys/api-contract-viewer');

    expect([created.status, taken.status, listed.status, revoked.status]).toEqual([201, 409, 200, 200]);
    for (const res of [created, taken]) await expectAnswer('keysCreate', res);
    await expectAnswer('keysList', listed);
    await expectAnswer('keysRevoke', revoked);
    expect([session.status, signedIn.status, signedOut.status]).toEqual([200, 200, 200]);
    await expectAnswer('session', session);
    await expectAnswer('signin', signedIn);
    await expectAnswer('signout', signedOut);
  });

  it('has checked every answer status of the contract but those other tests cover', () => {
    // The default topology declares no subscriber: subscribers-live.test.ts covers those routes.
    const elsewhere = new Set([
      'health 503',
      'subscriberMessages 200',
      'subscriberReceive 200',
      'subscriberAck 200',
    ]);
    const expected = Object.entries(LOCAL_CELL_ROUTES).flatMap(([name, route]) =>
      Object.keys(route.response)
        .filter((status) => /^\d+$/.test(status))
        .map((status) => `${name} ${status}`)
        .filter((key) => !elsewhere.has(key)),
    );

    expect(expected.filter((key) => !checkedAnswers.has(key))).toEqual([]);
  });
});
