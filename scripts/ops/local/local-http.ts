import { NotFoundError, OpsError, TransientSendError } from '../backend.js';
import { messageOf, optional } from './answer-fields.js';

/** A local cell's answer: status, parsed JSON body (or the text), and `Retry-After` in seconds. */
export interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly retryAfterSec: number | undefined;
}

/** A local cell's HTTP client, its base URL (with the trailing slash relative paths need) and its name in messages. */
export interface LocalCellHttp {
  readonly http: LocalHttp;
  readonly base: URL;
  /** `local cell http://127.0.0.1:8787`. */
  readonly target: string;
}

/**
 * The one way the local clients (backend, keys, subscribers) address a cell.
 *
 * @example
 * const { http, target } = localCellHttp('http://127.0.0.1:8787', apiKey, 30_000);
 */
export function localCellHttp(baseUrl: string, apiKey: string | undefined, timeoutMs: number): LocalCellHttp {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  const target = `local cell ${base.origin}${base.pathname.replace(/\/$/, '')}`;
  return { http: new LocalHttp({ base, apiKey, timeoutMs, target }), base, target };
}

/**
 * JSON over global fetch to a local cell's HTTP API. Every request carries `x-api-key` when a key
 * is given (writes need it; a cell bound beyond loopback needs it for reads too). An unreachable
 * cell and 429/5xx answers are {@link TransientSendError}s; other failures map to the
 * {@link OpsError} an operator understands.
 *
 * @example
 * const http = new LocalHttp({ base, apiKey, timeoutMs: 30_000, target: 'local cell http://127.0.0.1:8787' });
 * const body = await http.get('stuck', 'stuck invoices and messages');
 */
export class LocalHttp {
  readonly #base: URL;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #target: string;

  constructor(options: { base: URL; apiKey: string | undefined; timeoutMs: number; target: string }) {
    this.#base = options.base;
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs;
    this.#target = options.target;
  }

  async request(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<HttpAnswer> {
    const { response, text } = await this.#fetch(method, path, body, 'application/json');
    return answerOf(response, text);
  }

  /**
   * A GET whose 200 answer is a file, not JSON (a report): its exact text and headers. Any other
   * answer fails as {@link LocalHttp.get} does.
   */
  async getText(path: string, what: string, accept: string): Promise<{ text: string; headers: Headers }> {
    const { response, text } = await this.#fetch('GET', path, undefined, accept);
    if (response.status !== 200) this.fail(answerOf(response, text), what);
    return { text, headers: response.headers };
  }

  async #fetch(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body: unknown,
    accept: string,
  ): Promise<{ response: Response; text: string }> {
    const url = new URL(path.replace(/^\//, ''), this.#base);
    const headers: Record<string, string> = { accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#apiKey !== undefined) headers['x-api-key'] = this.#apiKey;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new TransientSendError(
        `cannot reach the ${this.#target} (${method} ${url.pathname}): ${reason}`,
        {
          cause: error,
        },
      );
    }
    return { response, text: await response.text() };
  }

  /** Maps an unexpected status to the error an operator understands. */
  fail(answer: HttpAnswer, what: string): never {
    const message = `${what}: ${messageOf(answer.body)}`;
    if (answer.status === 401 || answer.status === 403) {
      throw new OpsError(
        `${message} (pass --api-key or set INVOICE_OPS_API_KEY to a key of the role the cell names)`,
      );
    }
    if (answer.status === 404) throw new NotFoundError(message);
    if (answer.status === 429 || answer.status === 503 || answer.status >= 500) {
      throw new TransientSendError(
        `${message} (HTTP ${answer.status})`,
        optional('retryAfterSec', answer.retryAfterSec),
      );
    }
    throw new OpsError(`${message} (HTTP ${answer.status})`);
  }

  /** A read; a cell that is unreachable is a plain failure here (not worth a retry loop). */
  async get(path: string, what: string): Promise<unknown> {
    const answer = await this.request('GET', path);
    if (answer.status !== 200) this.fail(answer, what);
    return answer.body;
  }
}

/** An answer with its body parsed as JSON when it is JSON (else the text, e.g. a proxy's page). */
function answerOf(response: Response, text: string): HttpAnswer {
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): keep the text for the message.
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  return {
    status: response.status,
    body: parsed,
    retryAfterSec: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  };
}
