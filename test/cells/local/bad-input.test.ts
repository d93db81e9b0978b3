import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import envelope from '../../../schemas/envelope.schema.json' with { type: 'json' };
import { STAGE_SCHEMA_FILES } from '../../../schemas/index.js';
import { CellClient } from './helpers/cell-client.js';
import { type CellProcess, startCellProcess, stopAllCells, tempDataDir } from './helpers/cell-process.js';

const topology = CELL_TOPOLOGY;
const samples = new SampleEvents(topology);
const first = topology.stages[0] as StageTopology;
const last = topology.stages[topology.stages.length - 1] as StageTopology;

function valid(stage: StageTopology = first): Record<string, unknown> {
  return samples.event(stage, { invoiceId: 'INV-BAD-1' }) as unknown as Record<string, unknown>;
}

function without(event: Record<string, unknown>, field: string): Record<string, unknown> {
  const { [field]: _removed, ...rest } = event;
  return rest;
}

/** A field the last stage requires beyond the envelope (read from its schema, not spelled here). */
const stageOnlyRequired = (STAGE_SCHEMA_FILES[last.name].required as string[]).find(
  (f) => !(envelope.required as string[]).includes(f),
) as string;

interface Case {
  readonly name: string;
  readonly stage?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  readonly noKey?: boolean;
  readonly status: number;
  /** A substring of the answer's message. */
  readonly message: string;
  /** A JSON Pointer the answer's `errors` must name. */
  readonly errorPath?: string;
}

