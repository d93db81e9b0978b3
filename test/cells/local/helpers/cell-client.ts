import type { StatsAnswer, TimelineAnswer } from '../../../../schemas/api/index.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY } from './cell-process.js';

/**
 * A small HTTP client for the local cell in tests (global fetch; throughput does not matter here).
 * Like a real deployment it holds two keys: event posts (`POST /invoices/{stage}`) carry the
 * producer key, every other request the operator key (`schemas/api/route-access.ts`); by default
 * the two keys every test cell registers.
 *
 * @example
 * const client = new CellClient(cell.url);
 * const res = await client.post('/invoices/posting', event);
 */
export interface CellResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

/** The body of `GET /stats` (the HTTP contract's type). */
export type StatsBody = StatsAnswer;

/** The body of `GET /invoices/{invoiceId}` (the HTTP contract's type). */
export type TimelineBody = TimelineAnswer;

export class CellClient {
  url: string;
  readonly apiKey: string;
  readonly operatorKey: string;

  /** A client given one key of its own sends it on every request. */
  constructor(
    url: string,
    apiKey = TEST_API_KEY,
    operatorKey = apiKey === TEST_API_KEY ? TEST_OPERATOR_KEY : apiKey,
  ) {
    this.url = url;
    this.apiKey = apiKey;
    this.operatorKey = operatorKey;
  }

  /** The key a request carries: the producer key for event posts, the operator key otherwise. */
  keyFor(method: string, path: string): string {
    return method === 'POST' && path.startsWith('/invoices/') ? this.apiKey : this.operatorKey;
  }

  async request<T = unknown>(
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string; headers?: Record<string, string>; noKey?: boolean } = {},
  ): Promise<CellResponse<T>> {
    const headers: Record<string, string> = {};
    if (!options.noKey) headers['x-api-key'] = this.keyFor(method, path);
    // Raw bodies go as an untyped Blob so that fetch adds no content-type of its own.
    let body: string | Blob | undefined;
    if (options.rawBody !== undefined) body = new Blob([options.rawBody]);
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    Object.assign(headers, options.headers ?? {});
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (e.g. /metrics)
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  post<T = unknown>(path: string, body: unknown) {
    return this.request<T>('POST', path, { body });
  }

  get<T = unknown>(path: string) {
    return this.request<T>('GET', path);
  }

  async stats(): Promise<StatsBody> {
    const res = await this.get<StatsBody>('/stats');
    if (res.status !== 200) throw new Error(`/stats answered ${res.status}: ${res.text}`);
    return res.body;
  }
}
