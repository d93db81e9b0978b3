import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FieldError } from '../../../schemas/index.js';
import { HttpError } from './http-error.js';

/**
 * Reading and checking request bodies: the JSON parser every route shares, the content-type check,
 * and the small validator of the ops routes' JSON object bodies (unknown fields refused, each
 * problem reported with its JSON pointer).
 *
 * @example
 * requireJson(request);
 * const body = objectBody(request.body, ['dryRun'], (b, errors) => optionalBoolean(b, 'dryRun', errors));
 */

export const EMPTY_BODY_MESSAGE = 'request body is empty: send one event or {"events": [...]}';

/** Field checks of one route body; pushes a {@link FieldError} per problem. */
export type BodyChecker = (body: Record<string, unknown>, errors: FieldError[]) => void;

/** `"<prefix>: /a is required; /b must be ..."`, at most five problems spelled out. */
export function describeFieldErrors(prefix: string, errors: readonly FieldError[]): string {
  const shown = errors.slice(0, 5).map((e) => `${e.path || '(body)'} ${e.message}`);
  const more = errors.length > 5 ? `; and ${errors.length - 5} more` : '';
  return `${prefix}: ${shown.join('; ')}${more}`;
}

export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const mediaType = value.split(';')[0]?.trim().toLowerCase();
  return mediaType === 'application/json';
}

/** The answer to a body that is not `application/json` (also the error handler's, for fastify's). */
export function unsupportedMediaTypeMessage(contentType: string | undefined): string {
  return `content-type ${contentType ?? '(none)'} is not supported: use application/json`;
}

/** Throws 415 unless the request says its body is JSON. */
export function requireJson(request: FastifyRequest): void {
  if (!isJsonContentType(request.headers['content-type'])) {
    throw new HttpError(415, unsupportedMediaTypeMessage(request.headers['content-type']));
  }
}

/**
 * Parses JSON bodies with `JSON.parse` instead of fastify's secure-json-parse: `__proto__` keys are
 * harmless here (the schemas refuse unknown fields) and plain `JSON.parse` is measurably cheaper
 * per request. An empty or malformed body is a 400.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(new HttpError(400, EMPTY_BODY_MESSAGE), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new HttpError(400, `request body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });
}

/** Parses an optional JSON object body of an ops route, refusing unknown fields. */
export function objectBody(
  body: unknown,
  allowed: readonly string[],
  check: BodyChecker,
): Record<string, unknown> {
  if (body === undefined || body === null) body = {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'request body must be a JSON object');
  }
  const record = body as Record<string, unknown>;
  const errors: FieldError[] = Object.keys(record)
    .filter((k) => !allowed.includes(k))
    .map((k) => ({ path: `/${k}`, message: 'is not an allowed field' }));
  check(record, errors);
  if (errors.length > 0) {
    throw new HttpError(400, describeFieldErrors('invalid request', errors), { errors });
  }
  return record;
}

/** `b[key]`, when present, must be a string matching `pattern`; `rule` says what it must be. */
export function optionalString(
  b: Record<string, unknown>,
  key: string,
  pattern: RegExp,
  rule: string,
  errors: FieldError[],
): void {
  const v = b[key];
  if (v !== undefined && (typeof v !== 'string' || !pattern.test(v)))
    errors.push({ path: `/${key}`, message: rule });
}

/** `b[key]`, when present, must be a boolean. */
export function optionalBoolean(b: Record<string, unknown>, key: string, errors: FieldError[]): void {
  const v = b[key];
  if (v !== undefined && typeof v !== 'boolean')
    errors.push({ path: `/${key}`, message: 'must be true or false' });
}
