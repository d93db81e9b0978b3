import type { FastifyInstance } from 'fastify';
import type { EngineHandle } from '../engine/engine-host.js';
import type { Logger } from '../logger.js';
import { contractApp, contractRoute } from './contract-route.js';
import { HttpError } from './http-error.js';
import { objectBody, requireJson } from './request-body.js';

/**
 * Fault injection, registered only with `--enable-fault-injection`: `POST /admin/faults`
 * (`{"failEventIds": [...]}`: the store refuses those events) and `DELETE /admin/faults`.
 *
 * @example
 * if (faultInjection) registerFaultRoutes(app, { engine: () => engine, logger });
 */

export interface FaultRouteDeps {
  readonly engine: () => EngineHandle | undefined;
  readonly logger: Logger;
}

const MAX_FAULT_IDS = 10_000;

export function registerFaultRoutes(app: FastifyInstance, deps: FaultRouteDeps): void {
  const engine = (): EngineHandle => {
    const e = deps.engine();
    if (!e) throw new HttpError(503, 'the engine is not running');
    return e;
  };

  const api = contractApp(app);
  api.route({
    ...contractRoute('faultsSet'),
    handler: async (request) => {
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
      deps.logger.warn('fault injection: store will refuse events', { count: ids.length });
      return { failEventIds: ids };
    },
  });

  api.route({
    ...contractRoute('faultsClear'),
    handler: async () => {
      await engine().setFaults([]);
      return { failEventIds: [] };
    },
  });
}
