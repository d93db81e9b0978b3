import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteAccess } from '../../../schemas/api/index.js';
import type { CellState } from '../monitoring/cell-stats.js';
import type { ApiKeyStore, KeyIdentity } from './api-keys.js';
import { HttpError } from './http-error.js';
import type { ProducerRateLimiter } from './rate-limit.js';
import { forbiddenMessage, mayCall, missingKeyMessage, routeAccess } from './roles.js';
import type { SessionAuth } from './session.js';

/**
 * What runs around every route: readiness, authentication, the role check and throttling before
 * any body is read (503 while starting or draining; 401 without a key, 403 for an unknown key or a
 * role the route does not allow, naming the role it needs; 429 with `Retry-After` per key), and the
 * per-route answer counts of `/metrics`.
 *
 * The caller is the key of `x-api-key`, else the key of a dashboard session cookie (`session.ts`).
 * Who may call which route is the table of `schemas/api/route-access.ts` (`roles.ts`). Reads need
 * no key while the cell listens on loopback only, but a key that is presented is checked (a
 * producer key reading gets 403). Off loopback, a browser opening the dashboard without a session
 * is sent to the sign-in page. A state-changing request made with the session cookie must carry
 * the CSRF token (checked in `session-routes.ts`, once the body is parsed).
 *
 * @example
 * registerRequestHooks(app, { state, keys, limiter, requireKeyForReads: false, httpCounters, sessions });
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

/** The caller of a request and whether a session cookie (not `x-api-key`) made it. */
export interface Caller extends KeyIdentity {
  readonly viaSession: boolean;
}

/** Throws 503 unless the cell is ready; /metrics answers in any state. */
function checkReady(route: string | undefined, state: CellState): void {
  if (state !== 'ready' && route !== '/metrics') {
    throw new HttpError(503, `the cell is ${state}; retry shortly`, { headers: { 'retry-after': '1' } });
  }
}

/** The request's caller: its valid `x-api-key` (403 when unknown), else its session; undefined for neither. */
function identify(request: FastifyRequest, keys: ApiKeyStore, sessions: SessionAuth): Caller | undefined {
  const key = request.headers['x-api-key'];
  if (typeof key === 'string' && key !== '') {
    const identity = keys.verify(key);
    if (!identity) throw new HttpError(403, 'the x-api-key is not a valid API key for this cell');
    return { ...identity, viaSession: false };
  }
  const session = sessions.identify(request);
  return session ? { ...session, viaSession: true } : undefined;
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

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/** Requests made with a session cookie that change state: they need the CSRF token. */
const sessionWrites = new WeakSet<FastifyRequest>();

/** Whether the request changes state on the strength of a session cookie (so needs a CSRF token). */
export function isSessionWrite(request: FastifyRequest): boolean {
  return sessionWrites.has(request);
}

/** The dashboard page without a key or session off loopback: to the sign-in page, not a JSON 401. */
function isSignInRedirect(request: FastifyRequest, access: RouteAccess, route: string): boolean {
  return access === 'read' && route === '/' && request.method === 'GET';
}

async function authorize(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: RequestHookDeps,
  sessions: SessionAuth,
): Promise<FastifyReply | undefined> {
  const route = request.routeOptions.url;
  const access = route === undefined ? undefined : routeAccess(request.method, route);
  if (access === 'public') return undefined;
  checkReady(route, deps.state());
  if (route === undefined || access === undefined) return undefined; // unknown route: 404 without checking a key
  const caller = identify(request, deps.keys, sessions);
  if (!caller) {
    if (access === 'read' && !deps.requireKeyForReads) return undefined;
    // An async hook that answers returns the reply, so fastify stops there.
    if (isSignInRedirect(request, access, route)) return reply.code(303).header('location', '/signin').send();
    throw new HttpError(401, missingKeyMessage(request.method, route, access));
  }
  if (!mayCall(caller.role, access)) {
    throw new HttpError(403, forbiddenMessage(request.method, route, access, caller));
  }
  if (SAFE_METHODS.has(request.method)) return undefined;
  if (caller.viaSession) sessionWrites.add(request);
  await throttle(caller.id, deps.limiter);
  return undefined;
}

export function registerRequestHooks(
  app: FastifyInstance,
  deps: RequestHookDeps & { readonly sessions: SessionAuth },
): void {
  app.addHook('onResponse', async (request, reply) => {
    const key = `${request.method} ${request.routeOptions.url ?? 'unmatched'} ${reply.statusCode}`;
    deps.httpCounters.set(key, (deps.httpCounters.get(key) ?? 0) + 1);
  });

  // Readiness, then authentication, the role check and throttling, before any body is read.
  app.addHook('onRequest', async (request, reply) => authorize(request, reply, deps, deps.sessions));
}
