import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../cells/local/local-cell.js';
import { DEFAULT_PLUGINS } from '../../../cells/local/plugins/default-plugins.js';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { monthRange, previousMonth } from '../../../consumers/reports/report-month.js';
import { CellClient } from '../../cells/local/helpers/cell-client.js';
import {
  PROJECT_ROOT,
  TEST_API_KEY,
  TEST_OPERATOR_KEY,
  tempDataDir,
} from '../../cells/local/helpers/cell-process.js';
import { launchTestBrowser } from '../../support/browser.js';

/**
 * The dashboard's Reports tab in real headless Chromium against an in-process cell with the
 * default plugins: the empty state of a new cell, then the stored months newest first with links
 * that download exactly the stored files. A screenshot goes to test-output/screenshots/reports.png.
 */

const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-output', 'screenshots');

const zone = CELL_TOPOLOGY.settings.timeZone;

describe('Dashboard Reports tab', () => {
  let cell: LocalCell;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let previous: string;
  let older: string;

  beforeAll(async () => {
    cell = await startLocalCell({
      dataDir: tempDataDir('dashboard-reports-'),
      port: 0,
      apiKey: TEST_API_KEY,
      operatorKey: TEST_OPERATOR_KEY,
      processorThread: 'inline',
      logLevel: 'error',
      plugins: DEFAULT_PLUGINS,
    });
    previous = previousMonth(Date.now(), zone);
    older = previousMonth(monthRange(previous, zone).fromMs, zone);
    browser = await launchTestBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 }, locale: 'en-US' });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await cell?.close();
    if (cell) fs.rmSync(cell.dataDir, { recursive: true, force: true });
  });

  it('says so when the cell has stored no report yet', async () => {
    // Act
    await page.goto(`${cell.url}/#view=reports`);

    // Assess
    await expect
      .poll(() => page.getByTestId('reports-empty').textContent())
      .toMatch(/^No stored reports yet/);
    expect(await page.getByTestId('tab-reports').getAttribute('aria-selected')).toBe('true');
  });

  it('lists stored months newest first, each with HTML, JSON and CSV links to the stored files', async () => {
    // Prepare: two closed months, stored when asked for
    const client = new CellClient(cell.url);
    for (const month of [older, previous]) expect((await client.get(`/reports/${month}`)).status).toBe(200);

    // Act
    await page.getByTestId('tab-executive').click();
    await page.getByTestId('tab-reports').click();
    await page.getByTestId(`report-row-${previous}`).waitFor();
    const rows = await page
      .locator('[data-testid^="report-row-"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    const csvHref = await page.getByTestId(`report-${previous}-csv`).getAttribute('href');
    const downloaded = await page.evaluate(async (href) => (await fetch(href as string)).text(), csvHref);

    // Assess
    expect(rows).toEqual([`report-row-${previous}`, `report-row-${older}`]);
    expect(await page.getByTestId(`report-row-${previous}`).locator('a').allTextContents()).toEqual([
      expect.stringMatching(/^HTML \(\d+(\.\d)? (B|KiB)\)$/),
      expect.stringMatching(/^JSON /),
      expect.stringMatching(/^CSV /),
    ]);
    expect(downloaded).toBe(fs.readFileSync(`${cell.dataDir}/reports/${previous}.csv`, 'utf8'));
    expect(pageErrors).toEqual([]);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'reports.png') });
  });
});
