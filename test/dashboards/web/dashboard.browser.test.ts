import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../cells/local/local-cell.js';
import { DEFAULT_PLUGINS } from '../../../cells/local/plugins/default-plugins.js';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import type { InvoiceEvent } from '../../../schemas/types.js';
import { CellClient, type TimelineBody } from '../../cells/local/helpers/cell-client.js';
import { PROJECT_ROOT } from '../../cells/local/helpers/cell-process.js';
import { deadLetterCellOptions } from '../../cells/local/helpers/dead-letter-cell.js';
import { waitFor } from '../../cells/local/helpers/wait-for.js';
import { launchTestBrowser } from '../../support/browser.js';

/**
 * The web dashboard in real headless Chromium against an in-process local cell with the default
 * plugins (monitoring routes + dashboard): figures on screen match the store, the stalled invoice
 * is in the stuck table, the poison event's DLQ alarm fires, an invoice search shows its timeline.
 * Screenshots of each view go to test-output/screenshots/<view>.png.
 */

const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-output', 'screenshots');
const topology = CELL_TOPOLOGY;
const stages = topology.stages;
const first = stages[0] as StageTopology;
const samples = new SampleEvents(topology);

/** Invoices that went through every stage, a stalled one, a poison one, one in another currency. */
const FLOWING = ['INV-WEB-1', 'INV-WEB-2', 'INV-WEB-3'];
const STALLED = 'INV-WEB-STALLED';
const POISON = 'INV-WEB-POISON';
const OTHER_CURRENCY = 'INV-WEB-EUR';
/** Reads and fault injection need an operator key; the producer key only posts events. */
const OPERATOR_KEY = 'dashboard-web-operator-key';
/** The DLQ rule evaluates once a minute (cells/alarm-rules.ts): allow two periods. */
const ALARM_TIMEOUT_MS = 130_000;

