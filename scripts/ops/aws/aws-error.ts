import { NotFoundError, OpsError } from '../backend.js';

/**
 * AWS SDK errors as {@link OpsError}s: one line an operator can act on, the SDK error as `cause`.
 * Every AWS call of the CLI goes through {@link awsCall}, so no verb recognises SDK errors itself.
 *
 * @example
 * const out = await awsCall(`GetQueueAttributes ${name}`, () => sqs.send(command));
 */
const NOT_FOUND_NAMES = new Set([
  'ResourceNotFoundException',
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'ResourceNotFound',
  'NotFoundException',
]);

/** An AWS SDK error as an {@link OpsError} with one line for the operator. Pure. */
export function awsError(what: string, error: unknown): OpsError {
  if (error instanceof OpsError) return error;
  const e = error as { name?: string; message?: string; Code?: string };
  const name = e?.name ?? 'Error';
  const message = e?.message ?? String(error);
  if (NOT_FOUND_NAMES.has(name) || NOT_FOUND_NAMES.has(e?.Code ?? '')) {
    return new NotFoundError(`${what}: not found (${name}: ${message})`, { cause: error });
  }
  if (name === 'CredentialsProviderError' || /credential/i.test(name)) {
    return new OpsError(
      `${what}: no usable AWS credentials (${message}); set AWS_PROFILE or run aws sso login`,
      { cause: error },
    );
  }
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(name)) {
    return new OpsError(`${what}: access denied (${message})`, { cause: error });
  }
  return new OpsError(`${what} failed: ${name}: ${message}`, { cause: error });
}

/** Runs one AWS call (or a paginated loop of them), mapping a failure with {@link awsError}. */
export async function awsCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw awsError(what, error);
  }
}