const CASES: readonly Case[] = [
  {
    name: 'bad JSON',
    rawBody: '{"eventId":',
    headers: { 'content-type': 'application/json' },
    status: 400,
    message: 'not valid JSON',
  },
  {
    name: 'empty body',
    rawBody: '',
    headers: { 'content-type': 'application/json' },
    status: 400,
    message: 'empty',
  },
  {
    name: 'whitespace body',
    rawBody: '   ',
    headers: { 'content-type': 'application/json' },
    status: 400,
    message: 'empty',
  },
  { name: 'array body', body: [valid()], status: 400, message: 'must be a JSON object' },
  { name: 'string body', body: 'event', status: 400, message: 'must be a JSON object' },
  { name: 'null body', body: null, status: 400, message: 'must be a JSON object' },
  {
    name: 'missing eventId',
    body: without(valid(), 'eventId'),
    status: 400,
    message: '/eventId is required',
    errorPath: '/eventId',
  },
  {
    name: 'missing invoiceId',
    body: without(valid(), 'invoiceId'),
    status: 400,
    message: '/invoiceId',
    errorPath: '/invoiceId',
  },
  {
    name: 'missing amount',
    body: without(valid(), 'amount'),
    status: 400,
    message: '/amount',
    errorPath: '/amount',
  },
  {
    name: 'float money',
    body: { ...valid(), amount: { value: 12500.5, currency: 'USD' } },
    status: 400,
    message: 'never a JSON number',
    errorPath: '/amount/value',
  },
  {
    name: 'too many decimals for USD',
    body: { ...valid(), amount: { value: '10.001', currency: 'USD' } },
    status: 400,
    message: 'USD allows 2',
    errorPath: '/amount/value',
  },
  {
    name: 'decimals for JPY',
    body: { ...valid(), amount: { value: '100.5', currency: 'JPY' } },
    status: 400,
    message: 'JPY allows 0',
    errorPath: '/amount/value',
  },
  {
    name: 'exponent notation amount',
    body: { ...valid(), amount: { value: '1e5', currency: 'USD' } },
    status: 400,
    message: 'decimal string',
    errorPath: '/amount/value',
  },
  {
    name: 'amount with 16 integer digits',
    body: { ...valid(), amount: { value: '1234567890123456', currency: 'USD' } },
    status: 400,
    message: '/amount/value',
    errorPath: '/amount/value',
  },
  {
    name: 'unknown currency',
    body: { ...valid(), amount: { value: '10.00', currency: 'XYZ' } },
    status: 400,
    message: '/amount/currency',
    errorPath: '/amount/currency',
  },
  {
    name: 'impossible date',
    body: { ...valid(), occurredAt: '2026-13-45T09:15:00Z' },
    status: 400,
    message: 'RFC 3339',
    errorPath: '/occurredAt',
  },
  {
    name: 'date without zone',
    body: { ...valid(), occurredAt: '2026-11-20T09:15:00' },
    status: 400,
    message: 'RFC 3339',
    errorPath: '/occurredAt',
  },
  {
    name: 'bad eventId',
    body: { ...valid(), eventId: 'not-a-uuid' },
    status: 400,
    message: 'UUID',
    errorPath: '/eventId',
  },
  {
    name: 'invoiceId with a space',
    body: { ...valid(), invoiceId: 'INV 1' },
    status: 400,
    message: '/invoiceId',
    errorPath: '/invoiceId',
  },
  {
    name: 'status of the wrong type',
    body: { ...valid(), status: 5 },
    status: 400,
    message: '/status',
    errorPath: '/status',
  },
  {
    name: 'status not of this stage',
    body: { ...valid(), status: 'NOT_A_STATUS' },
    status: 400,
    message: 'must be one of',
    errorPath: '/status',
  },
  {
    name: 'vendor of the wrong type',
    body: { ...valid(), vendor: 'Acme' },
    status: 400,
    message: '/vendor',
    errorPath: '/vendor',
  },
  {
    name: 'unknown field',
    body: { ...valid(), discount: '5%' },
    status: 400,
    message: 'not an allowed field',
    errorPath: '/discount',
  },
  {
    name: '__proto__ field',
    rawBody: JSON.stringify(valid()).replace(/^\{/, '{"__proto__":{"admin":true},'),
    headers: { 'content-type': 'application/json' },
    status: 400,
    message: 'not an allowed field',
    errorPath: '/__proto__',
  },
  {
    name: 'net days out of range',
    body: { ...valid(), paymentTerms: { netDays: 400, dueDate: '2026-12-20' } },
    status: 400,
    message: '/paymentTerms/netDays',
    errorPath: '/paymentTerms/netDays',
  },
  {
    name: 'metadata with 21 keys',
    body: { ...valid(), metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) },
    status: 400,
    message: '/metadata',
    errorPath: '/metadata',
  },
  {
    name: 'stage-specific required field missing',
    stage: last.name,
    body: without(valid(last), stageOnlyRequired),
    status: 400,
    message: `/${stageOnlyRequired} is required`,
    errorPath: `/${stageOnlyRequired}`,
  },
  {
    name: 'batch of 11',
    body: { events: Array.from({ length: 11 }, () => valid()) },
    status: 400,
    message: 'must hold 1 to 10 events, got 11',
    errorPath: '/events',
  },
  { name: 'empty batch', body: { events: [] }, status: 400, message: 'got 0', errorPath: '/events' },
  {
    name: 'events not an array',
    body: { events: valid() },
    status: 400,
    message: 'must be an array',
    errorPath: '/events',
  },
  {
    name: 'duplicate ids in a batch',
    body: (() => {
      const e = valid();
      return { events: [e, { ...valid(), eventId: e.eventId }] };
    })(),
    status: 400,
    message: 'repeats /events/0/eventId',
    errorPath: '/events/1/eventId',
  },
  {
    name: 'one bad event among valid ones',
    body: { events: [valid(), valid(), { ...valid(), amount: { value: '1.999', currency: 'USD' } }] },
    status: 400,
    message: '/events/2/amount/value',
    errorPath: '/events/2/amount/value',
  },
  {
    name: 'field beside events',
    body: { events: [valid()], source: 'x' },
    status: 400,
    message: 'beside "events"',
    errorPath: '/source',
  },
  { name: 'unknown stage', stage: 'shipping', body: valid(), status: 404, message: 'known stages: ' },
  {
    name: 'oversized body',
    rawBody: JSON.stringify({ ...valid(), pad: 'x'.repeat(topology.settings.maxBodyKiB * 1024) }),
    headers: { 'content-type': 'application/json' },
    status: 413,
    message: `${topology.settings.maxBodyKiB} KiB`,
  },
  {
    name: 'text/plain content type',
    rawBody: JSON.stringify(valid()),
    headers: { 'content-type': 'text/plain' },
    status: 415,
    message: 'application/json',
  },
  { name: 'no content type', rawBody: JSON.stringify(valid()), status: 415, message: 'application/json' },
  { name: 'no API key', body: valid(), noKey: true, status: 401, message: 'x-api-key' },
  {
    name: 'wrong API key',
    body: valid(),
    headers: { 'x-api-key': 'wrong-key-wrong-key-wrong' },
    status: 403,
    message: 'not a valid API key',
  },
];