describe('Dashboard web UI', () => {
  let dataDir: string;
  let cell: LocalCell;
  let client: CellClient;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let storedEvents = 0;

  beforeAll(async () => {
    const options = deadLetterCellOptions('dashboard-web-', DEFAULT_PLUGINS);
    dataDir = options.dataDir;
    cell = await startLocalCell({
      ...options,
      operatorKey: OPERATOR_KEY,
      processorThread: 'inline',
      logLevel: 'error',
    });
    client = new CellClient(cell.url, OPERATOR_KEY);
    const producer = new CellClient(cell.url);

    const nowMs = Date.now();
    const send = async (stage: StageTopology, events: InvoiceEvent[]) => {
      const res = await producer.post(stage.routePath, { events });
      if (res.status !== 200) throw new Error(`POST ${stage.routePath} answered ${res.status}: ${res.text}`);
    };
    // Poison: the store refuses this event, so it is retried maxReceiveCount times and dead-lettered.
    const poison = samples.event(first, { invoiceId: POISON, occurredAtMs: nowMs - 60_000 });
    await client.post('/admin/faults', { failEventIds: [poison.eventId] });
    await send(first, [poison]);
    // Flowing invoices reach every stage, a minute apart.
    for (const stage of stages) {
      await send(
        stage,
        FLOWING.map((invoiceId, i) =>
          samples.event(stage, {
            invoiceId,
            occurredAtMs: nowMs - (stages.length - stage.order) * 60_000,
            amountValue: `${100 * (i + 1)}.25`,
          }),
        ),
      );
    }
    // Stalled: entered the first stage two hours ago (past its SLA) and never went further.
    const stalled = samples.event(first, { invoiceId: STALLED, occurredAtMs: nowMs - 2 * 3_600_000 });
    const euro = samples.event(first, { invoiceId: OTHER_CURRENCY, occurredAtMs: nowMs - 30_000 });
    await send(first, [stalled, { ...euro, amount: { value: '99.50', currency: 'EUR' } } as InvoiceEvent]);
    storedEvents = FLOWING.length * stages.length + 2;

    await waitFor(
      async () => {
        const s = await client.stats();
        return (s.totals.stored === storedEvents && s.totals.inDlq === 1) || undefined;
      },
      { what: 'events stored and the poison event dead-lettered', describe: () => client.stats() },
    );

    browser = await launchTestBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: 'en-US' });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.goto(`${cell.url}/`);
    // 24 h: the stalled invoice (2 h old) is in the window too.
    await page.getByTestId('range').selectOption('24h');
  }, 90_000);

  // Closing this cell (after its DLQ alarm fired) has taken 44 s and more on a loaded 2-core
  // machine (browser.close: ~0.15 s); which drain step is slow is not pinned down yet (in the
  // session note), so the hook gets more than vitest's default 60 s.
  afterAll(async () => {
    await browser?.close();
    await cell?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }, 150_000);

  const statValue = (testId: string) =>
    page.getByTestId(testId).getByTestId('stat-value').getAttribute('data-value');

  describe('assets', () => {
    it('serves the page and its assets with their content types, and nothing outside the allow-list', async () => {
      // Act
      const answers = await Promise.all(
        ['/', '/assets/app.js', '/assets/app.css', '/assets/chart.umd.js'].map((p) =>
          fetch(`${cell.url}${p}`),
        ),
      );
      const outside = await Promise.all(
        ['/assets/..%2Fapp.ts', '/assets/%2e%2e%2f%2e%2e%2fpackage.json', '/assets/index.html'].map((p) =>
          fetch(`${cell.url}${p}`),
        ),
      );

      // Assess
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(answers.map((r) => r.headers.get('content-type')?.split(';')[0])).toEqual([
        'text/html',
        'text/javascript',
        'text/css',
        'text/javascript',
      ]);
      expect(outside.map((r) => r.status)).toEqual([404, 404, 404]);
    });
  });

  describe('executive view', () => {
    it('shows the stored-record total and invoices per stage that match the store', async () => {
      // Prepare
      const stats = await client.stats();

      // Act
      await page.getByTestId('tab-executive').click();
      await page.waitForFunction(
        (expected) =>
          document
            .querySelector('[data-testid="summary-stored"] [data-testid="stat-value"]')
            ?.getAttribute('data-value') === expected,
        String(stats.totals.stored),
        { timeout: 15_000 },
      );
      const byStage = page.getByTestId('panel-exec-invoices-by-stage');
      // Distinct invoices per stage: every stage has the flowing ones, the first also the stalled and EUR ones.
      const expectedInvoices = FLOWING.length * stages.length + 2;
      await page.waitForFunction(
        (expected) =>
          document
            .querySelector('[data-testid="panel-exec-invoices-by-stage"]')
            ?.getAttribute('data-total') === expected,
        String(expectedInvoices),
        { timeout: 15_000 },
      );
      await page.screenshot({ path: path.join(SCREENSHOTS, 'executive.png'), fullPage: true });

      // Assess
      expect(await statValue('summary-stored')).toBe(String(storedEvents));
      expect(await statValue('summary-in-dlq')).toBe('1');
      expect(await byStage.locator('canvas').count()).toBe(1);
      expect(await page.getByTestId('panel-exec-value-by-stage').textContent()).toContain('EUR');
      expect(await page.getByTestId('updated-at').textContent()).toMatch(/Updated/);
    });
  });

  describe('operations view', () => {
    it(
      'lists the stalled invoice as stuck, balances reconciliation and fires the DLQ alarm',
      async () => {
        // Act
        await page.getByTestId('tab-operations').click();
        const stuckRow = page.getByTestId(`stuck-row-${STALLED}`);
        await stuckRow.waitFor({ timeout: 15_000 });
        const alarm = page.locator(`[data-testid="alarm-${first.name}-dlq-not-empty"][data-state="ALARM"]`);
        await alarm.waitFor({ timeout: ALARM_TIMEOUT_MS });
        await page.screenshot({ path: path.join(SCREENSHOTS, 'operations.png'), fullPage: true });

        // Assess
        const stuckText = await stuckRow.textContent();
        expect(stuckText).toContain(first.name);
        expect(stuckText).toMatch(/\d+ h/);
        expect(await page.getByTestId(`stuck-row-${FLOWING[0]}`).count()).toBe(0);
        expect(await page.getByTestId('reconcile-balanced').getAttribute('data-balanced')).toBe('true');
        const firstStageRow = await page.getByTestId(`reconcile-row-${first.name}`).textContent();
        // accepted = stored + in DLQ: the flowing, stalled and EUR invoices plus the poison event.
        expect(firstStageRow).toContain(String(FLOWING.length + 3));
      },
      ALARM_TIMEOUT_MS + 30_000,
    );
  });

  describe('finance view', () => {
    it('shows amounts per currency without adding currencies together', async () => {
      // Act
      await page.getByTestId('tab-finance').click();
      const byCurrency = page.getByTestId('panel-fin-amount-by-currency');
      await byCurrency.locator('[data-testid="cell-value"]').nth(1).waitFor({ timeout: 15_000 });
      await page.getByTestId('panel-fin-average-payment-terms').getByTestId('stat-value').waitFor();
      await page.screenshot({ path: path.join(SCREENSHOTS, 'finance.png'), fullPage: true });

      // Assess: first-stage amounts of the USD invoices (100.25 + 200.25 + 300.25 + 2 × the example's).
      const values = await byCurrency.getByTestId('cell-value').allTextContents();
      // Formatted per currency in en-US: the code, a no-break space, grouped digits, its decimals.
      expect(values).toContain('EUR\u00a099.50');
      expect(values.some((v) => /^USD\u00a0[0-9,]+\.[0-9]{2}$/.test(v))).toBe(true);
      expect(values).toHaveLength(2);
    });
  });

  describe('invoice search', () => {
    it('shows the timeline of a stored invoice, one row per stored event', async () => {
      // Prepare
      const invoiceId = FLOWING[0] as string;
      const stored = await client.get<TimelineBody>(`/invoices/${invoiceId}`);

      // Act
      await page.getByTestId('invoice-search').fill(invoiceId);
      await page.getByTestId('invoice-search').press('Enter');
      await page.getByTestId('timeline-row').first().waitFor({ timeout: 10_000 });

      // Assess
      expect(await page.getByTestId('timeline-row').count()).toBe(stored.body.count);
      expect(await page.getByTestId('invoice-result').textContent()).toContain(invoiceId);
    });

    it('says so when the invoice has no stored events', async () => {
      // Act
      await page.getByTestId('invoice-search').fill('INV-DOES-NOT-EXIST');
      await page.getByTestId('invoice-search').press('Enter');
      const message = page.getByTestId('invoice-not-found');
      await message.waitFor({ timeout: 10_000 });

      // Assess
      expect(await message.textContent()).toContain('INV-DOES-NOT-EXIST');
      expect(pageErrors.filter((e) => !e.includes('404'))).toEqual([]);
    });
  });
});
