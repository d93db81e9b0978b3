import type { FastifyInstance } from 'fastify';
import type { CellStateValue, StatsAnswer, TimelineEntry } from '../../../schemas/api/index.js';
import { formatMinorUnits } from '../../../schemas/money.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { SqliteStore } from '../storage/sqlite-store.js';
import { contractApp, contractRoute } from './contract-route.js';
import { HttpError } from './http-error.js';
import { INVOICE_ID } from './route-params.js';

/**
 * The read routes: `GET /invoices/{invoiceId}` (the invoice's stored timeline), `GET /health`
 * (readiness, open even off loopback), `GET /stats` (counts per stage) and `GET /metrics`
 * (Prometheus text).
 *
 * @example
 * registerReadRoutes(app, { store, state, stats, metrics });
 */

export interface ReadRouteDeps {
  readonly store: SqliteStore;
  readonly state: () => CellStateValue;
  readonly stats: () => Promise<StatsAnswer>;
  readonly metrics: MetricsExposition;
}

/** The Prometheus text of `GET /metrics` and its content type (`monitoring/cell-metrics.ts`). */
export interface MetricsExposition {
  readonly contentType: string;
  render(): Promise<string>;
}

type StoredEvent = ReturnType<SqliteStore['timelineWithMetadata']>[number];

/** One stored event of a timeline as the API shows it: amount as decimal text, times as RFC 3339. */
function timelineEntry({ record, storedAtMs, storeSeq }: StoredEvent): TimelineEntry {
  return {
    stage: record.dimensions.stage,
    eventId: record.dimensions.eventId,
    status: record.measures.status,
    occurredAt: isoFromMs(record.timeMs),
    amount: {
      value: formatMinorUnits(BigInt(record.measures.amountMinor), record.dimensions.currency),
      currency: record.dimensions.currency,
    },
    receivedAtMs: record.measures.receivedAtMs,
    storedAtMs,
    storeSeq,
    record,
  };
}

export function registerReadRoutes(app: FastifyInstance, deps: ReadRouteDeps): void {
  const api = contractApp(app);
  api.route({
    ...contractRoute('timeline'),
    handler: async (request) => {
      const { invoiceId } = request.params as { invoiceId: string };
      const stored = INVOICE_ID.test(invoiceId) ? deps.store.timelineWithMetadata(invoiceId) : [];
      if (stored.length === 0) throw new HttpError(404, `no stored events for invoice "${invoiceId}"`);
      return { invoiceId, count: stored.length, timeline: stored.map(timelineEntry) };
    },
  });

  api.route({
    ...contractRoute('health'),
    handler: async (_request, reply) => {
      const status = deps.state();
      return reply.code(status === 'ready' ? 200 : 503).send({ status });
    },
  });

  api.route({ ...contractRoute('stats'), handler: async () => deps.stats() });

  // Prometheus text, which the contract does not type (it lists only the JSON error answers): on
  // the untyped instance.
  app.route({
    ...contractRoute('metrics'),
    handler: async (_request, reply) =>
      reply.type(deps.metrics.contentType).send(await deps.metrics.render()),
  });
}
