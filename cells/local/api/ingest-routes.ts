import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../../consumers/clock.js';
import { INGEST_UNAVAILABLE_STATUS, ingestAnswerStatus } from '../../../schemas/api/index.js';
import { validateRequestBody } from '../../../schemas/index.js';
import { businessTimeWindow } from '../../business-time.js';
import type { CellTopology, StageTopology } from '../../topology.js';
import { type IngestClient, IngestUnavailableError } from '../bus/ingest-client.js';
import type { EntryResult } from '../bus/ingest-committer.js';
import { isDiskFullError } from '../storage/db.js';
import { contractApp, contractRoute } from './contract-route.js';
import { diskFullHttpError } from './error-handler.js';
import { HttpError } from './http-error.js';
import { ingestAnswerOf } from './ingest-answer.js';
import { describeFieldErrors, EMPTY_BODY_MESSAGE, requireJson } from './request-body.js';
import { stageParam } from './route-params.js';

/**
 * `POST /invoices/{stage}`: one event or `{"events": [...]}` (≤ the topology's max per request),
 * validated against the stage schema and the cell's business-time window (every `occurredAt` within
 * the topology's window around the cell clock's time of the request, else a 400 naming it), put on
 * the bus and committed before the answer. The answer is the one the AWS cell gives too
 * (`schemas/api/ingest.ts`): 200 when every entry was accepted or a duplicate, 502 with the same
 * body when any failed (e.g. `EventIdConflict`), 503 when the request could not be committed at all.
 *
 * @example
 * registerIngestRoutes(app, { topology, ingest, clock });
 */

export interface IngestRouteDeps {
  readonly topology: CellTopology;
  readonly ingest: IngestClient;
  readonly clock: Clock;
}

/** Submits validated events; a commit that cannot happen now (busy, disk full) is a 503 with `Retry-After`. */
async function submit(
  ingest: IngestClient,
  stage: StageTopology,
  events: Parameters<IngestClient['submit']>[1],
  receivedAtMs: number,
): Promise<EntryResult[]> {
  try {
    return await ingest.submit(stage, events, receivedAtMs);
  } catch (error) {
    if (isDiskFullError(error)) throw diskFullHttpError('nothing of this request was stored');
    if (error instanceof IngestUnavailableError) {
      throw new HttpError(INGEST_UNAVAILABLE_STATUS, error.message, { headers: { 'retry-after': '1' } });
    }
    throw error;
  }
}

export function registerIngestRoutes(app: FastifyInstance, deps: IngestRouteDeps): void {
  const { topology } = deps;
  const window = businessTimeWindow(topology.settings);
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
      const { maxEventsPerRequest } = topology.settings;
      const businessTime = { window, referenceMs: receivedAtMs };
      const validation = validateRequestBody(stage.name, request.body, maxEventsPerRequest, businessTime);
      if (!validation.ok) {
        throw new HttpError(400, describeFieldErrors(`invalid ${stage.name} request`, validation.errors), {
          errors: validation.errors,
        });
      }
      const answer = ingestAnswerOf(await submit(deps.ingest, stage, validation.events, receivedAtMs));
      return reply.code(ingestAnswerStatus(answer)).send(answer);
    },
  });
}
