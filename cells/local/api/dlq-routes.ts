import type { FastifyInstance } from 'fastify';
import type { DlqAnswer } from '../../../schemas/api/index.js';
import type { FieldError } from '../../../schemas/index.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { CellTopology, StageName, StageTopology } from '../../topology.js';
import { describeQueueMessage } from '../messaging/describe-queue-message.js';
import type { FifoQueue } from '../messaging/fifo-queue.js';
import {
  MAX_REDRIVE_RATE_PER_SEC,
  type RedriveRequest,
  RedriveRunningError,
  type RedriveService,
} from '../messaging/redrive-service.js';
import { contractApp, contractRoute } from './contract-route.js';
import { HttpError } from './http-error.js';
import { objectBody, optionalBoolean, optionalString, requireJson } from './request-body.js';
import { INVOICE_ID, stageParam } from './route-params.js';

/**
 * The DLQ routes: `GET /dlq/{stage}` (messages, optionally of one invoice), `POST
 * /dlq/{stage}/redrive` (start a redrive, or count it with `dryRun`) and `GET /dlq/{stage}/redrive`
 * (the last redrive's progress). Each addresses the stage's DLQ, or with `subscriber` (`?subscriber=`
 * on the GETs, a body field on the POST) the DLQ of a subscriber declared on the stage.
 *
 * @example
 * registerDlqRoutes(app, { topology, queues, redrive });
 */

export interface DlqRouteDeps {
  readonly topology: CellTopology;
  readonly queues: ReadonlyMap<StageName, FifoQueue>;
  /** Subscriber queues by `<stage>/<subscriber id>` (`subscriberKey`). */
  readonly subscriberQueues?: ReadonlyMap<string, FifoQueue>;
  readonly redrive: RedriveService;
}

/** `?limit=` of a listing: 1..1000, 100 when absent. */
function listLimit(raw: string | undefined): number {
  const limit = raw === undefined ? 100 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) {
    throw new HttpError(400, `limit must be an integer from 1 to 1000, got "${raw}"`);
  }
  return limit;
}

/** The DLQ a request addresses: the stage's, or a declared subscriber's; 404 for an undeclared one. */
interface AddressedDlq {
  readonly queue: FifoQueue;
  readonly dlq: string;
  readonly subscriber?: string;
}

function addressedDlq(
  deps: DlqRouteDeps,
  stage: StageTopology,
  subscriber: string | undefined,
): AddressedDlq {
  if (subscriber === undefined)
    return { queue: deps.queues.get(stage.name) as FifoQueue, dlq: stage.ids.dlq };
  const sub = stage.subscribers.find((s) => s.id === subscriber);
  const queue = sub ? deps.subscriberQueues?.get(`${stage.name}/${sub.id}`) : undefined;
  if (!sub || !queue) {
    const declared = stage.subscribers.map((s) => s.id).join(', ') || 'none';
    throw new HttpError(404, `no subscriber ${subscriber} on stage ${stage.name}; declared: ${declared}`);
  }
  return { queue, dlq: sub.ids.dlq, subscriber: sub.id };
}

function checkRedriveBody(b: Record<string, unknown>, errors: FieldError[]): void {
  optionalString(b, 'invoiceId', INVOICE_ID, 'must be an invoice id', errors);
  optionalString(b, 'subscriber', /^[a-z][a-z0-9-]{0,39}$/, 'must be a subscriber id', errors);
  const rate = b.ratePerSec;
  if (rate !== undefined && (typeof rate !== 'number' || !(rate > 0) || rate > MAX_REDRIVE_RATE_PER_SEC)) {
    errors.push({
      path: '/ratePerSec',
      message: `must be a number above 0 and at most ${MAX_REDRIVE_RATE_PER_SEC}`,
    });
  }
  optionalBoolean(b, 'dryRun', errors);
}

function listDlq(
  stage: StageTopology,
  { queue, dlq, subscriber }: AddressedDlq,
  query: { invoiceId?: string; limit?: string },
): DlqAnswer {
  const limit = listLimit(query.limit);
  const groupId = query.invoiceId;
  const messages = queue.listDlq(groupId === undefined ? { limit } : { groupId, limit });
  return {
    stage: stage.name,
    ...(subscriber !== undefined ? { subscriber } : {}),
    dlq,
    total: queue.dlqDepth(groupId),
    messages: messages.map((m) => ({
      ...describeQueueMessage(m),
      receiveCount: m.receiveCount,
      deadLetteredAt: m.deadLetteredAtMs === null ? null : isoFromMs(m.deadLetteredAtMs),
    })),
  };
}

function redriveRequestTarget(request: RedriveRequest): { stage: StageName; subscriber?: string } {
  return {
    stage: request.stage,
    ...(request.subscriber !== undefined ? { subscriber: request.subscriber } : {}),
  };
}

export function registerDlqRoutes(app: FastifyInstance, deps: DlqRouteDeps): void {
  const { topology, redrive } = deps;
  const api = contractApp(app);

  api.route({
    ...contractRoute('dlq'),
    handler: async (request) => {
      const stage = stageParam(topology, request);
      const query = request.query as { invoiceId?: string; limit?: string; subscriber?: string };
      return listDlq(stage, addressedDlq(deps, stage, query.subscriber), query);
    },
  });

  api.route({
    ...contractRoute('redriveStart'),
    handler: async (request, reply) => {
      const stage = stageParam(topology, request);
      if (request.body !== undefined) requireJson(request);
      const body = objectBody(
        request.body,
        ['invoiceId', 'ratePerSec', 'dryRun', 'subscriber'],
        checkRedriveBody,
      );
      const invoiceId = body.invoiceId as string | undefined;
      const { subscriber } = addressedDlq(deps, stage, body.subscriber as string | undefined);
      const redriveRequest: RedriveRequest = {
        stage: stage.name,
        ...(subscriber !== undefined ? { subscriber } : {}),
        ...(invoiceId ? { invoiceId } : {}),
        ...(typeof body.ratePerSec === 'number' ? { ratePerSec: body.ratePerSec } : {}),
      };
      if (body.dryRun === true) {
        const total = redrive.count(redriveRequest);
        return { ...redriveRequestTarget(redriveRequest), dryRun: true, total, moved: 0 } as const;
      }
      try {
        return reply.code(202).send(redrive.start(redriveRequest));
      } catch (error) {
        if (error instanceof RedriveRunningError) throw new HttpError(409, error.message);
        throw error;
      }
    },
  });

  api.route({
    ...contractRoute('redriveStatus'),
    handler: async (request) => {
      const stage = stageParam(topology, request);
      const { subscriber } = addressedDlq(deps, stage, (request.query as { subscriber?: string }).subscriber);
      const status = redrive.status(stage.name, subscriber);
      const which = subscriber === undefined ? stage.name : `${stage.name}/${subscriber}`;
      if (!status) throw new HttpError(404, `no redrive has run for the ${which} DLQ since the cell started`);
      return status;
    },
  });
}
