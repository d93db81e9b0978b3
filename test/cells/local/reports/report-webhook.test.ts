import { afterEach, describe, expect, it } from 'vitest';
import {
  assertReportWebhookUrl,
  DEFAULT_REPORT_WEBHOOK_POLICY,
  ReportWebhook,
  reportReadyNotification,
  webhookBackoffMs,
} from '../../../../cells/local/reports/report-webhook.js';
import { buildMonthlyReport, type MonthlyReport } from '../../../../consumers/reports/monthly-report.js';
import type { ReportReadyNotification } from '../../../../schemas/api/reports.js';
import { ReportReadyNotificationSchema } from '../../../../schemas/api/reports.js';
import { closedSchemaProblems } from '../../../schemas/api/helpers/answer-check.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { capturingLogger, type LogLine } from '../storage/support/hook-data.js';

/**
 * The report webhook against a real HTTP receiver in the test process: the body (links and
 * per-currency totals only), retries with backoff until a 2xx, a final answer not retried, and a
 * receiver that never recovers: logged, never thrown.
 */

const FAST = { minDelayMs: 1, maxDelayMs: 5, timeoutMs: 2_000 };
const fromMs = Date.parse('2026-10-01T00:00:00Z');
const toMs = Date.parse('2026-11-01T00:00:00Z');

const report: MonthlyReport = buildMonthlyReport(
  {
    stages: ['ingestion', 'posting'],
    received: [
      { vendorId: 'V-1', currency: 'EUR', invoices: 2, minor: 123_450n },
      { vendorId: 'V-2', currency: 'JPY', invoices: 1, minor: 2_000_000n },
    ],
    vendorNames: new Map([['V-1', 'Acme']]),
    posted: [{ currency: 'EUR', status: 'POSTED', invoices: 1, minor: 100_000n }],
    paymentTerms: [{ currency: 'EUR', paymentTermsDays: 30, invoices: 2 }],
    open: [{ currency: 'JPY', status: 'RECEIVED', invoices: 1, minor: 2_000_000n }],
    stuck: [],
    notes: [],
  },
  {
    month: '2026-10',
    timeZone: 'UTC',
    cell: 'local',
    fromMs,
    toMs,
    asOfMs: toMs,
    generatedAtMs: toMs + 300_000,
  },
);

let receiver: WebhookReceiver | undefined;

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function received(r: WebhookReceiver): ReportReadyNotification[] {
  return r.pushes.map((p) => p.notification as unknown as ReportReadyNotification);
}

describe('reportReadyNotification', () => {
  it('carries the links on the cell and the per-currency totals, nothing else of the report', () => {
    // Act
    const body = reportReadyNotification(report, 'http://127.0.0.1:8787/');

    // Assess
    expect(closedSchemaProblems(ReportReadyNotificationSchema, body)).toEqual([]);
    expect(body).toEqual({
      type: 'monthly-report.ready',
      month: '2026-10',
      cell: 'local',
      generatedAt: '2026-11-01T00:05:00.000Z',
      links: {
        html: 'http://127.0.0.1:8787/reports/2026-10?format=html',
        json: 'http://127.0.0.1:8787/reports/2026-10?format=json',
        csv: 'http://127.0.0.1:8787/reports/2026-10?format=csv',
      },
      summary: {
        currencies: [
          {
            currency: 'EUR',
            received: { invoices: 2, value: { value: '1234.50', minor: '123450' } },
            posted: { invoices: 1, value: { value: '1000.00', minor: '100000' } },
            open: { invoices: 0, value: { value: '0.00', minor: '0' } },
          },
          {
            currency: 'JPY',
            received: { invoices: 1, value: { value: '2000000', minor: '2000000' } },
            posted: { invoices: 0, value: { value: '0', minor: '0' } },
            open: { invoices: 1, value: { value: '2000000', minor: '2000000' } },
          },
        ],
      },
    });
  });
});

