import Fastify, { type FastifyInstance } from 'fastify';
import type { CellTopology } from '../../topology.js';
import type { Logger } from '../logger.js';
import { type DlqRouteDeps, registerDlqRoutes } from './dlq-routes.js';
import { registerErrorHandler } from './error-handler.js';
import { type FaultRouteDeps, registerFaultRoutes } from './fault-routes.js';
import { type IngestRouteDeps, registerIngestRoutes } from './ingest-routes.js';
import { registerOpenApiRoute } from './openapi-route.js';
import { type ReadRouteDeps, registerReadRoutes } from './read-routes.js';
import { type ReplayRouteDeps, registerReplayRoutes } from './replay-routes.js';
import { registerJsonBodyParser } from './request-body.js';
import { type RequestHookDeps, registerRequestHooks } from './request-hooks.js';

/**
 * The local cell's HTTP API (fastify), the local twin of the API Gateway REST API:
 *
 * | route | what | module |
 * |---|---|---|
 * | `POST /invoices/{stage}` | one event or `{"events": [...]}` (≤ 10); PutEvents-style per-entry answer | `ingest-routes.ts` |
 * | `GET /openapi.json` | the ingest API's OpenAPI 3.1 document | `openapi-route.ts` |
 * | `GET /invoices/{invoiceId}` | the invoice's stored timeline | `read-routes.ts` |
 * | `GET /health`, `GET /stats`, `GET /metrics` | readiness, counts per stage, Prometheus text | `read-routes.ts` |
 * | `GET /dlq/{stage}`, `POST /dlq/{stage}/redrive`, `GET /dlq/{stage}/redrive` | DLQ list and redrive | `dlq-routes.ts` |
 * | `POST /replays`, `GET /replays/{name}` | archive replays | `replay-routes.ts` |
 * | `POST`/`DELETE /admin/faults` | fault injection, only with `--enable-fault-injection` | `fault-routes.ts` |
 *
 * Writes need `x-api-key` (401 without, 403 when unknown) and are throttled per key (429 with
 * `Retry-After`). Reads are open because the cell binds loopback by default; bound to any other
 * address, reads (including /metrics) need the key too; only /health stays open
 * (`request-hooks.ts`). Every error is JSON `{"message": ..., "errors"?: [...]}`
 * (`error-handler.ts`); no input can crash the process.
 *
 * @example
 * const app = buildHttpApi(deps);
 * await app.listen({ host: '127.0.0.1', port: 0 });
 */

export interface HttpApiDeps
  extends RequestHookDeps,
    IngestRouteDeps,
    ReadRouteDeps,
    DlqRouteDeps,
    ReplayRouteDeps,
    FaultRouteDeps {
  readonly topology: CellTopology;
  readonly faultInjection: boolean;
  readonly logger: Logger;
}

export function buildHttpApi(deps: HttpApiDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: deps.topology.settings.maxBodyKiB * 1024,
    return503OnClosing: true,
    keepAliveTimeout: 65_000,
  });
  // Parser, error handling and hooks first: they apply to every route below and to plugins'.
  registerJsonBodyParser(app);
  registerErrorHandler(app, deps);
  registerRequestHooks(app, deps);

  registerIngestRoutes(app, deps);
  registerOpenApiRoute(app, deps);
  registerReadRoutes(app, deps);
  registerDlqRoutes(app, deps);
  registerReplayRoutes(app, deps);
  if (deps.faultInjection) registerFaultRoutes(app, deps);
  return app;
}
