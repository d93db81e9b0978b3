import AjvModule, { type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { expect } from 'vitest';
import {
  type ApiRoute,
  LOCAL_CELL_ROUTES,
  type LocalCellRouteName,
  responseSchemaOf,
} from '../../../../schemas/api/index.js';

/**
 * Checks a real answer of the local cell against the contract, two ways:
 * 1. ajv against a *closed* copy of the schema (every object with listed properties gets
 *    `additionalProperties: false`), so a field the schema forgot fails;
 * 2. fastify's own serializer with the route's `response` map, whose output must equal the answer,
 *    so wiring the schema into the server changes no byte of meaning (nothing dropped, nothing
 *    coerced, the right `anyOf` branch picked).
 * Open parts stay open: `Type.Unknown()` has no properties, `Type.Record` lists none.
 *
 * @example
 * await expectAnswer('timeline', await client.get('/invoices/INV-1'));
 */

type JsonNode = Record<string, unknown>;

const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validators = new WeakMap<TSchema, ValidateFunction>();

/** A deep copy of `schema` in which every object with `properties` refuses other properties. */
export function closeSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: JsonNode = {};
  for (const [key, value] of Object.entries(schema as JsonNode)) out[key] = closeSchema(value);
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}

/** ajv's complaints about `value` under the closed `schema` ([] when it conforms). */
export function closedSchemaProblems(schema: TSchema, value: unknown): string[] {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(closeSchema(schema) as JsonNode);
    validators.set(schema, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '(root)'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
  );
}

let app: FastifyInstance | undefined;
const payloads = new Map<string, { status: number; body: unknown }>();
let nextId = 0;

async function serializer(): Promise<FastifyInstance> {
  if (app) return app;
  const instance = Fastify({ logger: false });
  for (const [name, route] of Object.entries(LOCAL_CELL_ROUTES) as [string, ApiRoute][]) {
    instance.get(`/${name}`, { schema: { response: route.response } }, async (request, reply) => {
      const payload = payloads.get((request.query as { id: string }).id);
      return reply.code(payload?.status ?? 500).send(payload?.body);
    });
  }
  await instance.ready();
  app = instance;
  return instance;
}

/** `body` as fastify sends it with the contract of `name` and `status`, parsed back. */
export async function serializeThrough(
  name: LocalCellRouteName,
  status: number,
  body: unknown,
): Promise<unknown> {
  const instance = await serializer();
  const id = String(nextId++);
  payloads.set(id, { status, body });
  try {
    const res = await instance.inject({ method: 'GET', url: `/${name}?id=${id}` });
    expect(res.statusCode, `${name} ${status} serialised: ${res.payload}`).toBe(status);
    return JSON.parse(res.payload);
  } finally {
    payloads.delete(id);
  }
}

export async function closeSerializer(): Promise<void> {
  await app?.close();
  app = undefined;
}

/** Answers checked so far, as `<route name> <status>`. */
export const checkedAnswers = new Set<string>();

/**
 * Asserts that an answer of route `name` conforms to the contract (closed schema) and survives
 * fastify's serializer unchanged. Returns the body, typed by the caller.
 */
export async function expectAnswer<T = unknown>(
  name: LocalCellRouteName,
  res: { readonly status: number; readonly body: unknown },
): Promise<T> {
  const schema = responseSchemaOf(LOCAL_CELL_ROUTES[name], res.status);
  expect(schema, `the contract has a schema for ${name} ${res.status}`).toBeDefined();
  expect(closedSchemaProblems(schema as TSchema, res.body), `${name} ${res.status}`).toEqual([]);
  expect(await serializeThrough(name, res.status, res.body), `${name} ${res.status} round trip`).toEqual(
    res.body,
  );
  checkedAnswers.add(`${name} ${res.status}`);
  return res.body as T;
}
