import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../cells/local/local-cell.js';
import { DEFAULT_PLUGINS } from '../../../cells/local/plugins/default-plugins.js';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import type { InvoiceEvent } from '../../../schemas/types.js';
import { CellClient } from '../../cells/local/helpers/cell-client.js';
import { PROJECT_ROOT } from '../../cells/local/helpers/cell-process.js';
import { deadLetterCellOptions } from '../../cells/local/helpers/dead-letter-cell.js';
import { waitFor } from '../../cells/local/helpers/wait-for.js';
import { launchTestBrowser } from '../../support/browser.js';

/**
 * The dashboards as a finance person reads them, in real headless Chromium (locale en-US) against
 * an in-process local cell: money formatted per currency (code, thousands separators, the
 * currency's decimals: JPY 0, KWD 3), one chart per currency (every chart's datasets share the
 * currency its box names), vendor names beside ids (the newest name by record time), every chart
 * axis titled, time bins that suit the range, and empty panels that say why. Screenshots go to
 * test-output/screenshots/money-<view>.png.
 */

const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-output', 'screenshots');

const stages = CELL_TOPOLOGY.stages;
const first = stages[0] as StageTopology;
const last = stages[stages.length - 1] as StageTopology;
const samples = new SampleEvents(CELL_TOPOLOGY);
/** Reads /stats (a producer key only posts events). */
const OPERATOR_KEY = 'dashboard-money-operator-key';
/** Intl puts a no-break space between the currency code and the amount. */
const NBSP = '\u00a0';

interface ChartInfo {
  currency: string | null;
  datasetCurrencies: (string | null)[];
  xTitle: string | null;
  yTitle: string | null;
}

/** Every chart of a panel, read from chart.js itself (`Chart.getChart(canvas).config`). */
function chartsOf(page: Page, panelId: string): Promise<ChartInfo[]> {
  return page.evaluate((id) => {
    type Cfg = {
      data: { datasets: { currency?: string }[] };
      options: { scales?: Record<string, { title?: { text?: string } }> };
    };
    const chartApi = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): Cfg | undefined } })
      .Chart;
    const figures = Array.from(
      document.querySelectorAll(`[data-testid="panel-${id}"] [data-testid="chart"]`),
    );
    return figures.map((figure) => {
      const chart = chartApi.getChart(figure.querySelector('canvas') as HTMLCanvasElement);
      return {
        currency: figure.getAttribute('data-currency'),
        datasetCurrencies: chart?.data.datasets.map((d) => d.currency ?? null) ?? [],
        xTitle: chart?.options.scales?.x?.title?.text ?? null,
        yTitle: chart?.options.scales?.y?.title?.text ?? null,
      };
    });
  }, panelId);
}