describe('ReportWebhook', () => {
  it('retries a failing receiver with backoff until it answers 2xx', async () => {
    // Prepare
    receiver = await startWebhookReceiver((_n, n) => (n <= 2 ? 503 : 204));
    const lines: LogLine[] = [];
    const webhook = new ReportWebhook({ url: receiver.url, logger: capturingLogger(lines), policy: FAST });

    // Act
    const delivered = await webhook.notify(report, 'http://127.0.0.1:8787');

    // Assess
    expect(delivered).toBe(true);
    expect(receiver.pushes.map((p) => p.status)).toEqual([503, 503, 204]);
    expect(received(receiver).map((n) => n.month)).toEqual(['2026-10', '2026-10', '2026-10']);
    expect(receiver.pushes[0]?.headers['content-type']).toBe('application/json');
    expect(lines.map((l) => `${l.level} ${l.msg}`)).toEqual([
      'warn report webhook attempt failed; retrying',
      'warn report webhook attempt failed; retrying',
      'info report webhook delivered',
    ]);
  });

  it('gives up after the last attempt on a receiver that always fails, logging it and never throwing', async () => {
    // Prepare
    receiver = await startWebhookReceiver(() => 500);
    const lines: LogLine[] = [];
    const webhook = new ReportWebhook({
      url: receiver.url,
      logger: capturingLogger(lines),
      policy: { ...FAST, attempts: 3 },
    });

    // Act
    const delivered = await webhook.notify(report, 'http://127.0.0.1:8787');

    // Assess
    expect(delivered).toBe(false);
    expect(receiver.pushes).toHaveLength(3);
    expect(lines.at(-1)).toMatchObject({
      level: 'error',
      msg: 'report webhook failed; not retried',
      fields: { month: '2026-10', attempt: 3, status: 500 },
    });
  });

  it('does not retry an answer that will not change (a 4xx other than 408 and 429)', async () => {
    // Prepare
    receiver = await startWebhookReceiver(() => 404);
    const lines: LogLine[] = [];
    const webhook = new ReportWebhook({ url: receiver.url, logger: capturingLogger(lines), policy: FAST });

    // Act
    const delivered = await webhook.notify(report, 'http://127.0.0.1:8787');

    // Assess
    expect(delivered).toBe(false);
    expect(receiver.pushes).toHaveLength(1);
    expect(lines.map((l) => l.level)).toEqual(['error']);
  });

  it('retries a receiver that does not answer in time, and stop() abandons what is pending', async () => {
    // Prepare
    receiver = await startWebhookReceiver(() => 'hang');
    const lines: LogLine[] = [];
    const webhook = new ReportWebhook({
      url: receiver.url,
      logger: capturingLogger(lines),
      policy: { attempts: 5, minDelayMs: 60_000, maxDelayMs: 60_000, timeoutMs: 50 },
      random: () => 0.5,
    });

    // Act: the first attempt times out, the retry waits a minute, stop() ends the wait
    const delivery = webhook.notify(report, 'http://127.0.0.1:8787');
    while (!lines.some((l) => l.msg.includes('retrying'))) await new Promise((r) => setTimeout(r, 5));
    await webhook.stop();

    // Assess
    expect(await delivery).toBe(false);
    expect(receiver.pushes).toHaveLength(1);
    expect(lines.map((l) => l.msg)).toEqual([
      'report webhook attempt failed; retrying',
      'report webhook abandoned: the cell is stopping',
    ]);
  });
});

describe('webhookBackoffMs', () => {
  it('draws from [0, min(max, min × 2^(n−1))]: full jitter, capped', () => {
    const policy = DEFAULT_REPORT_WEBHOOK_POLICY;

    expect([1, 2, 3, 10].map((n) => webhookBackoffMs(policy, n, () => 0.999_999))).toEqual([
      1_999, 3_999, 7_999, 59_999,
    ]);
    expect(webhookBackoffMs(policy, 4, () => 0)).toBe(0);
  });
});

describe('assertReportWebhookUrl', () => {
  it('accepts http(s) URLs and names the bad value otherwise', () => {
    expect(() => assertReportWebhookUrl('https://hooks.example.com/reports')).not.toThrow();
    expect(() => assertReportWebhookUrl('hooks.example.com')).toThrow(
      'report webhook must be an absolute http(s) URL, got "hooks.example.com"',
    );
    expect(() => assertReportWebhookUrl('ftp://hooks.example.com/r')).toThrow(
      'report webhook must be an http(s) URL, got "ftp://hooks.example.com/r"',
    );
  });
});
