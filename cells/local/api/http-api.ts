import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { type FieldError, validateRequestBody } from '../../../schemas/index.js';
import { formatMinorUnits } from '../../../schemas/money.js';
import { type CellTopology, findStage, type StageName, type StageTopology } from '../../topology.js';
import { type IngestClient, IngestUnavailableError } from '../bus/ingest-client.js';
import { ReplayExistsError, type ReplayService } from '../bus/replay-service.js';
import type { Clock } from '../clock.js';
import type { EngineHandle } from '../engine/engine-host.js';
import type { Logger } from '../logger.js';
import { describeQueueMessage, type FifoQueue } from '../messaging/fifo-queue.js';
import {
  MAX_REDRIVE_RATE_PER_SEC,
  RedriveRunningError,
  type RedriveService,
} from '../messaging/redrive-service.js';
import type { CellState } from '../monitoring/cell-stats.js';
import type { SqliteStore } from '../storage/sqlite-store.js';
import type { ApiKeyStore } from './api-keys.js';
import type { ProducerRateLimiter } from './rate-limit.js';

/**
 * The local cell's HTTP API (fastify), the local twin of the API Gateway REST API:
 *
 * | route | what |
 * |---|---|
 * | `POST /invoices/{stage}` | one event or `{"events": [...]}` (≤ 10); PutEvents-style per-entry answer |
 * | `GET /invoices/{invoiceId}` | the invoice's stored timeline |
 * | `GET /health`, `GET /stats`, `GET /metrics` | readiness, counts per stage, Prometheus text |
 * | `GET /dlq/{stage}`, `POST /dlq/{stage}/redrive`, `GET /dlq/{stage}/redrive` | DLQ list and redrive |
 * | `POST /replays`, `GET /replays/{name}` | archive replays |
 * | `POST`/`DELETE /admin/faults` | fault injection, only with `--enable-fault-injection` |
 *
 * Writes need `x-api-key` (401 without, 403 when unknown) and are throttled per key (429 with
 * `Retry-After`). Reads are open because the cell binds loopback by default; bound to any other
 * address, reads (including /metrics) need the key too; only /health stays open. Every error is JSON `{"message": ..., "errors"?: [...]}`; no
 * input can crash the process.
 *
 * @example
 * const app = buildHttpApi(deps);
 * await app.listen({ host: '127.0.0.1', port: 0 });
 */

export interface HttpApiDeps {
  readonly topology: CellTopology;
  readonly ingest: IngestClient;
  readonly keys: ApiKeyStore;
  readonly limiter: ProducerRateLimiter;
  readonly store: SqliteStore;
  readonly queues: ReadonlyMap<StageName, FifoQueue>;
  readonly redrive: RedriveService;
  readonly replays: ReplayService;
  readonly engine: () => EngineHandle | undefined;
  readonly state: () => CellState;
  readonly stats: () => Promise<unknown>;
  readonly metrics: () => Promise<string>;
  readonly requireKeyForReads: boolean;
  readonly faultInjection: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  /** "METHOD route status" → count, for /metrics. */
  readonly httpCounters: Map<string, number>;
}

/** An error answered with its status and message (and field errors). */
class HttpError extends Error {
  readonly statusCode: number;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    statusCode: number,
    message: string,
    options: { errors?: readonly FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const INVOICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
const REPLAY_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_FAULT_IDS = 10_000;

function describeFieldErrors(prefix: string, errors: readonly FieldError[]): string {
  const shown = errors.slice(0, 5).map((e) => `${e.path || '(body)'} ${e.message}`);
  const more = errors.length > 5 ? `; and ${errors.length - 5} more` : '';
  return `${prefix}: ${shown.join('; ')}${more}`;
}

function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const mediaType = value.split(';')[0]?.trim().toLowerCase();
  return mediaType === 'application/json';
}

type Checker = (body: Record<string, unknown>, errors: FieldError[]) => void;

/** Parses an optional JSON object body of an ops route, refusing unknown fields. */
function objectBody(body: unknown, allowed: readonly string[], check: Checker): Record<string, unknown> {
  if (body === undefined || body === null) body = {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'request body must be a JSON object');
  }
  const record = body as Record<string, unknown>;
  const errors: FieldError[] = Object.keys(record)
    .filter((k) => !allowed.includes(k))
    .map((k) => ({ path: `/${k}`, message: 'is not an allowed field' }));
  check(record, errors);
  if (errors.length > 0) {
    throw new HttpError(400, describeFieldErrors('invalid request', errors), { errors });
  }
  return record;
}

