import type { FieldError } from '../../../schemas/index.js';

/**
 * An error the local cell answers with its status, message, field errors and headers: thrown by
 * any route (ingest, ops, monitoring, subscribers) and turned into the JSON error body by the
 * cell's one error handler.
 *
 * @example
 * throw new HttpError(400, 'from must be before to', { errors: [{ path: '/from', message: '…' }] });
 */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    statusCode: number,
    message: string,
    options: { errors?: readonly FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}
