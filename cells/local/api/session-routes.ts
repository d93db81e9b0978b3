import fastifyCookie from '@fastify/cookie';
import fastifyCsrfProtection from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionAnswer } from '../../../schemas/api/index.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { Logger } from '../logger.js';
import type { ApiKeyStore } from './api-keys.js';
import { contractApp, contractRoute } from './contract-route.js';
import { HttpError } from './http-error.js';
import { isSessionWrite } from './request-hooks.js';
import { mayOpenSession, SESSION_COOKIE, type SessionAuth, type SessionIdentity } from './session.js';
import { renderSignInPage, SIGNIN_PAGE_HEADERS, type SignInPageModel } from './signin-page.js';

/**
 * Signing in to the web dashboard: `GET /signin` (the page), `POST /signin` (a viewer or operator
 * key as a form field or JSON `{"key"}`; sets the session cookie), `POST /signout`, and
 * `GET /session` (who is signed in, and the CSRF token). Also registers @fastify/cookie (signed
 * cookies) and @fastify/csrf-protection, and the CSRF check of every state-changing request that a
 * session cookie authenticated (`x-csrf-token` header or `_csrf` form field; requests with
 * `x-api-key` are not cookie-based and need none).
 *
 * A sign-in itself has no session yet, so no token: it is guarded against cross-site posts (login
 * CSRF) by its `Origin`, which every browser sends on a POST and which must be this cell.
 *
 * @example
 * registerSessionRoutes(app, { sessions, keys, logger });
 */

export interface SessionRouteDeps {
  readonly sessions: SessionAuth;
  readonly keys: ApiKeyStore;
  readonly logger: Logger;
}

const FORM = 'application/x-www-form-urlencoded';
const MISSING_CSRF =
  'missing CSRF token: a request made with the dashboard session cookie must send the x-csrf-token header (GET /session gives it) or a _csrf form field';

function isForm(request: FastifyRequest): boolean {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() === FORM;
}

function csrfTokenOf(request: FastifyRequest): unknown {
  const body = request.body as { _csrf?: unknown } | undefined;
  return body?._csrf ?? request.headers['x-csrf-token'] ?? request.headers['csrf-token'];
}

/** 403 unless the request carries the CSRF token of its `_csrf` cookie secret (@fastify/csrf-protection). */
function checkCsrf(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  done: (error?: Error) => void,
): void {
  if (typeof csrfTokenOf(request) === 'string') app.csrfProtection(request, reply, done);
  else done(new HttpError(403, MISSING_CSRF));
}

/** 403 for a browser post from another site; clients that send no `Origin` (curl, scripts) pass. */
function checkSameOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host !== request.headers.host) {
    throw new HttpError(403, `sign-in refused: the form was posted from ${origin}, not from this cell`);
  }
}

function sessionAnswer(session: SessionIdentity | undefined, csrfToken: string): SessionAnswer {
  if (!session) return { signedIn: false, csrfToken };
  const { id: keyId, name, role } = session;
  return { signedIn: true, keyId, name, role, expiresAt: isoFromMs(session.expiresAtMs), csrfToken };
}

function sendPage(reply: FastifyReply, model: SignInPageModel, status = 200): FastifyReply {
  return reply
    .code(status)
    .headers(SIGNIN_PAGE_HEADERS)
    .type('text/html; charset=utf-8')
    .send(renderSignInPage(model));
}

/** The key of a sign-in, or the 4xx that refuses it. */
function signInKey(deps: SessionRouteDeps, body: unknown): SessionIdentity {
  const key = (body as { key?: unknown } | undefined)?.key;
  if (typeof key !== 'string' || key === '') {
    throw new HttpError(400, 'key is required: sign in with a viewer or operator API key', {
      errors: [{ path: '/key', message: 'is required' }],
    });
  }
  const identity = deps.keys.verify(key);
  if (!identity) throw new HttpError(401, 'that is not a valid API key for this cell (unknown or revoked)');
  if (!mayOpenSession(identity)) {
    throw new HttpError(
      403,
      `a ${identity.role} key cannot sign in to the dashboard: sign in with a viewer or operator key`,
    );
  }
  const { expiresAtMs } = deps.sessions.open(identity);
  return { ...identity, expiresAtMs };
}

function registerSignIn(scope: FastifyInstance, deps: SessionRouteDeps): void {
  const { sessions, logger } = deps;
  contractApp(scope).route({
    ...contractRoute('signin'),
    handler: async (request, reply) => {
      const form = isForm(request);
      let session: SessionIdentity;
      try {
        checkSameOrigin(request);
        session = signInKey(deps, request.body);
      } catch (error) {
        if (!form || !(error instanceof HttpError)) throw error;
        return sendPage(reply, { error: error.message }, error.statusCode);
      }
      const value = `${session.id}.${session.expiresAtMs}`;
      reply.setCookie(SESSION_COOKIE, value, { ...sessions.cookieOptions, maxAge: sessions.ttlMs / 1000 });
      logger.info('dashboard sign-in', { keyId: session.id, name: session.name, role: session.role });
      if (form) return reply.redirect('/', 303);
      return sessionAnswer(session, reply.generateCsrf());
    },
  });
}

function registerSignOutAndSession(scope: FastifyInstance, deps: SessionRouteDeps): void {
  const { sessions } = deps;
  contractApp(scope).route({
    ...contractRoute('signout'),
    // Public, so the request hook did not look at the cookie: a live session needs the token here.
    preHandler: (request, reply, done) => {
      if (!sessions.identify(request)) return done();
      checkCsrf(scope, request, reply, done);
    },
    handler: async (request, reply) => {
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      if (isForm(request)) return reply.redirect('/signin', 303);
      return sessionAnswer(undefined, reply.generateCsrf());
    },
  });
  contractApp(scope).route({
    ...contractRoute('session'),
    handler: async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return sessionAnswer(sessions.identify(request), reply.generateCsrf());
    },
  });
  scope.route({
    ...contractRoute('signinPage'),
    handler: async (request, reply) => {
      const session = sessions.identify(request);
      if (!session) return sendPage(reply, {});
      const { name, role } = session;
      const model = { session: { name, role, expiresAt: isoFromMs(session.expiresAtMs) } };
      return sendPage(reply, { ...model, csrfToken: reply.generateCsrf() });
    },
  });
}

export function registerSessionRoutes(app: FastifyInstance, deps: SessionRouteDeps): void {
  const { sessions } = deps;
  void app.register(fastifyCookie, { secret: sessions.secret });
  void app.register(fastifyCsrfProtection, {
    sessionPlugin: '@fastify/cookie',
    cookieOpts: sessions.cookieOptions,
    getToken: (request) => {
      const token = csrfTokenOf(request);
      return typeof token === 'string' ? token : undefined;
    },
  });
  // Every state-changing request a session cookie authenticated, once its body is parsed.
  app.addHook('preHandler', (request, reply, done) => {
    if (!isSessionWrite(request)) return done();
    checkCsrf(app, request, reply, done);
  });
  // Forms are parsed only here: every other route keeps answering 415 to anything but JSON.
  void app.register(async (scope) => {
    scope.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 8 * 1024 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    registerSignIn(scope, deps);
    registerSignOutAndSession(scope, deps);
  });
}
