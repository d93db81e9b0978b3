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
 * (the last redrive's progress).
 *
 * @example
 * registerDlqRoutes(app, { topology, queues, redrive });
 */

export interface DlqRouteDeps {
  readonly topology: CellTopology;
  readonly queues: ReadonlyMap<StageName, FifoQueue>;
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

function checkRedriveBody(b: Record<string, unknown>, errors: FieldError[]): void {
  optionalString(b, 'invoiceId', INVOICE_ID, 'must be an invoice id', errors);
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
  queue: FifoQueue,
  query: { invoiceId?: string; limit?: string },
): DlqAnswer {
  const limit = listLimit(query.limit);
  const groupId = query.invoiceId;
  const messages = queue.listDlq(groupId === undefined ? { limit } : { groupId, limit });
  return {
    stage: stage.name,
    dlq: stage.ids.dlq,
    total: queue.dlqDepth(groupId),
    messages: messages.map((m) => ({
      ...describeQueueMessage(m),
      receiveCount: m.receiveCount,
      deadLetteredAt: m.deadLetteredAtMs === null ? null : isoFromMs(m.deadLetteredAtMs),
    })),
  };
}

export function registerDlqRoutes(app: FastifyInstance, deps: DlqRouteDeps): void {
  const { topology, redrive } = deps;
  const api = contractApp(app);

  api.route({
    ...contractRoute('dlq'),
    handler: async (request) => {
      const stage = stageParam(topology, request);
      const queue = deps.queues.get(stage.name) as FifoQueue;
      return listDlq(stage, queue, request.query as { invoiceId?: string; limit?: string });
    },
  });

  api.route({
    ...contractRoute('redriveStart'),
    handler: async (request, reply) => {
      const stage = stageParam(topology, request);
      if (request.body !== undefined) requireJson(request);
      const body = objectBody(request.body, ['invoiceId', 'ratePerSec', 'dryRun'], checkRedriveBody);
      const invoiceId = body.invoiceId as string | undefined;
      const redriveRequest: RedriveRequest = {
        stage: stage.name,
        ...(invoiceId ? { invoiceId } : {}),
        ...(typeof body.ratePerSec === 'number' ? { ratePerSec: body.ratePerSec } : {}),
      };
      if (body.dryRun === true) {
        return { stage: stage.name, dryRun: true, total: redrive.count(redriveRequest), moved: 0 } as const;
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
      const status = redrive.status(stage.name);
      if (!status)
        throw new HttpError(404, `no redrive has run for the ${stage.name} DLQ since the cell started`);
      return status;
    },
  });
}
