import { afterAll, describe, expect, it } from 'vitest';
import {
  ErrorAnswerSchema,
  IngestAnswerSchema,
  LOCAL_CELL_ROUTES,
  responseSchemaOf,
} from '../../../schemas/api/index.js';
import {
  closedSchemaProblems,
  closeSerializer,
  expectAnswer,
  serializeThrough,
} from './helpers/answer-check.js';

/** The route table, and the two checks the live tests rely on (closed schema, serializer round trip). */

afterAll(closeSerializer);

describe('LOCAL_CELL_ROUTES', () => {
  it('gives every route the error body for 4xx and 5xx', () => {
    for (const [name, route] of Object.entries(LOCAL_CELL_ROUTES)) {
      expect(responseSchemaOf(route, 400), name).toBe(ErrorAnswerSchema);
      expect(responseSchemaOf(route, 500), name).toBe(ErrorAnswerSchema);
    }
  });

  it('prefers an exact status over its class and has no schema for text answers', () => {
    expect(responseSchemaOf(LOCAL_CELL_ROUTES.ingest, 502)).toBe(IngestAnswerSchema);
    expect(responseSchemaOf(LOCAL_CELL_ROUTES.health, 503)).toBe(LOCAL_CELL_ROUTES.health.response[503]);
    expect(responseSchemaOf(LOCAL_CELL_ROUTES.metrics, 200)).toBeUndefined();
  });

  it('names each method and URL once', () => {
    const keys = Object.values(LOCAL_CELL_ROUTES).map((r) => `${r.method} ${r.url}`);

    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('the answer checks', () => {
  it('fail an answer that carries a field the schema does not list, which fastify would drop', async () => {
    const body = { failedEntryCount: 0, entries: [{ index: 0, status: 'accepted', extra: 1 }] };

    expect(closedSchemaProblems(IngestAnswerSchema, body).join()).toMatch(
      /must NOT have additional properties/,
    );
    expect(await serializeThrough('ingest', 200, body)).toEqual({
      failedEntryCount: 0,
      entries: [{ index: 0, status: 'accepted' }],
    });
  });

  it('accept an error body with field errors', async () => {
    const body = {
      message: 'invalid request: /ratePerSec must be a number',
      errors: [{ path: '/x', message: 'm' }],
    };

    await expectAnswer('redriveStart', { status: 400, body });
  });
});