describe('Dashboard money, vendors, axes and empty panels', () => {
  let dataDir: string;
  let cell: LocalCell;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const options = deadLetterCellOptions('dashboard-money-', DEFAULT_PLUGINS);
    dataDir = options.dataDir;
    cell = await startLocalCell({
      ...options,
      operatorKey: OPERATOR_KEY,
      processorThread: 'inline',
      logLevel: 'error',
    });
    const client = new CellClient(cell.url);
    const reader = new CellClient(cell.url, OPERATOR_KEY);
    const nowMs = Date.now();
    const event = (
      invoiceId: string,
      value: string,
      currency: string,
      vendor: [string, string],
      agoMs: number,
    ) => ({
      ...samples.event(first, { invoiceId, occurredAtMs: nowMs - agoMs }),
      amount: { value, currency },
      vendor: { id: vendor[0], name: vendor[1] },
    });
    const batches: InvoiceEvent[][] = [
      [
        event('INV-JPY', '2000000', 'JPY', ['V-JP', 'Tokyo Trading K.K.'], 120_000),
        event('INV-KWD', '1234.567', 'KWD', ['V-KW', 'Gulf Supplies W.L.L.'], 110_000),
        event('INV-USD-1', '1253554.76', 'USD', ['V-1001', 'Acme Office Supplies Inc.'], 60_000),
      ] as InvoiceEvent[],
      // Sent later but older by record time: its old name must not replace the newer one.
      [event('INV-USD-2', '0.24', 'USD', ['V-1001', 'Acme (old name)'], 600_000)] as InvoiceEvent[],
    ];
    for (const events of batches) {
      const res = await client.post(first.routePath, { events });
      if (res.status !== 200) throw new Error(`POST ${first.routePath} answered ${res.status}: ${res.text}`);
    }
    await waitFor(async () => (await reader.stats()).totals.stored === 4 || undefined, {
      what: 'the four events stored',
      describe: () => reader.stats(),
    });

    browser = await launchTestBrowser();
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1366, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${cell.url}/#view=finance`);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await cell?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('formats each currency with its code, thousands separators and its own decimals', async () => {
    // Act
    const byCurrency = page.getByTestId('panel-fin-amount-by-currency');
    await byCurrency.getByTestId('cell-value').nth(2).waitFor({ timeout: 15_000 });
    const values = await byCurrency.getByTestId('cell-value').allTextContents();
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'money-finance.png'), fullPage: true });

    // Assess
    expect(values).toEqual([`JPY${NBSP}2,000,000`, `KWD${NBSP}1,234.567`, `USD${NBSP}1,253,555.00`]);
  });

  it('shows vendor names beside their ids, the newest name by record time', async () => {
    // Act
    const byVendor = page.getByTestId('panel-fin-amount-by-vendor');
    await byVendor.getByTestId('vendor-name').nth(2).waitFor({ timeout: 15_000 });
    const rows = await byVendor.locator('tbody tr').allTextContents();

    // Assess
    expect(rows).toContain(`Acme Office Supplies Inc. V-1001USD${NBSP}1,253,555.00`);
    expect(rows).toContain(`Tokyo Trading K.K. V-JPJPY${NBSP}2,000,000`);
    expect(rows).toContain(`Gulf Supplies W.L.L. V-KWKWD${NBSP}1,234.567`);
    expect(rows.join('\n')).not.toContain('old name');
  });

  it('draws one chart per currency, every dataset in the currency of its chart, axes titled', async () => {
    // Act
    await page.getByTestId('tab-executive').click();
    const trend = page.getByTestId('panel-exec-intake-value-trend');
    await trend.locator('[data-testid="chart"][data-currency="USD"] canvas').waitFor({ timeout: 15_000 });
    const charts = await chartsOf(page, 'exec-intake-value-trend');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'money-executive.png'), fullPage: true });

    // Assess: the 1 d bin of the panel gives one point over 1 h, so the cell drew 5 min bins.
    expect(charts.map((c) => c.currency)).toEqual(['JPY', 'KWD', 'USD']);
    for (const chart of charts) {
      expect(chart.datasetCurrencies.length).toBeGreaterThan(0);
      expect(new Set(chart.datasetCurrencies)).toEqual(new Set([chart.currency]));
      expect(chart.yTitle).toBe(`${chart.currency} per 5 minutes`);
      expect(chart.xTitle).toBe('time (5 min bins)');
    }
    expect(await trend.getByTestId('unit').getAttribute('data-time-bin')).toBe('5m');
  });

  it('titles both axes of every chart of the executive view', async () => {
    // Prepare
    await page.getByTestId('panel-exec-invoices-by-stage').locator('canvas').waitFor({ timeout: 15_000 });
    const ids = await page
      .locator('section.panel[data-chart="bar"], section.panel[data-chart="line"]')
      .evaluateAll((sections) =>
        sections.map((s) => (s.getAttribute('data-testid') ?? '').replace('panel-', '')),
      );

    // Act
    const charts = (await Promise.all(ids.map((id) => chartsOf(page, id)))).flat();

    // Assess
    expect(charts.length).toBeGreaterThanOrEqual(3);
    for (const chart of charts) {
      expect(chart.xTitle).toMatch(/\S/);
      expect(chart.yTitle).toMatch(/\S/);
    }
    const events = await chartsOf(page, 'exec-events-trend');
    expect(events[0]?.yTitle).toBe('events per 5 minutes');
  });

  it('says why a panel is empty', async () => {
    // Act
    await page.getByTestId('tab-finance').click();
    const completed = page.getByTestId('panel-fin-completed-value-trend').getByTestId('empty-reason');
    await completed.waitFor({ timeout: 15_000 });
    await page.getByTestId('stage-filter').selectOption(last.name);
    const filtered = page.getByTestId('panel-fin-amount-by-currency').getByTestId('empty-reason');
    await filtered.waitFor({ timeout: 15_000 });

    // Assess
    expect(await completed.textContent()).toBe(`No invoices reached ${last.title} in the last 1 h.`);
    expect(await filtered.textContent()).toBe(
      `This panel reads ${first.title} only; the stage filter is ${last.title}.`,
    );
    expect(pageErrors).toEqual([]);
  });
});
