import type { AlarmTransition } from './alarm-evaluator.js';

/**
 * Where alarm transitions go in the local cell (on AWS, CloudWatch alarm actions publish to the SNS
 * alert topics instead). A port with two adapters: a structured log line per transition, and an
 * optional webhook (JSON POST, e.g. a chat or paging integration) sent with the global `fetch` and
 * a timeout. {@link createAlarmNotifier} combines them; a failing webhook is logged, never thrown,
 * so the evaluation loop keeps running.
 *
 * @example
 * const notifier = createAlarmNotifier({ logger, webhookUrl: 'https://hooks.example.com/alarms', cell: 'local' });
 * await notifier.notify(transitions);
 */
export interface AlarmNotifier {
  notify(transitions: readonly AlarmTransition[], context?: AlarmNotifyContext): Promise<void>;
}

/** What the evaluation knows about a batch of transitions that the transitions do not carry. */
export interface AlarmNotifyContext {
  /**
   * Rules evaluated for the first time in this batch (no earlier state, not even a stored one):
   * their INSUFFICIENT_DATA -> OK is the cell starting, not news.
   */
  readonly firstEvaluation?: ReadonlySet<string>;
}

/** True for a rule's first evaluation finding it OK: logged at debug only. */
export function isBootTransition(t: AlarmTransition, context: AlarmNotifyContext | undefined): boolean {
  return t.from === 'INSUFFICIENT_DATA' && t.to === 'OK' && context?.firstEvaluation?.has(t.ruleId) === true;
}

/** The logger the notifier needs (the local cell's logger fits). */
export interface AlarmLogger {
  /** Boot-time transitions to OK go here; without it they are not logged. */
  debug?(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** A webhook that did not answer 2xx in time. */
export class WebhookDeliveryError extends Error {
  readonly status?: number;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WebhookDeliveryError';
    if (options?.status !== undefined) this.status = options.status;
  }
}

/**
 * One log line per transition: error for critical alarms, warn for warnings and no-data, info for
 * OK — except a rule's first evaluation finding it OK ({@link isBootTransition}), which is debug:
 * at a cell's first start every rule does that, and a line per rule would bury the ones that matter.
 */
export class LogAlarmNotifier implements AlarmNotifier {
  readonly #logger: AlarmLogger;

  constructor(logger: AlarmLogger) {
    this.#logger = logger;
  }

  async notify(transitions: readonly AlarmTransition[], context?: AlarmNotifyContext): Promise<void> {
    for (const t of transitions) {
      const fields = { ...t, at: new Date(t.atMs).toISOString() };
      const message = `alarm ${t.ruleId}: ${t.from} -> ${t.to}`;
      if (isBootTransition(t, context)) this.#logger.debug?.(message, fields);
      else if (t.to === 'ALARM' && t.severity === 'critical') this.#logger.error(message, fields);
      else if (t.to === 'OK') this.#logger.info(message, fields);
      else this.#logger.warn(message, fields);
    }
  }
}

export interface WebhookAlarmNotifierOptions {
  /** http(s) URL that receives `POST {cell, transitions}` as JSON. */
  readonly url: string;
  /** Cell name put in the payload. */
  readonly cell?: string;
  /** Abort the request after this long. @default 5000 */
  readonly timeoutMs?: number;
  /** Injected for tests; the global `fetch` otherwise. */
  readonly fetch?: typeof fetch;
}

/** POSTs transitions to a webhook; throws {@link WebhookDeliveryError} on a non-2xx answer or timeout. */
export class WebhookAlarmNotifier implements AlarmNotifier {
  readonly #url: URL;
  readonly #cell: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: WebhookAlarmNotifierOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new Error(
        `alarm webhook url must be an absolute http(s) URL, got ${JSON.stringify(options.url)}`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`alarm webhook url must be http(s), got ${JSON.stringify(options.url)}`);
    }
    const timeoutMs = options.timeoutMs ?? 5000;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw new Error(`alarm webhook timeoutMs must be a positive integer, got ${timeoutMs}`);
    }
    this.#url = url;
    this.#cell = options.cell;
    this.#timeoutMs = timeoutMs;
    this.#fetch = options.fetch ?? fetch;
  }

  async notify(transitions: readonly AlarmTransition[]): Promise<void> {
    if (transitions.length === 0) return;
    const body = JSON.stringify({ ...(this.#cell ? { cell: this.#cell } : {}), transitions });
    let response: Response;
    try {
      response = await this.#fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new WebhookDeliveryError(
        timedOut
          ? `alarm webhook ${this.#url.origin} did not answer within ${this.#timeoutMs} ms`
          : `alarm webhook ${this.#url.origin} failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    // Drain the body so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) {
      throw new WebhookDeliveryError(`alarm webhook ${this.#url.origin} answered ${response.status}`, {
        status: response.status,
      });
    }
  }
}

/**
 * Logs every transition and, when a URL is given, also posts it; webhook failures are logged. The
 * webhook gets boot-time transitions too: like a CloudWatch alarm's OK action, which fires on
 * INSUFFICIENT_DATA -> OK, a receiver may track every state.
 */
export function createAlarmNotifier(options: {
  readonly logger: AlarmLogger;
  readonly webhookUrl?: string;
  readonly cell?: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}): AlarmNotifier {
  const log = new LogAlarmNotifier(options.logger);
  const webhook =
    options.webhookUrl === undefined
      ? undefined
      : new WebhookAlarmNotifier({
          url: options.webhookUrl,
          ...(options.cell !== undefined ? { cell: options.cell } : {}),
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
        });
  return {
    async notify(transitions, context) {
      await log.notify(transitions, context);
      if (!webhook || transitions.length === 0) return;
      try {
        await webhook.notify(transitions);
      } catch (error) {
        options.logger.warn('alarm webhook delivery failed', {
          error: error instanceof Error ? error.message : String(error),
          transitions: transitions.length,
        });
      }
    },
  };
}
