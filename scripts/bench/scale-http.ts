import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { StatsAnswer } from '../../schemas/api/index.js';
import { request } from './bench-http.js';
import { batchEvents, type StageBatch } from './scale-batches.js';

/**
 * The scale bench's requests. Reads carry the operator key (`x-api-key`), as an operator's
 * dashboard or CLI would, so the key check is part of what is timed; `bench-http.ts`'s `request`
 * (which sends no key on a GET) carries the producer's posts. Node's http with a keep-alive agent,
 * for the reason `bench-http.ts` gives.
 *
 * @example
 * const { status, body, ms } = await readAs(port, operatorKey, '/stats');
 */

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** A read's answer and how long it took, request to last byte. */
export interface ReadAnswer {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

/** A GET with the key; a request past `timeoutMs` fails (a stalled cell must not hang the bench). */
export function readAs(port: number, key: string, urlPath: string, timeoutMs = 120_000): Promise<ReadAnswer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: '127.0.0.1', port, method: 'GET', path: urlPath, headers: { 'x-api-key': key } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            ms: performance.now() - started,
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${urlPath} took over ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** `GET /stats`; throws for any answer but 200. */
export async function readStats(port: number, key: string): Promise<StatsAnswer> {
  const res = await readAs(port, key, '/stats');
  if (res.status !== 200) throw new Error(`GET /stats answered ${res.status}: ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body) as StatsAnswer;
}

/**
 * Polls `/stats` until `totals.stored` reaches `atLeast` or `timeoutMs` passes; answers the last
 * count and when it was first seen at the target (performance.now()), NaN when never.
 */
export async function waitStored(
  port: number,
  key: string,
  atLeast: number,
  timeoutMs: number,
): Promise<{ stored: number; reachedAt: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const stored = (await readStats(port, key)).totals.stored;
    if (stored >= atLeast) return { stored, reachedAt: performance.now() };
    if (performance.now() > deadline) {
      process.stderr.write(`warning: ${stored} of ${atLeast} records stored after ${timeoutMs / 1000} s\n`);
      return { stored, reachedAt: Number.NaN };
    }
    await delay(100);
  }
}

/** Statuses that mean "not now": the batch is sent again (its accepted entries dedupe by eventId). */
const RETRY_STATUSES = new Set([429, 502, 503]);
const MAX_ATTEMPTS = 60;

/**
 * Posts one stage batch with the producer key until it is accepted (200), retrying throttling and
 * partial failures with a growing pause; answers the time of the accepted request and the retries.
 * Throws for any other answer (a bench bug: the events are valid) or after {@link MAX_ATTEMPTS}.
 */
export async function postBatch(
  port: number,
  producerKey: string,
  batch: StageBatch,
): Promise<{ ms: number; retries: number }> {
  const body = JSON.stringify({ events: batchEvents(batch) });
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    const res = await request(port, producerKey, 'POST', batch.stage.routePath, body);
    const ms = performance.now() - started;
    if (res.status === 200) return { ms, retries: attempt - 1 };
    if (!RETRY_STATUSES.has(res.status) || attempt >= MAX_ATTEMPTS) {
      throw new Error(
        `POST ${batch.stage.routePath} answered ${res.status} (attempt ${attempt}): ${res.body.slice(0, 300)}`,
      );
    }
    await delay(Math.min(1_000, 20 * attempt));
  }
}
