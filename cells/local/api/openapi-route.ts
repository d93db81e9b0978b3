import type { FastifyInstance } from 'fastify';
import { buildIngestOpenApi } from '../../../schemas/api/openapi.js';
import type { CellTopology } from '../../topology.js';
import { contractRoute } from './contract-route.js';

/**
 * `GET /openapi.json`: the OpenAPI 3.1 document of this cell's ingest API (`POST
 * /invoices/{stage}`, the local security: `x-api-key`), generated from the contract
 * (`schemas/api/openapi.ts`). Built once at registration: it depends on the topology only.
 *
 * Meant to be public like `/health` (any state, no key): the document holds no secret (paths,
 * schemas and the *name* of the key header, never a key), and a producer needs it before it has
 * a key. That takes `request-hooks.ts` listing it beside `/health`; until it does, it follows the
 * read policy (open on loopback, the key beyond), which is safe too.
 *
 * @example
 * registerOpenApiRoute(app, { topology });
 * const doc = await (await fetch(`${url}/openapi.json`)).json();
 */

export interface OpenApiRouteDeps {
  readonly topology: CellTopology;
}

export function registerOpenApiRoute(app: FastifyInstance, deps: OpenApiRouteDeps): void {
  const document = buildIngestOpenApi(deps.topology, { target: 'local' });
  // The plain (untyped) instance: the contract lists no 200 schema for this route (see its entry).
  app.route({
    ...contractRoute('openapi'),
    handler: async (_request, reply) => reply.type('application/json; charset=utf-8').send(document),
  });
}
