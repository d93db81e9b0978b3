import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../../consumers/clock.js';
import type { FieldError } from '../../../schemas/index.js';
import { isoFromMs, parseRfc3339Ms } from '../../../schemas/time.js';
import { type CellTopology, findStage } from '../../topology.js';
import { ReplayExistsError, type ReplayService } from '../bus/replay-service.js';
import { contractApp, contractRoute } from './contract-route.js';
import { HttpError } from './http-error.js';
import { objectBody, optionalBoolean, optionalString, requireJson } from './request-body.js';
import { INVOICE_ID, stageNameList } from './route-params.js';

/**
 * The archive replay routes: `POST /replays` (`{from, to, stage?, invoiceId?, name?, dryRun?}`;
 * 202 when started, 200 for a dry run, 409 for a taken name) and `GET /replays/{name}`.
 *
 * @example
 * registerReplayRoutes(app, { topology, replays, clock });
 */

export interface ReplayRouteDeps {
  readonly topology: CellTopology;
  readonly replays: ReplayService;
  readonly clock: Clock;
}

const REPLAY_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const REPLAY_FIELDS = ['from', 'to', 'stage', 'invoiceId', 'name', 'dryRun'] as const;

/** `from` and `to` are required RFC 3339 date-times, `to` after `from`. */
function checkWindow(b: Record<string, unknown>, errors: FieldError[]): void {
  for (const key of ['from', 'to']) {
    const v = b[key];
    if (v === undefined) errors.push({ path: `/${key}`, message: 'is required' });
    else if (typeof v !== 'string' || parseRfc3339Ms(v) === undefined) {
      errors.push({ path: `/${key}`, message: 'must be an RFC 3339 date-time like "2026-11-20T09:15:00Z"' });
    }
  }
  // Date.parse, not parseRfc3339Ms: the order of two strings is checked even when one of them
  // failed the RFC 3339 check above, as it always was.
  if (typeof b.from === 'string' && typeof b.to === 'string' && Date.parse(b.from) >= Date.parse(b.to)) {
    errors.push({ path: '/to', message: 'must be after /from' });
  }
}

function replayBodyChecker(topology: CellTopology) {
  return (b: Record<string, unknown>, errors: FieldError[]): void => {
    checkWindow(b, errors);
    const s = b.stage;
    if (s !== undefined && (typeof s !== 'string' || !findStage(topology, s))) {
      errors.push({ path: '/stage', message: `must be one of: ${stageNameList(topology)}` });
    }
    optionalString(b, 'invoiceId', INVOICE_ID, 'must be an invoice id', errors);
    optionalString(b, 'name', REPLAY_NAME, 'must be 1 to 64 characters of letters, digits and . _ -', errors);
    optionalBoolean(b, 'dryRun', errors);
  };
}

export function registerReplayRoutes(app: FastifyInstance, deps: ReplayRouteDeps): void {
  const { topology, replays } = deps;
  const checkBody = replayBodyChecker(topology);

  const api = contractApp(app);

  api.route({
    ...contractRoute('replayStart'),
    handler: async (request, reply) => {
      requireJson(request);
      const body = objectBody(request.body, REPLAY_FIELDS, checkBody);
      const stage = typeof body.stage === 'string' ? findStage(topology, body.stage) : undefined;
      const name =
        (body.name as string | undefined) ?? `replay-${isoFromMs(deps.clock.now()).replace(/[:.]/g, '-')}`;
      try {
        const status = replays.start({
          name,
          fromMs: parseRfc3339Ms(body.from as string) as number,
          toMs: parseRfc3339Ms(body.to as string) as number,
          ...(stage ? { stage } : {}),
          ...(typeof body.invoiceId === 'string' ? { invoiceId: body.invoiceId } : {}),
          dryRun: body.dryRun === true,
        });
        return reply.code(body.dryRun === true ? 200 : 202).send(status);
      } catch (error) {
        if (error instanceof ReplayExistsError) throw new HttpError(409, error.message);
        throw error;
      }
    },
  });

  api.route({
    ...contractRoute('replayStatus'),
    handler: async (request) => {
      const { name } = request.params as { name: string };
      const status = replays.get(name);
      if (!status) throw new HttpError(404, `no replay named "${name}"`);
      return status;
    },
  });
}
