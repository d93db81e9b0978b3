import type { FastifyRequest } from 'fastify';
import { type CellTopology, findStage, type StageTopology } from '../../topology.js';
import { HttpError } from './http-error.js';

/**
 * Path and body values the routes share: the `:stage` parameter (404 naming the known stages) and
 * the shapes of invoice ids.
 *
 * @example
 * const stage = stageParam(topology, request); // or HttpError 404
 */

/** An invoice id as the routes accept it (the schemas' own rule is checked on ingest). */
export const INVOICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/** `ingestion, validation, ...`: the stages named in error messages. */
export function stageNameList(topology: CellTopology): string {
  return topology.stages.map((s) => s.name).join(', ');
}

/** The stage named by the request's `:stage` parameter; throws 404 for an unknown one. */
export function stageParam(topology: CellTopology, request: FastifyRequest): StageTopology {
  const name = (request.params as { stage?: string }).stage ?? '';
  const stage = findStage(topology, name);
  if (!stage) {
    throw new HttpError(404, `unknown stage "${name}"; known stages: ${stageNameList(topology)}`);
  }
  return stage;
}
