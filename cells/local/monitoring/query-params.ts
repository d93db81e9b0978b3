import type { FastifyRequest } from 'fastify';
import { isoFromMs, parseRfc3339Ms } from '../../../schemas/time.js';
import type { CellTopology, StageName } from '../../topology.js';
import { HttpError } from '../api/http-error.js';

/**
 * Query parameters of the monitoring routes: `stage`, the `from`/`to` window, `cell` and
 * `historySec`. Each parser throws an {@link HttpError} 400 whose message names the parameter and
 * shows the bad value, which the cell's error handler answers as `{ message }`.
 *
 * @example
 * const query = queryOf(request);
 * const { fromMs, toMs } = windowParam(query, clock.now());
 * const stage = stageParam(query, topology);
 */

/** The parsed query string of a request (fastify gives a string, or an array when repeated). */
export type QueryParams = Readonly<Record<string, unknown>>;

/** The window a route covers without `from`/`to`: the last 24 h. */
export const DEFAULT_WINDOW_MS = 86_400_000;

const CELL_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** The query parameters of `request`, `{}` when it has none. */
export function queryOf(request: FastifyRequest): QueryParams {
  return (request.query ?? {}) as QueryParams;
}

/** A parameter given at most once; undefined when absent. */
export function singleParam(query: QueryParams, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new HttpError(400, `query parameter ${name} must be given once`);
  return value;
}

/** `stage`: one of the topology's stages; undefined when absent or empty. */
export function stageParam(query: QueryParams, topology: CellTopology): StageName | undefined {
  const value = singleParam(query, 'stage');
  if (value === undefined || value === '') return undefined;
  const stage = topology.stages.find((s) => s.name === value);
  if (!stage) {
    throw new HttpError(
      400,
      `stage must be one of ${topology.stages.map((s) => s.name).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return stage.name;
}

/** An RFC 3339 time parameter as epoch ms; undefined when absent. */
export function timeParam(query: QueryParams, name: string): number | undefined {
  const value = singleParam(query, name);
  if (value === undefined) return undefined;
  const ms = parseRfc3339Ms(value);
  if (ms === undefined) {
    throw new HttpError(
      400,
      `${name} must be an RFC 3339 time like 2026-11-20T09:00:00Z, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/** `from`/`to` of a window; the last 24 h before `nowMs` by default. */
export function windowParam(query: QueryParams, nowMs: number): { fromMs: number; toMs: number } {
  const toMs = timeParam(query, 'to') ?? nowMs;
  const fromMs = timeParam(query, 'from') ?? toMs - DEFAULT_WINDOW_MS;
  if (fromMs >= toMs) {
    throw new HttpError(400, `from must be before to, got from=${isoFromMs(fromMs)} to=${isoFromMs(toMs)}`);
  }
  return { fromMs, toMs };
}

/** `cell`: a cell name (letters, digits, `.`, `_`, `-`); undefined when absent. */
export function cellParam(query: QueryParams): string | undefined {
  const cell = singleParam(query, 'cell');
  if (cell !== undefined && !CELL_NAME.test(cell)) {
    throw new HttpError(
      400,
      `cell must be a cell name (letters, digits, . _ -), got ${JSON.stringify(cell)}`,
    );
  }
  return cell;
}

/** `historySec`: a positive whole number of seconds; undefined when absent. */
export function historySecParam(query: QueryParams): number | undefined {
  const raw = singleParam(query, 'historySec');
  if (raw === undefined) return undefined;
  const historySec = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(historySec) || historySec < 1) {
    throw new HttpError(400, `historySec must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return historySec;
}
