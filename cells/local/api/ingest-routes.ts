import type { FastifyInstance } from 'fastify';
import { validateRequestBody } from '../../../schemas/index.js';
import type { CellTopology, StageTopology } from '../../topology.js';
import { type IngestClient, IngestUnavailableError } from '../bus/ingest-client.js';
import type { EntryResult } from '../bus/ingest-committer.js';
import type { Clock } from '../clock.js';
import { contractApp, contractRoute } from './contract-route.js';
import { HttpError } from './http-error.js';
import { describeFieldErrors, EMPTY_BODY_MESSAGE, requireJson } from './request-body.js';
import { stageParam } from './route-params.js';

/**
 * `POST /invoices/{stage}`: one event or `{"events": [...]}` (≤ the topology's max per request),
 * validated against the stage schema, put on the bus and committed before the answer. The answer
 * is PutEvents-style per entry: 200 when every entry was accepted or a duplicate, 409 when any
 * failed.
 *
 * @example
 * registerIngestRoutes(app, { topology, ingest, clock });
 */

export interface IngestRouteDeps {
  readonly topology: CellTopology;
  readonly ingest: IngestClient;
  readonly clock: Clock;
}

/** Submits validated events; a commit that cannot happen now is a 503 with `Retry-After`. */
async function submit(
  ingest: IngestClient,
  stage: StageTopology,
  events: Parameters<IngestClient['submit']>[1],
  receivedAtMs: number,
): Promise<EntryResult[]> {
  try {
    return await ingest.submit(stage, events, receivedAtMs);
  } catch (error) {
    if (error instanceof IngestUnavailableError) {
      throw new HttpError(503, error.message, { headers: { 'retry-after': '1' } });
    }
    throw error;
  }
}

export function registerIngestRoutes(app: FastifyInstance, deps: IngestRouteDeps): void {
  const { topology } = deps;
  contractApp(app).route({
    ...contractRoute('ingest'),
    // Unknown stage: 404 before reading the body.
    onRequest: async (request) => {
      stageParam(topology, request);
    },
    handler: async (request, reply) => {
      const receivedAtMs = deps.clock.now();
      const stage = stageParam(topology, request);
      requireJson(request);
      if (request.body === undefined) throw new HttpError(400, EMPTY_BODY_MESSAGE);
      const validation = validateRequestBody(stage.name, request.body, topology.settings.maxEventsPerRequest);
      if (!validation.ok) {
        throw new HttpError(400, describeFieldErrors(`invalid ${stage.name} request`, validation.errors), {
          errors: validation.errors,
        });
      }
      const entries = await submit(deps.ingest, stage, validation.events, receivedAtMs);
      const failedEntryCount = entries.filter((e) => e.status === 'failed').length;
      return reply.code(failedEntryCount > 0 ? 409 : 200).send({ failedEntryCount, entries });
    },
  });
}
