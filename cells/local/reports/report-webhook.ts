import { setTimeout as delay } from 'node:timers/promises';
import { fullJitterMs } from '../../../consumers/full-jitter.js';
import type { MonthlyReport } from '../../../consumers/reports/monthly-report.js';
import { REPORT_FORMAT_NAMES, type ReportReadyNotification } from '../../../schemas/api/reports.js';
import { httpUrlProblem } from '../../http-url.js';
import type { Logger } from '../logger.js';

/**
 * The optional report webhook (`--report-webhook <url>`): when the schedule has stored a month's
 * report, the cell POSTs a {@link ReportReadyNotification} (JSON) to the URL — where to fetch the
 * report and its per-currency totals, never more of its figures. Failures are logged and retried
 * ({@link DEFAULT_REPORT_WEBHOOK_POLICY}); a webhook never throws into the cell.
 *
 * @example
 * const webhook = new ReportWebhook({ url: 'https://hooks.example.com/reports', cellName: 'local', logger });
 * webhook.notify(report, 'http://127.0.0.1:8787'); // resolves once delivered or given up
 * await webhook.stop();
 */

/** How report webhooks are retried. */
export interface ReportWebhookPolicy {
  /** POSTs in all: the first attempt plus the retries. */
  readonly attempts: number;
  /** Backoff before retry n is a random delay in [0, min(maxDelayMs, minDelayMs × 2^(n−1))]. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** A POST without an answer by then is a failed attempt (and is aborted). */
  readonly timeoutMs: number;
}

/**
 * 5 attempts, exponential backoff with full jitter between them
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/) from up to 2 s to up
 * to 60 s, 10 s per attempt: a receiver that is down for about a minute still gets the
 * notification. Retried: no answer, a timeout, 408, 429 and 5xx; any other answer is final.
 */
export const DEFAULT_REPORT_WEBHOOK_POLICY: ReportWebhookPolicy = {
  attempts: 5,
  minDelayMs: 2_000,
  maxDelayMs: 60_000,
  timeoutMs: 10_000,
};

/** A `--report-webhook` that is not an absolute http(s) URL. */
export class ReportWebhookUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportWebhookUrlError';
  }
}

/** Throws {@link ReportWebhookUrlError} unless `url` is an absolute http(s) URL. */
export function assertReportWebhookUrl(url: string): void {
  const problem = httpUrlProblem(url, 'report webhook');
  if (problem !== undefined) throw new ReportWebhookUrlError(problem);
}

/** The webhook body of a stored report: links on the cell at `origin`, per-currency totals. Pure. */
export function reportReadyNotification(report: MonthlyReport, origin: string): ReportReadyNotification {
  const base = origin.replace(/\/$/, '');
  const link = (format: string) => `${base}/reports/${report.month}?format=${format}`;
  const links = Object.fromEntries(REPORT_FORMAT_NAMES.map((f) => [f, link(f)]));
  return {
    type: 'monthly-report.ready',
    month: report.month,
    cell: report.cell,
    generatedAt: report.generatedAt,
    links: links as ReportReadyNotification['links'],
    summary: {
      currencies: report.currencies.map((c) => ({
        currency: c.currency,
        received: { invoices: c.received.invoices, value: c.received.value },
        posted: { invoices: c.posted.invoices, value: c.posted.value },
        open: { invoices: c.open.invoices, value: c.open.value },
      })),
    },
  };
}

/** Full-jitter exponential backoff before retry `retry` (1-based). */
export function webhookBackoffMs(
  policy: ReportWebhookPolicy,
  retry: number,
  random: () => number = Math.random,
): number {
  return fullJitterMs({ baseMs: policy.minDelayMs, capMs: policy.maxDelayMs }, retry, random);
}

/** Whether an answer with `status` is worth another attempt. */
function isRetryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export interface ReportWebhookOptions {
  readonly url: string;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly policy?: Partial<ReportWebhookPolicy>;
  /** The global `fetch` unless a test injects one. */
  readonly fetch?: typeof fetch;
  /** The jitter's source, `Math.random` unless a test injects one. */
  readonly random?: () => number;
}

export class ReportWebhook {
  readonly #url: string;
  readonly #logger: ReportWebhookOptions['logger'];
  readonly #policy: ReportWebhookPolicy;
  readonly #fetch: typeof fetch;
  readonly #random: () => number;
  readonly #stop = new AbortController();
  readonly #deliveries = new Set<Promise<boolean>>();

  constructor(options: ReportWebhookOptions) {
    assertReportWebhookUrl(options.url);
    this.#url = options.url;
    this.#logger = options.logger;
    this.#policy = { ...DEFAULT_REPORT_WEBHOOK_POLICY, ...options.policy };
    this.#fetch = options.fetch ?? fetch;
    this.#random = options.random ?? Math.random;
  }

  /** POSTs the notification of `report`, retrying per the policy; resolves to whether it was delivered. */
  notify(report: MonthlyReport, origin: string): Promise<boolean> {
    const delivery = this.#deliver(reportReadyNotification(report, origin));
    this.#deliveries.add(delivery);
    void delivery.finally(() => this.#deliveries.delete(delivery));
    return delivery;
  }

  /** Aborts deliveries in progress (a retry waiting, a POST in flight) and waits for them. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#deliveries);
  }

  async #deliver(body: ReportReadyNotification): Promise<boolean> {
    const { attempts } = this.#policy;
    const fields = { month: body.month, url: this.#url };
    for (let attempt = 1; attempt <= attempts && !this.#stop.signal.aborted; attempt++) {
      const outcome = await this.#post(body);
      if (outcome.ok) {
        this.#logger.info('report webhook delivered', { ...fields, attempt, status: outcome.status });
        return true;
      }
      const last = attempt === attempts || !outcome.retryable;
      if (last) {
        this.#logger.error('report webhook failed; not retried', { ...fields, attempt, ...outcome });
        return false;
      }
      const waitMs = webhookBackoffMs(this.#policy, attempt, this.#random);
      this.#logger.warn('report webhook attempt failed; retrying', {
        ...fields,
        attempt,
        waitMs,
        ...outcome,
      });
      try {
        await delay(waitMs, undefined, { signal: this.#stop.signal });
      } catch {
        break; // stopping
      }
    }
    this.#logger.warn('report webhook abandoned: the cell is stopping', fields);
    return false;
  }

  async #post(
    body: ReportReadyNotification,
  ): Promise<{ ok: boolean; retryable: boolean; status?: number; error?: string }> {
    try {
      const res = await this.#fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.any([this.#stop.signal, AbortSignal.timeout(this.#policy.timeoutMs)]),
      });
      await res.body?.cancel();
      return { ok: res.ok, retryable: isRetryable(res.status), status: res.status };
    } catch (error) {
      return { ok: false, retryable: true, error: (error as Error).message };
    }
  }
}
