import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../../cells/local/local-cell.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import type { CreatedKeyAnswer, SessionAnswer } from '../../../../schemas/api/index.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from '../helpers/cell-process.js';

/**
 * Dashboard sessions on a cell bound beyond loopback (127.0.0.2): sign-in with a viewer or
 * operator key sets a signed HttpOnly SameSite=Strict cookie that then authenticates reads; a
 * producer key cannot sign in; a state-changing request made with the cookie needs the CSRF token;
 * revoking the key, or tampering with the cookie, ends the session; sign-out clears it.
 */

const first = CELL_TOPOLOGY.stages[0]?.name ?? 'ingestion';
let cell: LocalCell;
let dataDir: string;

/** `name=value; …` of the cookies a response sets (attributes dropped). */
function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

async function createKey(name: string, role: string): Promise<string> {
  const res = await fetch(`${cell.url}/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TEST_OPERATOR_KEY },
    body: JSON.stringify({ name, role }),
  });
  return ((await res.json()) as CreatedKeyAnswer).key;
}

function signIn(key: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${cell.url}/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ key }),
  });
}

/** Signs in and returns the cookie header and CSRF token of the session. */
async function session(key: string): Promise<{ cookie: string; csrfToken: string }> {
  const res = await signIn(key);
  const body = (await res.json()) as SessionAnswer;
  return { cookie: cookiesOf(res), csrfToken: body.csrfToken };
}

beforeAll(async () => {
  dataDir = tempDataDir('sessions-');
  cell = await startLocalCell({
    dataDir,
    host: '127.0.0.2',
    port: 0,
    apiKey: TEST_API_KEY,
    operatorKey: TEST_OPERATOR_KEY,
    processorThread: 'inline',
    logLevel: 'silent',
  });
});

afterAll(async () => {
  await cell?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('POST /signin', () => {
  it('sets a signed, HttpOnly, SameSite=Strict, expiring session cookie that authenticates reads', async () => {
    const key = await createKey('session-viewer', 'viewer');

    const res = await signIn(key);
    const body = (await res.json()) as SessionAnswer;
    const stats = await fetch(`${cell.url}/stats`, { headers: { cookie: cookiesOf(res) } });
    const anonymous = await fetch(`${cell.url}/stats`);

    expect(res.status).toBe(200);
    expect(body).toMatchObject({ signedIn: true, name: 'session-viewer', role: 'viewer' });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('invoice_cell_session='));
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Max-Age=43200/);
    expect(cookie).not.toMatch(/; Secure/); // no TLS here
    expect(cookie).not.toContain(key);
    expect([stats.status, anonymous.status]).toEqual([200, 401]);
  });

  it('refuses a producer key, an unknown key, a missing key and a cross-site form', async () => {
    const producer = await signIn(TEST_API_KEY);
    const unknown = await signIn('no-such-key-0123456789-abcdefgh');
    const missing = await signIn(undefined);
    const crossSite = await signIn(TEST_OPERATOR_KEY, { origin: 'https://evil.example' });

    expect([producer.status, unknown.status, missing.status, crossSite.status]).toEqual([403, 401, 400, 403]);
    expect(((await producer.json()) as { message: string }).message).toMatch(
      /a producer key cannot sign in to the dashboard: sign in with a viewer or operator key/,
    );
    expect(producer.headers.getSetCookie().some((c) => c.startsWith('invoice_cell_session='))).toBe(false);
    expect(((await crossSite.json()) as { message: string }).message).toContain('https://evil.example');
  });
});

describe('a session', () => {
  it('needs the CSRF token on a state-changing request, and a role that may make it', async () => {
    const operator = await session(TEST_OPERATOR_KEY);
    const viewer = await session(await createKey('csrf-viewer', 'viewer'));
    const redrive = (cookie: string, token?: string) =>
      fetch(`${cell.url}/dlq/${first}/redrive`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          cookie,
          ...(token !== undefined ? { 'x-csrf-token': token } : {}),
        },
        body: JSON.stringify({ dryRun: true }),
      });

    const noToken = await redrive(operator.cookie);
    const wrongToken = await redrive(operator.cookie, viewer.csrfToken);
    const withToken = await redrive(operator.cookie, operator.csrfToken);
    const viewerWrite = await redrive(viewer.cookie, viewer.csrfToken);

    expect([noToken.status, wrongToken.status, withToken.status, viewerWrite.status]).toEqual([
      403, 403, 200, 403,
    ]);
    expect(((await noToken.json()) as { message: string }).message).toMatch(/missing CSRF token/);
    expect(((await viewerWrite.json()) as { message: string }).message).toMatch(/needs an operator key/);
  });

  it('ends when its key is revoked, at once', async () => {
    const { cookie } = await session(await createKey('revoked-viewer', 'viewer'));
    const before = await fetch(`${cell.url}/stats`, { headers: { cookie } });

    const revoke = await fetch(`${cell.url}/keys/revoked-viewer`, {
      method: 'DELETE',
      headers: { 'x-api-key': TEST_OPERATOR_KEY },
    });
    const after = await fetch(`${cell.url}/stats`, { headers: { cookie } });
    const who = (await (await fetch(`${cell.url}/session`, { headers: { cookie } })).json()) as SessionAnswer;

    expect([before.status, revoke.status, after.status]).toEqual([200, 200, 401]);
    expect(who.signedIn).toBe(false);
  });

  it('counts a tampered cookie as none', async () => {
    const { cookie } = await session(await createKey('tampered-viewer', 'viewer'));
    const forged = cookie.replace(/invoice_cell_session=[^.]+\./, 'invoice_cell_session=someone-else.');

    const res = await fetch(`${cell.url}/stats`, { headers: { cookie: forged } });

    expect(res.status).toBe(401);
  });

  it('is cleared by sign-out, which needs the CSRF token too', async () => {
    const { cookie, csrfToken } = await session(await createKey('leaving-viewer', 'viewer'));
    const signOut = (token?: string) =>
      fetch(`${cell.url}/signout`, {
        method: 'POST',
        headers: { cookie, ...(token ? { 'x-csrf-token': token } : {}) },
      });

    const refused = await signOut();
    const done = await signOut(csrfToken);

    expect([refused.status, done.status]).toEqual([403, 200]);
    const cleared = done.headers.getSetCookie().find((c) => c.startsWith('invoice_cell_session='));
    expect(cleared).toMatch(/invoice_cell_session=;/);
    expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/);
  });
});
