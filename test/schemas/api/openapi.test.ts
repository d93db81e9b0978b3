import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { buildTopology, CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import { ErrorAnswerSchema, IngestAnswerSchema, LOCAL_CELL_ROUTES } from '../../../schemas/api/index.js';
import { buildIngestOpenApi, OPENAPI_SECURITY, type OpenApiDocument } from '../../../schemas/api/openapi.js';
import { toJsonSchema2020 } from '../../../schemas/api/openapi-json-schema.js';
import { stageRequestSchema } from '../../../schemas/index.js';
import { requestSchemaIn, responseSchemaIn, schemaProblems } from './helpers/openapi-check.js';

/**
 * The ingest API's OpenAPI 3.1 document: valid OpenAPI 3.1 (the OpenAPI Initiative's schema,
 * via @seriousme/openapi-schema-validator, offline), and made of the contract: the stage request
 * schemas, the route table's answers, the two security schemes.
 */

const aws = buildIngestOpenApi(CELL_TOPOLOGY, { target: 'aws' });
const local = buildIngestOpenApi(CELL_TOPOLOGY, { target: 'local' });
const samples = new SampleEvents(CELL_TOPOLOGY);
const first = CELL_TOPOLOGY.stages[0] as StageTopology;

async function openApiProblems(document: unknown): Promise<unknown> {
  const result = await new Validator().validate(document as Record<string, unknown>);
  return result.valid ? [] : result.errors;
}

describe('buildIngestOpenApi', () => {
  it('gives a valid OpenAPI 3.1 document for both targets', async () => {
    expect(aws.openapi).toBe('3.1.0');
    expect(await openApiProblems(aws)).toEqual([]);
    expect(await openApiProblems(local)).toEqual([]);
  });

  it('is checked by a validator that does refuse a broken document', async () => {
    const broken = { ...aws, info: { version: '1' }, paths: { 'no-slash': {} } };

    expect(await openApiProblems(broken)).not.toEqual([]);
  });

  it('describes one POST route per stage of the topology, and nothing else', () => {
    expect(Object.keys(aws.paths)).toEqual(CELL_TOPOLOGY.stages.map((s) => s.routePath));
    for (const stage of CELL_TOPOLOGY.stages) {
      expect(Object.keys(aws.paths[stage.routePath] ?? {}), stage.name).toEqual(['post']);
    }
  });

  it('takes each request body from the stage request schema, in 2020-12', () => {
    for (const stage of CELL_TOPOLOGY.stages) {
      const expected = toJsonSchema2020(stageRequestSchema(stage.name, 10));

      expect(requestSchemaIn(aws, stage.routePath), stage.name).toEqual(expected);
      expect(aws.paths[stage.routePath]?.post.requestBody.required, stage.name).toBe(true);
    }
  });

  it("follows the topology's limit of events per request", () => {
    const topology = buildTopology({ maxEventsPerRequest: 3 });
    const document = buildIngestOpenApi(topology, { target: 'aws' });
    const schema = requestSchemaIn(document, first.routePath);
    const events = (n: number) => ({
      events: Array.from({ length: n }, (_, i) => samples.event(first, { invoiceId: `INV-OA-${i}` })),
    });

    expect(schemaProblems(schema, events(3))).toEqual([]);
    expect(schemaProblems(schema, events(4))).not.toEqual([]);
  });

  it('lists exactly the answers of the route table, with the contract schemas as components', () => {
    const statuses = Object.keys(LOCAL_CELL_ROUTES.ingest.response).map((s) => s.replace(/xx$/, 'XX'));

    for (const stage of CELL_TOPOLOGY.stages) {
      const responses = aws.paths[stage.routePath]?.post.responses as Record<string, unknown>;

      expect(Object.keys(responses).sort(), stage.name).toEqual([...statuses].sort());
    }
    expect(aws.components.schemas.IngestAnswer).toEqual(JSON.parse(JSON.stringify(IngestAnswerSchema)));
    expect(aws.components.schemas.ErrorAnswer).toEqual(JSON.parse(JSON.stringify(ErrorAnswerSchema)));
    expect(responseSchemaIn(aws, first.routePath, 200)).toBe(aws.components.schemas.IngestAnswer);
    expect(responseSchemaIn(aws, first.routePath, 429)).toBe(aws.components.schemas.ErrorAnswer);
  });

  it('gives every response a description and only JSON bodies', () => {
    for (const path of Object.values(aws.paths)) {
      for (const response of Object.values(path.post.responses as Record<string, Record<string, unknown>>)) {
        expect(response.description).toEqual(expect.any(String));
        expect(Object.keys(response.content as object)).toEqual(['application/json']);
      }
    }
  });

  it('asks for SigV4 and the API key together on AWS, the API key alone locally', () => {
    expect(aws.security).toEqual([{ [OPENAPI_SECURITY.sigv4]: [], [OPENAPI_SECURITY.apiKey]: [] }]);
    expect(local.security).toEqual([{ [OPENAPI_SECURITY.apiKey]: [] }]);
  });

  it('spells the two schemes as API Gateway does: x-api-key, and SigV4 on Authorization', () => {
    const schemes = aws.components.securitySchemes;

    expect(schemes[OPENAPI_SECURITY.apiKey]).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'x-api-key',
    });
    expect(schemes[OPENAPI_SECURITY.sigv4]).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      'x-amazon-apigateway-authtype': 'awsSigv4',
    });
    expect(local.components.securitySchemes).toEqual(schemes);
  });

  it('holds only schemas that compile under strict JSON Schema 2020-12', () => {
    for (const [name, schema] of Object.entries(aws.components.schemas)) {
      expect(() => schemaProblems(schema, {}), name).not.toThrow();
    }
  });

  it('accepts a sample event and a batch of every stage, and refuses what the cell refuses', () => {
    for (const stage of CELL_TOPOLOGY.stages) {
      const schema = requestSchemaIn(aws, stage.routePath);
      const event = samples.event(stage, { invoiceId: 'INV-OA-1' });

      expect(schemaProblems(schema, event), stage.name).toEqual([]);
      expect(schemaProblems(schema, { events: [event] }), stage.name).toEqual([]);
      expect(schemaProblems(schema, { ...event, amount: 12 }), stage.name).not.toEqual([]);
      expect(schemaProblems(schema, { events: [] }), stage.name).not.toEqual([]);
      expect(schemaProblems(schema, { events: [event], extra: 1 }), stage.name).not.toEqual([]);
    }
  });

  it('is pure: a fresh, equal document on every call, with the given version and servers', () => {
    const again = buildIngestOpenApi(CELL_TOPOLOGY, { target: 'aws' });
    const versioned: OpenApiDocument = buildIngestOpenApi(CELL_TOPOLOGY, {
      target: 'local',
      version: '2.0.0',
      servers: [{ url: 'http://127.0.0.1:8787' }],
    });

    expect(again).toEqual(aws);
    expect(again).not.toBe(aws);
    expect(JSON.stringify(again)).toBe(JSON.stringify(aws));
    expect(versioned.info).toMatchObject({ version: '2.0.0' });
    expect(versioned.servers).toEqual([{ url: 'http://127.0.0.1:8787' }]);
    expect('servers' in aws).toBe(false);
  });
});
