import { randomBytes } from 'node:crypto';
import { fastifyCookie, Signer } from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../../consumers/clock.js';
import type { DatabaseHandle } from '../storage/db.js';
import type { ApiKeyStore, KeyIdentity } from './api-keys.js';

/**
 * Dashboard sessions: what a sign-in leaves in the browser and how a request proves it. The
 * session cookie holds `<key id>.<expiry ms>`, signed with the data dir's secret (HMAC-SHA256 of
 * @fastify/cookie), and is HttpOnly, SameSite=Strict, Secure under TLS, and expires after
 * {@link SESSION_TTL_MS}. It refers to the key, not a copy of its rights: every request looks the
 * key up again, so revoking the key (or it becoming a producer key, which cannot happen) ends the
 * session at once. A cookie that is forged, expired or of a revoked key counts as no cookie:
 * browsers send it unasked, so it must not turn a loopback read (open without a key) into an error.
 *
 * @example
 * const sessions = new SessionAuth({ keys, secret: sessionSecret(db), clock, secure: false });
 * const caller = sessions.identify(request); // KeyIdentity of the signed-in key, or undefined
 */

/** The session cookie's name. */
export const SESSION_COOKIE = 'invoice_cell_session';
/** How long a sign-in lasts: a working day and then some, so nobody signs in twice a day. */
export const SESSION_TTL_MS = 12 * 3_600_000;
const SESSION_SECRET_META_KEY = 'session_secret';

/**
 * The data dir's cookie-signing secret: 32 random bytes made on first use and kept in the `meta`
 * table. Stored rather than made per process so sign-ins survive a restart; per data dir so two
 * cells never accept each other's cookies. Deleting the row signs everybody out.
 */
export function sessionSecret(db: DatabaseHandle): string {
  db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(
    SESSION_SECRET_META_KEY,
    randomBytes(32).toString('base64url'),
  );
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(SESSION_SECRET_META_KEY) as
    | { value: string }
    | undefined;
  if (!row) throw new Error('the session secret could not be stored');
  return row.value;
}

export interface SessionAuthOptions {
  readonly keys: ApiKeyStore;
  /** Signs the session and CSRF cookies ({@link sessionSecret}). */
  readonly secret: string;
  readonly clock: Clock;
  /** Cookies get the Secure flag (the cell serves TLS). */
  readonly secure: boolean;
  readonly ttlMs?: number;
}

/** A signed-in key and when its session ends. */
export interface SessionIdentity extends KeyIdentity {
  readonly expiresAtMs: number;
}

/** The options of the session and CSRF cookies. */
export interface SessionCookieOptions {
  readonly httpOnly: true;
  readonly sameSite: 'strict';
  readonly path: '/';
  readonly secure: boolean;
  readonly signed: true;
}

export class SessionAuth {
  readonly secret: string;
  readonly ttlMs: number;
  readonly cookieOptions: SessionCookieOptions;
  readonly #keys: ApiKeyStore;
  readonly #clock: Clock;
  readonly #signer: Signer;

  constructor(options: SessionAuthOptions) {
    this.secret = options.secret;
    this.ttlMs = options.ttlMs ?? SESSION_TTL_MS;
    this.cookieOptions = {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      secure: options.secure,
      signed: true,
    };
    this.#keys = options.keys;
    this.#clock = options.clock;
    this.#signer = new Signer(options.secret);
  }

  /**
   * The key of the request's session cookie while the cookie is genuine, unexpired and its key
   * works and may sign in; undefined otherwise. Reads the Cookie header itself: it runs in the
   * first onRequest hook, before @fastify/cookie's own hook has parsed the cookies.
   */
  identify(request: FastifyRequest): SessionIdentity | undefined {
    const header = request.headers.cookie;
    if (!header) return undefined;
    const raw = fastifyCookie.parse(header)[SESSION_COOKIE];
    if (!raw) return undefined;
    const unsigned = this.#signer.unsign(raw);
    if (!unsigned.valid) return undefined;
    const [keyId = '', expiry = ''] = unsigned.value.split('.');
    const expiresAtMs = Number(expiry);
    if (!Number.isSafeInteger(expiresAtMs) || expiresAtMs <= this.#clock.now()) return undefined;
    const key = this.#keys.active(keyId);
    if (!key || !mayOpenSession(key)) return undefined;
    return { ...key, expiresAtMs };
  }

  /** The (unsigned) cookie value of a new session of `key`; @fastify/cookie signs it. */
  open(key: KeyIdentity): { value: string; expiresAtMs: number } {
    const expiresAtMs = this.#clock.now() + this.ttlMs;
    return { value: `${key.id}.${expiresAtMs}`, expiresAtMs };
  }
}

/** Viewer and operator keys may sign in; a producer key only posts events. */
export function mayOpenSession(key: KeyIdentity): boolean {
  return key.role === 'viewer' || key.role === 'operator';
}
