import Fastify, { type FastifyInstance } from 'fastify';
import type { CellTopology } from '../../topology.js';
import type { Logger } from '../logger.js';
import { type BackupRouteDeps, registerBackupRoutes } from './backup-routes.js';
import { type DlqRouteDeps, registerDlqRoutes } from './dlq-routes.js';
import { registerErrorHandler } from './error-handler.js';
import { type FaultRouteDeps, registerFaultRoutes } from './fault-routes.js';
import { type IngestRouteDeps, registerIngestRoutes } from './ingest-routes.js';
import { type KeyRouteDeps, registerKeyRoutes } from './key-routes.js';
import { registerOpenApiRoute } from './openapi-route.js';
import { type ReadRouteDeps, registerReadRoutes } from './read-routes.js';
import { type ReplayRouteDeps, registerReplayRoutes } from './replay-routes.js';
import { registerJsonBodyParser } from './request-body.js';
import { type RequestHookDeps, registerRequestHooks } from './request-hooks.js';
import { SessionAuth } from './session.js';
import { registerSessionRoutes } from './session-routes.js';

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
 * | `POST /admin/backup` | an online backup of the database, streamed as a SQLite file | `backup-routes.ts` |
 * | `POST /keys`, `GET /keys`, `DELETE /keys/{ref}` | key management (operator keys) | `key-routes.ts` |
 * | `GET`/`POST /signin`, `POST /signout`, `GET /session` | dashboard sign-in (session cookie, CSRF) | `session-routes.ts` |
 *
 * Every route has an access class (`schemas/api/route-access.ts`): ingest for producer keys, reads
 * for viewer and operator keys, ops for operator keys; 401 without a key, 403 for an unknown key
 * or a role the route does not allow; writes are throttled per key (429 with `Retry-After`).
 * Reads are open while the cell binds 127.0.0.1 (its default); bound to any other address they
 * need a key or a dashboard session too; /health, /openapi.json and the sign-in routes stay open
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
    BackupRouteDeps,
    FaultRouteDeps,
    KeyRouteDeps {
  readonly topology: CellTopology;
  readonly faultInjection: boolean;
  readonly logger: Logger;
  /** Signs dashboard session and CSRF cookies (`session.ts`: `sessionSecret(db)`). */
  readonly sessionSecret: string;
  /** Serve HTTPS with this PEM key and certificate (`--tls-key`, `--tls-cert`). */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
}

export function buildHttpApi(deps: HttpApiDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: deps.topology.settings.maxBodyKiB * 1024,
    return503OnClosing: true,
    keepAliveTimeout: 65_000,
    // HTTPS changes only the server's type, not the API's: one FastifyInstance type either way.
    ...(deps.tls ? { https: { key: deps.tls.key, cert: deps.tls.cert } } : {}),
  }) as unknown as FastifyInstance;
  const sessions = new SessionAuth({
    keys: deps.keys,
    secret: deps.sessionSecret,
    clock: deps.clock,
    secure: deps.tls !== undefined,
  });
  // Parser, error handling and hooks first: they apply to every route below and to plugins'.
  registerJsonBodyParser(app);
  registerErrorHandler(app, deps);
  registerRequestHooks(app, { ...deps, sessions });
  registerSessionRoutes(app, { ...deps, sessions });
  registerKeyRoutes(app, deps);

  registerIngestRoutes(app, deps);
  registerOpenApiRoute(app, deps);
  registerReadRoutes(app, deps);
  registerDlqRoutes(app, deps);
  registerReplayRoutes(app, deps);
  registerBackupRoutes(app, deps);
  if (deps.faultInjection) registerFaultRoutes(app, deps);
  return app;
}
