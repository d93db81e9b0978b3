import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../../cells/local/local-cell.js';
import { reportsPlugin } from '../../../../cells/local/reports/reports-plugin.js';
import { SampleEvents } from '../../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';
import type { MonthlyReport } from '../../../../consumers/reports/monthly-report.js';
import { REPORT_CONTENT_TYPES } from '../../../../consumers/reports/render-report.js';
import { monthOf, previousMonth } from '../../../../consumers/reports/report-month.js';
import { REPORT_STORED_HEADER, type ReportsAnswer } from '../../../../schemas/api/index.js';
import { CellClient } from '../helpers/cell-client.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from '../helpers/cell-process.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * `GET /reports` and `GET /reports/{month}` on a real cell (in-process, its own database) holding
 * a few invoices received now: the month so far is generated and not stored, a closed month is
 * stored on demand and then listed, each format has its content type, bad input is refused
 * naming what is wrong and changes nothing.
 */

const topology = CELL_TOPOLOGY;
const first = topology.stages[0] as StageTopology;
const samples = new SampleEvents(topology);
const zone = topology.settings.timeZone;
const INVOICES = ['INV-REPORT-ROUTES-1', 'INV-REPORT-ROUTES-2', 'INV-REPORT-ROUTES-3'];

let cell: LocalCell;
let client: CellClient;
let current: string;
let previous: string;

beforeAll(async () => {
  cell = await startLocalCell({
    dataDir: tempDataDir('report-routes-'),
    port: 0,
    apiKey: TEST_API_KEY,
    operatorKey: TEST_OPERATOR_KEY,
    processorThread: 'inline',
    logLevel: 'silent',
    // The schedule's own tests cover it; here only the routes store reports.
    plugins: [reportsPlugin({ schedule: false })],
  });
  client = new CellClient(cell.url);
  const nowMs = Date.now();
  current = monthOf(nowMs, zone);
  previous = previousMonth(nowMs, zone);
  const events = INVOICES.map((invoiceId) =>
    samples.event(first, { invoiceId, occurredAtMs: nowMs - 1_000 }),
  );
  expect((await client.post(first.routePath, { events })).status).toBe(200);
  await waitFor(async () => (await client.stats()).totals.stored === INVOICES.length || undefined, {
    what: 'the invoices stored',
    describe: () => client.stats(),
  });
});

afterAll(async () => {
  await cell?.close();
  if (cell) fs.rmSync(cell.dataDir, { recursive: true, force: true });
});

describe('GET /reports/{month}', () => {
  it('generates the month so far as JSON by default, with its figures, and does not store it', async () => {
    // Act
    const res = await client.get<MonthlyReport>(`/reports/${current}`);

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(REPORT_CONTENT_TYPES.json);
    expect(res.headers.get(REPORT_STORED_HEADER)).toBe('false');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ month: current, timeZone: zone, monthComplete: false });
    expect(res.body.currencies.reduce((n, c) => n + c.received.invoices, 0)).toBe(INVOICES.length);
    expect(fs.existsSync(path.join(cell.dataDir, 'reports', `${current}.json`))).toBe(false);
  });

  it('answers each format with its content type: CSV as an attachment, HTML under a script-free policy', async () => {
    // Act
    const csv = await client.get(`/reports/${current}?format=csv`);
    const html = await client.get(`/reports/${current}?format=html`);

    // Assess
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe(REPORT_CONTENT_TYPES.csv);
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="report-local-${current}.csv"`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe(REPORT_CONTENT_TYPES.html);
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(html.text).toContain(current);
  });

  it('stores a closed month when asked for it, then answers the stored file', async () => {
    // Act
    const first = await client.get(`/reports/${previous}?format=html`);
    const again = await client.get<MonthlyReport>(`/reports/${previous}`);
    const stored = fs.readFileSync(path.join(cell.dataDir, 'reports', `${previous}.json`), 'utf8');

    // Assess
    expect([first.status, again.status]).toEqual([200, 200]);
    expect([first.headers.get(REPORT_STORED_HEADER), again.headers.get(REPORT_STORED_HEADER)]).toEqual([
      'true',
      'true',
    ]);
    expect(again.text).toBe(stored);
    expect(again.body).toMatchObject({ month: previous, monthComplete: true });
  });

  it('refuses a bad month or format with 400 naming it, and a month not started yet with 404', async () => {
    // Act
    const badMonth = await client.get<{ message: string }>('/reports/2026-13');
    const badFormat = await client.get<{ message: string }>(`/reports/${current}?format=pdf`);
    const twoFormats = await client.get(`/reports/${current}?format=csv&format=html`);
    const future = await client.get<{ message: string }>('/reports/9999-12');

    // Assess
    expect([badMonth.status, badFormat.status, twoFormats.status, future.status]).toEqual([
      400, 400, 400, 404,
    ]);
    expect(badMonth.body.message).toBe('month must be YYYY-MM like 2026-10, got "2026-13"');
    expect(badFormat.body.message).toBe('format must be one of html, json, csv, got "pdf"');
    expect(future.body.message).toMatch(/^month 9999-12 starts at 9999-12-01T00:00:00\.000Z .*after now/);
    expect(fs.existsSync(path.join(cell.dataDir, 'reports', '9999-12.json'))).toBe(false);
  });
});

describe('GET /reports', () => {
  it('lists the stored months, newest first, with their formats and sizes', async () => {
    // Prepare: an older closed month stored too
    const [year, month] = previous.split('-').map(Number) as [number, number];
    const older = month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
    expect((await client.get(`/reports/${older}?format=csv`)).status).toBe(200);
    await client.get(`/reports/${previous}`);

    // Act
    const res = await client.get<ReportsAnswer>('/reports');

    // Assess
    expect(res.status).toBe(200);
    expect(res.body.map((r) => r.month)).toEqual([previous, older]);
    const size = fs.statSync(path.join(cell.dataDir, 'reports', `${older}.csv`)).size;
    expect(res.body[1]).toMatchObject({ formats: ['html', 'json', 'csv'], bytes: { csv: size } });
  });
});
