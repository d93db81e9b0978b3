import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CellState } from '../monitoring/cell-stats.js';
import type { ApiKeyStore } from './api-keys.js';
import { HttpError } from './http-error.js';
import type { ProducerRateLimiter } from './rate-limit.js';

/**
 * What runs around every route: readiness, authentication and throttling before any body is read
 * (503 while starting or draining, 401/403 for a missing or unknown `x-api-key`, 429 with
 * `Retry-After` per key), and the per-route answer counts of `/metrics`.
 *
 * @example
 * registerRequestHooks(app, { state, keys, limiter, requireKeyForReads: false, httpCounters });
 */

export interface RequestHookDeps {
  readonly keys: ApiKeyStore;
  readonly limiter: ProducerRateLimiter;
  readonly state: () => CellState;
  /** Reads need the key too (the cell listens beyond loopback). */
  readonly requireKeyForReads: boolean;
  /** "METHOD route status" → count, for /metrics. */
  readonly httpCounters: Map<string, number>;
}

/** Throws 503 unless the cell is ready; /health and /metrics answer in any state. */
function checkReady(route: string | undefined, state: CellState): void {
  if (state !== 'ready' && route !== '/metrics') {
    throw new HttpError(503, `the cell is ${state}; retry shortly`, { headers: { 'retry-after': '1' } });
  }
}

/** The key id of the request's valid `x-api-key`; throws 401 or 403. */
function authenticate(request: FastifyRequest, keys: ApiKeyStore): string {
  const key = request.headers['x-api-key'];
  if (typeof key !== 'string' || key === '') {
    throw new HttpError(401, 'missing x-api-key header: writes need a producer API key');
  }
  const keyId = keys.verify(key);
  if (!keyId) throw new HttpError(403, 'the x-api-key is not a valid API key for this cell');
  return keyId;
}

/** Takes a token of the key's bucket; throws 429 with `Retry-After` when it is empty. */
async function throttle(keyId: string, limiter: ProducerRateLimiter): Promise<void> {
  const verdict = await limiter.consume(keyId);
  if (!verdict.allowed) {
    throw new HttpError(
      429,
      `rate limit exceeded for this API key (${limiter.settings.ratePerSec} requests/s, burst ${limiter.settings.burst}); retry after ${verdict.retryAfterSec} s`,
      { headers: { 'retry-after': String(verdict.retryAfterSec) } },
    );
  }
}

/**
 * Routes that answer in any state and without a key: the health check, and the ingest API's
 * OpenAPI document (paths, schemas and the name of the key header, never a key; a producer reads
 * it before it has one).
 */
const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['/health', '/openapi.json']);

export function registerRequestHooks(app: FastifyInstance, deps: RequestHookDeps): void {
  app.addHook('onResponse', async (request, reply) => {
    const key = `${request.method} ${request.routeOptions.url ?? 'unmatched'} ${reply.statusCode}`;
    deps.httpCounters.set(key, (deps.httpCounters.get(key) ?? 0) + 1);
  });

  // Readiness, then authentication and throttling, before any body is read.
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    if (route !== undefined && PUBLIC_ROUTES.has(route)) return;
    checkReady(route, deps.state());
    const isRead = request.method === 'GET' || request.method === 'HEAD';
    if (isRead && !deps.requireKeyForReads) return;
    if (route === undefined) return; // unknown route: 404 without revealing whether a key is valid
    const keyId = authenticate(request, deps.keys);
    if (isRead) return;
    await throttle(keyId, deps.limiter);
  });
}