describe('LocalCell', () => {
  let dataDir: string;
  let cell: CellProcess;
  let client: CellClient;

  beforeAll(async () => {
    dataDir = tempDataDir();
    cell = await startCellProcess({ dataDir });
    client = new CellClient(cell.url);
  });

  afterAll(async () => {
    await stopAllCells();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  describe('POST /invoices/{stage} with bad input', () => {
    it('has at least 30 cases', () => {
      expect(CASES.length).toBeGreaterThanOrEqual(30);
    });

    it.each(CASES)('answers $status naming the problem: $name', async (c) => {
      // Act
      const res = await client.request<{ message: string; errors?: { path: string; message: string }[] }>(
        'POST',
        `/invoices/${c.stage ?? first.name}`,
        {
          ...(c.rawBody !== undefined ? { rawBody: c.rawBody } : { body: c.body }),
          ...(c.headers ? { headers: c.headers } : {}),
          ...(c.noKey ? { noKey: true } : {}),
        },
      );

      // Assess
      expect(res.status, res.text).toBe(c.status);
      expect(res.body.message).toContain(c.message);
      if (c.errorPath) expect(res.body.errors?.map((e) => e.path)).toContain(c.errorPath);
    });

    it('names every bad field of a request at once', async () => {
      const res = await client.post<{ errors: { path: string }[] }>(first.routePath, {
        ...without(valid(), 'vendor'),
        eventId: 'nope',
        amount: { value: 3.5, currency: 'USD' },
      });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e) => e.path)).toEqual(
        expect.arrayContaining(['/vendor', '/eventId', '/amount/value']),
      );
    });

    it('stores nothing of any rejected request and keeps serving', async () => {
      // Act
      const stats = await client.stats();
      const health = await client.get('/health');
      const code = await cell.stop();
      const db = new Database(path.join(dataDir, 'cell.sqlite'), { readonly: true });
      const count = (table: string) =>
        (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      const archived = count('archive');
      const messages = count('messages');
      const records = count('records');
      db.close();

      // Assess
      expect(health.status).toBe(200);
      expect(stats.totals.accepted).toBe(0);
      expect(code).toBe(0);
      expect({ archived, messages, records }).toEqual({ archived: 0, messages: 0, records: 0 });
    });
  });

  describe('rate limit', () => {
    it('answers 429 with Retry-After once a key exceeds its rate and burst', async () => {
      // Prepare
      const limitedDir = tempDataDir();
      const limited = await startCellProcess({
        dataDir: limitedDir,
        args: ['--rate-limit', '1', '--burst', '1'],
      });
      const limitedClient = new CellClient(limited.url);
      try {
        // Act
        // Concurrent, so they land within one rate window however slow the machine is.
        const answers = await Promise.all(
          Array.from({ length: 6 }, () => limitedClient.post(first.routePath, valid())),
        );

        // Assess
        const throttled = answers.find((a) => a.status === 429);
        if (!throttled) throw new Error(`no 429 among ${JSON.stringify(answers.map((a) => a.status))}`);
        expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect((throttled.body as { message: string }).message).toContain('rate limit');
      } finally {
        await limited.stop();
        fs.rmSync(limitedDir, { recursive: true, force: true });
      }
    });
  });

  describe('fault injection', () => {
    it('has no /admin/faults route unless started with --enable-fault-injection', async () => {
      const plainDir = tempDataDir();
      const plain = await startCellProcess({ dataDir: plainDir });
      try {
        const res = await new CellClient(plain.url).post('/admin/faults', { failEventIds: [] });
        expect(res.status).toBe(404);
      } finally {
        await plain.stop();
        fs.rmSync(plainDir, { recursive: true, force: true });
      }
    });
  });
});
