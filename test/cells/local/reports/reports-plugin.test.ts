import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type LocalCell, type LocalCellPlugin, startLocalCell } from '../../../../cells/local/local-cell.js';
import { defaultPlugins } from '../../../../cells/local/plugins/default-plugins.js';
import { type ReportsPluginOptions, reportsPlugin } from '../../../../cells/local/reports/reports-plugin.js';
import { ManualClock } from '../../../../consumers/clock.js';
import type { ReportReadyNotification, ReportsAnswer } from '../../../../schemas/api/index.js';
import { CellClient } from '../helpers/cell-client.js';
import { runCellCli, TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from '../helpers/cell-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { capturingLogger, type LogLine } from '../storage/support/hook-data.js';

/**
 * The reports plugin in a real cell (in-process, a manual clock): a cell that ran in October and
 * was down on 1 November stores October's report when it starts again and tells the webhook,
 * which failed twice first; a webhook that never answers 2xx is logged and the cell carries on;
 * `schedule: false` (`--no-monthly-report`) stores nothing; a bad `--report-webhook` stops `npm
 * start` with exit 2.
 */

const OCTOBER_MS = Date.parse('2026-10-20T12:00:00Z');
const NOVEMBER_MS = Date.parse('2026-11-15T08:00:00Z');
const FAST_WEBHOOK = { minDelayMs: 1, maxDelayMs: 5, timeoutMs: 2_000 };

const dirs: string[] = [];
let cell: LocalCell | undefined;
let receiver: WebhookReceiver | undefined;

afterEach(async () => {
  await cell?.close();
  cell = undefined;
  await receiver?.close();
  receiver = undefined;
});

afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function start(
  dataDir: string,
  nowMs: number,
  plugin: ReportsPluginOptions | readonly LocalCellPlugin[],
  lines: LogLine[] = [],
) {
  return startLocalCell({
    dataDir,
    port: 0,
    apiKey: TEST_API_KEY,
    operatorKey: TEST_OPERATOR_KEY,
    processorThread: 'inline',
    clock: new ManualClock(nowMs),
    logger: capturingLogger(lines),
    plugins: Array.isArray(plugin) ? plugin : [reportsPlugin(plugin as ReportsPluginOptions)],
  });
}

/** A data dir whose cell ran in October 2026 (the schedule then noted when it started). */
async function octoberDataDir(): Promise<string> {
  const dataDir = tempDataDir('reports-plugin-');
  dirs.push(dataDir);
  const october = await start(dataDir, OCTOBER_MS, {});
  await october.close();
  return dataDir;
}

const reportFiles = (dataDir: string) =>
  fs.existsSync(path.join(dataDir, 'reports')) ? fs.readdirSync(path.join(dataDir, 'reports')).sort() : [];

describe('reportsPlugin', () => {
  it('catches up the month it missed at start, stores it and tells the webhook, which failed twice first', async () => {
    // Prepare
    const dataDir = await octoberDataDir();
    receiver = await startWebhookReceiver((_n, n) => (n <= 2 ? 500 : 200));
    const lines: LogLine[] = [];

    // Act
    cell = await start(
      dataDir,
      NOVEMBER_MS,
      { webhookUrl: receiver.url, webhookPolicy: FAST_WEBHOOK },
      lines,
    );
    const hook = receiver;
    await waitFor(() => hook.accepted().length === 1 || undefined, {
      what: 'the webhook delivered',
      describe: () => hook.pushes.map((p) => p.status),
    });

    // Assess
    expect(reportFiles(dataDir)).toEqual(['2026-10.csv', '2026-10.html', '2026-10.json']);
    expect(hook.pushes.map((p) => p.status)).toEqual([500, 500, 200]);
    const notification = hook.accepted()[0] as unknown as ReportReadyNotification;
    expect(notification).toMatchObject({
      type: 'monthly-report.ready',
      month: '2026-10',
      cell: 'local',
      links: { csv: `${cell.url}/reports/2026-10?format=csv` },
    });
    const csv = await fetch(notification.links.csv, { headers: { 'x-api-key': TEST_OPERATOR_KEY } });
    expect(await csv.text()).toBe(fs.readFileSync(path.join(dataDir, 'reports', '2026-10.csv'), 'utf8'));
    expect(lines.find((l) => l.msg === 'monthly report stored')?.fields).toMatchObject({
      month: '2026-10',
      reason: 'catch-up',
      invoicesReceived: 0,
    });
  });

  it('logs a webhook that never answers 2xx and keeps serving', async () => {
    // Prepare
    const dataDir = await octoberDataDir();
    receiver = await startWebhookReceiver(() => 503);
    const lines: LogLine[] = [];

    // Act
    cell = await start(
      dataDir,
      NOVEMBER_MS,
      { webhookUrl: receiver.url, webhookPolicy: { ...FAST_WEBHOOK, attempts: 3 } },
      lines,
    );
    await waitFor(() => lines.find((l) => l.msg === 'report webhook failed; not retried'), {
      what: 'the webhook given up',
      describe: () => lines.map((l) => l.msg),
    });
    const client = new CellClient(cell.url);
    const health = await client.get('/health');
    const listed = await client.get<ReportsAnswer>('/reports');

    // Assess
    expect(receiver.pushes).toHaveLength(3);
    expect(health.status).toBe(200);
    expect(listed.body.map((r) => r.month)).toEqual(['2026-10']);
  });

  it('stores nothing on its own with the schedule off, and announces only last month when asked for it', async () => {
    // Prepare
    const dataDir = await octoberDataDir();
    receiver = await startWebhookReceiver(() => 204);
    const lines: LogLine[] = [];

    // Act
    cell = await start(dataDir, NOVEMBER_MS, { schedule: false, webhookUrl: receiver.url }, lines);
    const client = new CellClient(cell.url);
    const before = await client.get<ReportsAnswer>('/reports');
    const current = await client.get('/reports/2026-11');
    const older = await client.get('/reports/2026-09');
    const last = await client.get('/reports/2026-10');
    const hook = receiver;
    await waitFor(() => hook.accepted().length === 1 || undefined, { what: 'the webhook delivered' });

    // Assess
    expect(before.body).toEqual([]);
    expect([current.status, older.status, last.status]).toEqual([200, 200, 200]);
    expect(reportFiles(dataDir).filter((n) => n.endsWith('.json'))).toEqual(['2026-09.json', '2026-10.json']);
    expect(hook.accepted().map((n) => (n as unknown as ReportReadyNotification).month)).toEqual(['2026-10']);
    expect(lines.some((l) => l.msg.startsWith('monthly report schedule off'))).toBe(true);
  });

  it('is turned off by --no-monthly-report in the plugins npm start runs (defaultPlugins)', async () => {
    // Prepare
    const dataDir = await octoberDataDir();

    // Act
    cell = await start(dataDir, NOVEMBER_MS, defaultPlugins({ monthlyReport: false }));
    const current = await new CellClient(cell.url).get('/reports/2026-11?format=csv');

    // Assess
    expect(current.status).toBe(200);
    expect(reportFiles(dataDir)).toEqual([]);
  });

  it('makes npm start refuse a report webhook that is not an http(s) URL, with exit 2', async () => {
    // Act
    const { code, out } = await runCellCli(['--report-webhook', 'ftp://hooks.example.com/r', '--port', '0']);

    // Assess
    expect(code).toBe(2);
    expect(out).toContain('report webhook must be an http(s) URL, got "ftp://hooks.example.com/r"');
  });
});
