import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import { buildIngestOpenApi, type OpenApiDocument } from '../../../schemas/api/openapi.js';
import { CellClient, type CellResponse } from '../../cells/local/helpers/cell-client.js';
import {
  type CellProcess,
  startCellProcess,
  stopAllCells,
  tempDataDir,
} from '../../cells/local/helpers/cell-process.js';
import { requestSchemaIn, responseSchemaIn, schemaProblems } from './helpers/openapi-check.js';

/**
 * A real local cell (child process) serves its ingest API's OpenAPI document at `/openapi.json`,
 * and every answer of `POST /invoices/{stage}` (accepted, batch, duplicate, failed entry, invalid
 * body, too many events, no key, unknown key) conforms to the schema that *document* gives for the
 * route and status, read with ajv's 2020-12 dialect, as a client generated from it would read it.
 */

const topology = CELL_TOPOLOGY;
const samples = new SampleEvents(topology);
const maxEvents = topology.settings.maxEventsPerRequest;

let cell: CellProcess;
let client: CellClient;
let document: OpenApiDocument;

beforeAll(async () => {
  cell = await startCellProcess({ dataDir: tempDataDir('openapi-') });
  client = new CellClient(cell.url);
  const res = await client.get<OpenApiDocument>('/openapi.json');
  if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}: ${res.text}`);
  document = res.body;
});

afterAll(async () => {
  await cell?.stop();
  await stopAllCells();
});

/** Asserts that `res` is documented for `POST path` with its status and conforms to that schema. */
function expectDocumented(path: string, res: CellResponse, what: string): void {
  const schema = responseSchemaIn(document, path, res.status);
  expect(schema, `${what}: the document has an answer for ${res.status}`).toBeDefined();
  expect(schemaProblems(schema ?? {}, res.body), `${what} (${res.status}): ${res.text}`).toEqual([]);
}

describe('GET /openapi.json', () => {
  it('serves a valid OpenAPI 3.1 document as JSON', async () => {
    const res = await client.get('/openapi.json');
    const result = await new Validator().validate(res.body as Record<string, unknown>);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("is the local cell's document of its topology: the API key, no SigV4", () => {
    expect(document).toEqual(buildIngestOpenApi(topology, { target: 'local' }));
    expect(document.security).toEqual([{ apiKey: [] }]);
  });
});

describe.each(topology.stages.map((stage) => [stage.name, stage] as const))(
  'POST /invoices/%s',
  (_name, stage: StageTopology) => {
    const path = stage.routePath;
    const event = () => samples.event(stage, { invoiceId: `INV-OA-${stage.name}` });

    it('answers accepted events, a batch, a duplicate and a failed entry as the document says', async () => {
      const single = event();
      const accepted = await client.post(path, single);
      const batch = await client.post(path, { events: [event(), event()] });
      const duplicate = await client.post(path, single);
      const conflict = await client.post(path, { ...single, amount: { ...single.amount, value: '1.00' } });

      expect(schemaProblems(requestSchemaIn(document, path), single)).toEqual([]);
      expect([accepted.status, batch.status, duplicate.status]).toEqual([200, 200, 200]);
      expect(duplicate.body).toMatchObject({ failedEntryCount: 0, entries: [{ status: 'duplicate' }] });
      expect(conflict.status).toBeGreaterThanOrEqual(400);
      expect(conflict.body).toMatchObject({ failedEntryCount: 1, entries: [{ status: 'failed' }] });
      expectDocumented(path, accepted, 'one event');
      expectDocumented(path, batch, 'a batch');
      expectDocumented(path, duplicate, 'a duplicate');
      expectDocumented(path, conflict, 'a conflicting event');
    });

    it('refuses what the document refuses, with a documented error answer', async () => {
      const bodies: Record<string, unknown> = {
        'missing fields': { invoiceId: 'INV-OA-BAD' },
        'money as a number': { ...event(), amount: { value: 12, currency: 'USD' } },
        'an empty batch': { events: [] },
        'too many events': { events: Array.from({ length: maxEvents + 1 }, event) },
      };
      for (const [what, body] of Object.entries(bodies)) {
        const res = await client.post(path, body);

        expect(schemaProblems(requestSchemaIn(document, path), body), what).not.toEqual([]);
        expect(res.status, what).toBe(400);
        expectDocumented(path, res, what);
      }
    });

    it('answers a missing and an unknown API key with a documented error answer', async () => {
      const missing = await client.request('POST', path, { body: event(), noKey: true });
      const unknown = await client.request('POST', path, {
        body: event(),
        headers: { 'x-api-key': 'not-a-key-of-this-cell-0123456789' },
      });

      expect([missing.status, unknown.status]).toEqual([401, 403]);
      expectDocumented(path, missing, 'no key');
      expectDocumented(path, unknown, 'unknown key');
    });
  },
);