function optionalString(
  b: Record<string, unknown>,
  key: string,
  pattern: RegExp,
  rule: string,
  errors: FieldError[],
) {
  const v = b[key];
  if (v !== undefined && (typeof v !== 'string' || !pattern.test(v)))
    errors.push({ path: `/${key}`, message: rule });
}

function optionalBoolean(b: Record<string, unknown>, key: string, errors: FieldError[]) {
  const v = b[key];
  if (v !== undefined && typeof v !== 'boolean')
    errors.push({ path: `/${key}`, message: 'must be true or false' });
}

export function buildHttpApi(deps: HttpApiDeps): FastifyInstance {
  const { topology, logger } = deps;
  const maxBodyBytes = topology.settings.maxBodyKiB * 1024;
  const stageNames = topology.stages.map((s) => s.name).join(', ');
  const app = Fastify({
    logger: false,
    bodyLimit: maxBodyBytes,
    return503OnClosing: true,
    keepAliveTimeout: 65_000,
  });

  // JSON.parse instead of fastify's secure-json-parse: __proto__ keys are harmless here (the
  // schemas refuse unknown fields) and plain JSON.parse is measurably cheaper per request.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(new HttpError(400, 'request body is empty: send one event or {"events": [...]}'), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new HttpError(400, `request body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    if (error instanceof HttpError) {
      void reply
        .code(error.statusCode)
        .headers(error.headers)
        .send(error.errors ? { message: error.message, errors: error.errors } : { message: error.message });
      return;
    }
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.code(413).send({ message: `request body exceeds ${topology.settings.maxBodyKiB} KiB` });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.code(415).send({
          message: `content-type ${request.headers['content-type'] ?? '(none)'} is not supported: use application/json`,
        });
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return reply
          .code(400)
          .send({ message: 'request body is empty: send one event or {"events": [...]}' });
      default:
        break;
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ message: error.message });
    logger.error('request failed', { method: request.method, url: request.url, error });
    return reply.code(500).send({ message: 'internal error; the request was not applied' });
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({
      message: `no route for ${request.method} ${request.url.split('?')[0]}; see GET /health, POST /invoices/{stage} (stages: ${stageNames})`,
    });
  });

  app.addHook('onResponse', async (request, reply) => {
    const key = `${request.method} ${request.routeOptions.url ?? 'unmatched'} ${reply.statusCode}`;
    deps.httpCounters.set(key, (deps.httpCounters.get(key) ?? 0) + 1);
  });

  // Readiness, then authentication and throttling, before any body is read.
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    if (route === '/health') return;
    const state = deps.state();
    if (state !== 'ready' && route !== '/metrics') {
      throw new HttpError(503, `the cell is ${state}; retry shortly`, { headers: { 'retry-after': '1' } });
    }
    const isRead = request.method === 'GET' || request.method === 'HEAD';
    if (isRead && !deps.requireKeyForReads) return;
    if (route === undefined) return; // unknown route: 404 without revealing whether a key is valid
    const key = request.headers['x-api-key'];
    if (typeof key !== 'string' || key === '') {
      throw new HttpError(401, 'missing x-api-key header: writes need a producer API key');
    }
    const keyId = deps.keys.verify(key);
    if (!keyId) throw new HttpError(403, 'the x-api-key is not a valid API key for this cell');
    if (isRead) return;
    const verdict = await deps.limiter.consume(keyId);
    if (!verdict.allowed) {
      throw new HttpError(
        429,
        `rate limit exceeded for this API key (${deps.limiter.settings.ratePerSec} requests/s, burst ${deps.limiter.settings.burst}); retry after ${verdict.retryAfterSec} s`,
        { headers: { 'retry-after': String(verdict.retryAfterSec) } },
      );
    }
  });

  const stageParam = (request: FastifyRequest): StageTopology => {
    const name = (request.params as { stage?: string }).stage ?? '';
    const stage = findStage(topology, name);
    if (!stage) throw new HttpError(404, `unknown stage "${name}"; known stages: ${stageNames}`);
    return stage;
  };
  const requireJson = (request: FastifyRequest) => {
    if (!isJsonContentType(request.headers['content-type'])) {
      throw new HttpError(
        415,
        `content-type ${request.headers['content-type'] ?? '(none)'} is not supported: use application/json`,
      );
    }
  };
  const queueOf = (stage: StageTopology): FifoQueue => deps.queues.get(stage.name) as FifoQueue;

  app.post(
    '/invoices/:stage',
    {
      // Unknown stage: 404 before reading the body.
      onRequest: async (request) => {
        stageParam(request);
      },
    },
    async (request, reply) => {
      const receivedAtMs = deps.clock.now();
      const stage = stageParam(request);
      requireJson(request);
      if (request.body === undefined) {
        throw new HttpError(400, 'request body is empty: send one event or {"events": [...]}');
      }
      const validation = validateRequestBody(stage.name, request.body, topology.settings.maxEventsPerRequest);
      if (!validation.ok) {
        throw new HttpError(400, describeFieldErrors(`invalid ${stage.name} request`, validation.errors), {
          errors: validation.errors,
        });
      }
      let entries: Awaited<ReturnType<IngestClient['submit']>>;
      try {
        entries = await deps.ingest.submit(stage, validation.events, receivedAtMs);
      } catch (error) {
        if (error instanceof IngestUnavailableError) {
          throw new HttpError(503, error.message, { headers: { 'retry-after': '1' } });
        }
        throw error;
      }
      const failedEntryCount = entries.filter((e) => e.status === 'failed').length;
      return reply.code(failedEntryCount > 0 ? 409 : 200).send({ failedEntryCount, entries });
    },
  );

  app.get('/invoices/:invoiceId', async (request) => {
    const { invoiceId } = request.params as { invoiceId: string };
    const stored = INVOICE_ID.test(invoiceId) ? deps.store.timelineWithMetadata(invoiceId) : [];
    if (stored.length === 0) throw new HttpError(404, `no stored events for invoice "${invoiceId}"`);
    return {
      invoiceId,
      count: stored.length,
      timeline: stored.map(({ record, storedAtMs, storeSeq }) => ({
        stage: record.dimensions.stage,
        eventId: record.dimensions.eventId,
        status: record.measures.status,
        occurredAt: new Date(record.timeMs).toISOString(),
        amount: {
          value: formatMinorUnits(BigInt(record.measures.amountMinor), record.dimensions.currency),
          currency: record.dimensions.currency,
        },
        receivedAtMs: record.measures.receivedAtMs,
        storedAtMs,
        storeSeq,
        record,
      })),
    };
  });

  app.get('/health', async (_request, reply) => {
    const status = deps.state();
    return reply.code(status === 'ready' ? 200 : 503).send({ status });
  });

  app.get('/stats', async () => deps.stats());

  app.get('/metrics', async (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(await deps.metrics()),
  );

  app.get('/dlq/:stage', async (request) => {
    const stage = stageParam(request);
    const query = request.query as { invoiceId?: string; limit?: string };
    const limit = query.limit === undefined ? 100 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) {
      throw new HttpError(400, `limit must be an integer from 1 to 1000, got "${query.limit}"`);
    }
    const queue = queueOf(stage);
    const groupId = query.invoiceId;
    const messages = queue.listDlq(groupId === undefined ? { limit } : { groupId, limit });
    return {
      stage: stage.name,
      dlq: stage.ids.dlq,
      total: queue.dlqDepth(groupId),
      messages: messages.map((m) => ({
        ...describeQueueMessage(m),
        receiveCount: m.receiveCount,
        deadLetteredAt: m.deadLetteredAtMs === null ? null : new Date(m.deadLetteredAtMs).toISOString(),
      })),
    };
  });

  app.post('/dlq/:stage/redrive', async (request, reply) => {
    const stage = stageParam(request);
    if (request.body !== undefined) requireJson(request);
    const body = objectBody(request.body, ['invoiceId', 'ratePerSec', 'dryRun'], (b, errors) => {
      optionalString(b, 'invoiceId', INVOICE_ID, 'must be an invoice id', errors);
      const rate = b.ratePerSec;
      if (
        rate !== undefined &&
        (typeof rate !== 'number' || !(rate > 0) || rate > MAX_REDRIVE_RATE_PER_SEC)
      ) {
        errors.push({
          path: '/ratePerSec',
          message: `must be a number above 0 and at most ${MAX_REDRIVE_RATE_PER_SEC}`,
        });
      }
      optionalBoolean(b, 'dryRun', errors);
    });
    const invoiceId = body.invoiceId as string | undefined;
    const request_ = {
      stage: stage.name,
      ...(invoiceId ? { invoiceId } : {}),
      ...(typeof body.ratePerSec === 'number' ? { ratePerSec: body.ratePerSec } : {}),
    };
    if (body.dryRun === true) {
      return { stage: stage.name, dryRun: true, total: deps.redrive.count(request_), moved: 0 };
    }
    try {
      return reply.code(202).send(deps.redrive.start(request_));
    } catch (error) {
      if (error instanceof RedriveRunningError) throw new HttpError(409, error.message);
      throw error;
    }
  });

  app.get('/dlq/:stage/redrive', async (request) => {
    const stage = stageParam(request);
    const status = deps.redrive.status(stage.name);
    if (!status)
      throw new HttpError(404, `no redrive has run for the ${stage.name} DLQ since the cell started`);
    return status;
  });

  app.post('/replays', async (request, reply) => {
    requireJson(request);
    const body = objectBody(
      request.body,
      ['from', 'to', 'stage', 'invoiceId', 'name', 'dryRun'],
      (b, errors) => {
        for (const key of ['from', 'to']) {
          const v = b[key];
          if (v === undefined) errors.push({ path: `/${key}`, message: 'is required' });
          else if (typeof v !== 'string' || !RFC3339.test(v) || Number.isNaN(Date.parse(v))) {
            errors.push({
              path: `/${key}`,
              message: 'must be an RFC 3339 date-time like "2026-11-20T09:15:00Z"',
            });
          }
        }
        if (
          typeof b.from === 'string' &&
          typeof b.to === 'string' &&
          Date.parse(b.from) >= Date.parse(b.to)
        ) {
          errors.push({ path: '/to', message: 'must be after /from' });
        }
        const s = b.stage;
        if (s !== undefined && (typeof s !== 'string' || !findStage(topology, s))) {
          errors.push({ path: '/stage', message: `must be one of: ${stageNames}` });
        }
        optionalString(b, 'invoiceId', INVOICE_ID, 'must be an invoice id', errors);
        optionalString(
          b,
          'name',
          REPLAY_NAME,
          'must be 1 to 64 characters of letters, digits and . _ -',
          errors,
        );
        optionalBoolean(b, 'dryRun', errors);
      },
    );
    const stage = typeof body.stage === 'string' ? findStage(topology, body.stage) : undefined;
    const name =
      (body.name as string | undefined) ??
      `replay-${new Date(deps.clock.now()).toISOString().replace(/[:.]/g, '-')}`;
    try {
      const status = deps.replays.start({
        name,
        fromMs: Date.parse(body.from as string),
        toMs: Date.parse(body.to as string),
        ...(stage ? { stage } : {}),
        ...(typeof body.invoiceId === 'string' ? { invoiceId: body.invoiceId } : {}),
        dryRun: body.dryRun === true,
      });
      return reply.code(body.dryRun === true ? 200 : 202).send(status);
    } catch (error) {
      if (error instanceof ReplayExistsError) throw new HttpError(409, error.message);
      throw error;
    }
  });

  app.get('/replays/:name', async (request) => {
    const { name } = request.params as { name: string };
    const status = deps.replays.get(name);
    if (!status) throw new HttpError(404, `no replay named "${name}"`);
    return status;
  });

  if (deps.faultInjection) {
    const engine = (): EngineHandle => {
      const e = deps.engine();
      if (!e) throw new HttpError(503, 'the engine is not running');
      return e;
    };
    app.post('/admin/faults', async (request) => {
      requireJson(request);
      const body = objectBody(request.body, ['failEventIds'], (b, errors) => {
        const ids = b.failEventIds;
        if (!Array.isArray(ids) || ids.length > MAX_FAULT_IDS || ids.some((id) => typeof id !== 'string')) {
          errors.push({
            path: '/failEventIds',
            message: `must be an array of at most ${MAX_FAULT_IDS} event ids`,
          });
        }
      });
      const ids = body.failEventIds as string[];
      await engine().setFaults(ids);
      logger.warn('fault injection: store will refuse events', { count: ids.length });
      return { failEventIds: ids };
    });
    app.delete('/admin/faults', async () => {
      await engine().setFaults([]);
      return { failEventIds: [] };
    });
  }

  return app;
}
