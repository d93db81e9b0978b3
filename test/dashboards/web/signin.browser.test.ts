import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../cells/local/local-cell.js';
import { DEFAULT_PLUGINS } from '../../../cells/local/plugins/default-plugins.js';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import type { CreatedKeyAnswer } from '../../../schemas/api/index.js';
import { CellClient } from '../../cells/local/helpers/cell-client.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from '../../cells/local/helpers/cell-process.js';
import { waitFor } from '../../cells/local/helpers/wait-for.js';
import { launchTestBrowser } from '../../support/browser.js';

/**
 * Signing in to the dashboard of a cell bound beyond loopback (127.0.0.2), in real headless
 * Chromium: a browser without a session is sent to the sign-in page, a producer key is refused
 * there, a viewer key signs in and the dashboard's data loads, the session cookie is HttpOnly and
 * SameSite=Strict, and revoking the key ends the session on the next page load.
 */

const first = CELL_TOPOLOGY.stages[0] as StageTopology;
const samples = new SampleEvents(CELL_TOPOLOGY);

describe('Dashboard sign-in beyond loopback', () => {
  let dataDir: string;
  let cell: LocalCell;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let viewerKey: string;
  let stored = 0;

  beforeAll(async () => {
    dataDir = tempDataDir('dashboard-signin-');
    cell = await startLocalCell({
      dataDir,
      host: '127.0.0.2',
      port: 0,
      apiKey: TEST_API_KEY,
      operatorKey: TEST_OPERATOR_KEY,
      processorThread: 'inline',
      logLevel: 'error',
      plugins: DEFAULT_PLUGINS,
    });
    const client = new CellClient(cell.url);
    const created = await client.post<CreatedKeyAnswer>('/keys', { name: 'browser-viewer', role: 'viewer' });
    viewerKey = created.body.key;
    const events = ['INV-SIGNIN-1', 'INV-SIGNIN-2'].map((invoiceId) =>
      samples.event(first, { invoiceId, occurredAtMs: Date.now() - 60_000 }),
    );
    await client.post(first.routePath, { events });
    await waitFor(async () => (await client.stats()).totals.stored === events.length || undefined, {
      what: 'the events stored',
    });
    stored = events.length;
    browser = await launchTestBrowser();
    context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-US' });
    page = await context.newPage();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await cell?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function signInWith(key: string): Promise<void> {
    await page.goto(`${cell.url}/signin`);
    await page.locator('#key').fill(key);
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
  }

  it('sends a browser without a session from the dashboard to the sign-in page', async () => {
    await page.goto(`${cell.url}/`);

    expect(new URL(page.url()).pathname).toBe('/signin');
    await expect(page.locator('#key').getAttribute('type')).resolves.toBe('password');
  });

  it('refuses a producer key at sign-in, saying which keys may sign in', async () => {
    await signInWith(TEST_API_KEY);

    expect(new URL(page.url()).pathname).toBe('/signin');
    await expect(page.getByRole('alert').textContent()).resolves.toContain(
      'a producer key cannot sign in to the dashboard: sign in with a viewer or operator key',
    );
    expect((await context.cookies()).some((c) => c.name === 'invoice_cell_session')).toBe(false);
  });

  it('signs in with a viewer key, and the dashboard loads its data', async () => {
    await signInWith(viewerKey);

    expect(new URL(page.url()).pathname).toBe('/');
    await page.waitForFunction(
      (expected) =>
        document
          .querySelector('[data-testid="summary-stored"] [data-testid="stat-value"]')
          ?.getAttribute('data-value') === expected,
      String(stored),
      { timeout: 15_000 },
    );
    const cookie = (await context.cookies()).find((c) => c.name === 'invoice_cell_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', secure: false });
    expect(cookie?.value).not.toContain(viewerKey);
    expect(page.url()).not.toContain(viewerKey);
  });

  it('ends the session when the key is revoked', async () => {
    const revoke = await new CellClient(cell.url).request('DELETE', '/keys/browser-viewer');

    await page.goto(`${cell.url}/`);

    expect(revoke.status).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await expect(page.locator('#key').isVisible()).resolves.toBe(true);
  });
});
