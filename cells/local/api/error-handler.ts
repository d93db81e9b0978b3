import type { FastifyInstance } from 'fastify';
import type { ErrorAnswer } from '../../../schemas/api/index.js';
import type { CellTopology } from '../../topology.js';
import type { Logger } from '../logger.js';
import { isDiskFullError } from '../storage/db.js';
import { HttpError } from './http-error.js';
import { EMPTY_BODY_MESSAGE, unsupportedMediaTypeMessage } from './request-body.js';
import { stageNameList } from './route-params.js';

/**
 * The cell's one error handler and its 404 for unknown routes. Every error is answered as JSON
 * `{"message": ..., "errors"?: [...]}`:
 *
 * - an {@link HttpError} (thrown by any route: the cell's own, subscribers', plugins') with its
 *   status, headers and field errors;
 * - fastify's body errors as 413 / 415 / 400 with the cell's own wording;
 * - any other error carrying a 4xx `statusCode` with its message (fastify's own client errors, and
 *   plugin errors that are not yet {@link HttpError}s);
 * - a write that failed because the disk is full (`SQLITE_FULL` anywhere in its cause chain) as a
 *   503 with `Retry-After` ({@link diskFullHttpError}): nothing was applied, and it will work again
 *   once space returns;
 * - everything else as a logged 500 that reveals nothing.
 *
 * @example
 * registerErrorHandler(app, { topology, logger });
 */

export interface ErrorHandlerDeps {
  readonly topology: CellTopology;
  readonly logger: Logger;
}

type HandledError = Error & { code?: string; statusCode?: number };

/**
 * Seconds a client should wait after a disk-full 503: freeing space takes an operator, so a retry
 * within a second or two would only fail again.
 */
export const DISK_FULL_RETRY_AFTER_SEC = 10;

/** The 503 for a write refused because the disk is full; `what` says what was not done. */
export function diskFullHttpError(what = 'the request was not applied'): HttpError {
  return new HttpError(503, `the cell's disk is full: ${what}; retry once space is freed`, {
    headers: { 'retry-after': String(DISK_FULL_RETRY_AFTER_SEC) },
  });
}

/** fastify's body errors, answered in the cell's words; `undefined` for any other code. */
function bodyErrorAnswer(
  error: HandledError,
  contentType: string | undefined,
  maxBodyKiB: number,
): { status: number; message: string } | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: `request body exceeds ${maxBodyKiB} KiB` };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: unsupportedMediaTypeMessage(contentType) };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, message: EMPTY_BODY_MESSAGE };
    default:
      return undefined;
  }
}

/** The contract's error body: `errors` only when there are field errors. */
function errorAnswer(message: string, errors?: ErrorAnswer['errors']): ErrorAnswer {
  return errors ? { message, errors } : { message };
}

export function registerErrorHandler(app: FastifyInstance, deps: ErrorHandlerDeps): void {
  const { topology, logger } = deps;
  const stageNames = stageNameList(topology);

  app.setErrorHandler((error: HandledError, request, reply) => {
    if (isDiskFullError(error)) error = diskFullHttpError();
    if (error instanceof HttpError) {
      void reply.code(error.statusCode).headers(error.headers).send(errorAnswer(error.message, error.errors));
      return;
    }
    const bodyError = bodyErrorAnswer(error, request.headers['content-type'], topology.settings.maxBodyKiB);
    if (bodyError) return reply.code(bodyError.status).send(errorAnswer(bodyError.message));
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send(errorAnswer(error.message));
    logger.error('request failed', { method: request.method, url: request.url, error });
    return reply.code(500).send(errorAnswer('internal error; the request was not applied'));
  });

  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send(
        errorAnswer(
          `no route for ${request.method} ${request.url.split('?')[0]}; see GET /health, POST /invoices/{stage} (stages: ${stageNames})`,
        ),
      );
  });
}
