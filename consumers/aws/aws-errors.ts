/**
 * AWS SDK v3 error shapes, recognised here so that no core module has to know them: the adapters
 * (Timestream store, ops CLI backend) translate what this recognises into their port's error.
 */

/** The parts of an SDK v3 service or network error this module reads. */
interface AwsErrorShape {
  readonly name?: string;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly code?: string;
}

/** Service errors that say "try again later" without being marked `$retryable`. */
const TRANSIENT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'InternalServerException',
]);

/** Node socket errors the SDK's HTTP handler passes through (a reset or timed-out connection). */
const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ETIMEDOUT']);

/**
 * True for an AWS SDK error worth retrying: marked `$retryable`, throttling, an internal error, an
 * HTTP 5xx, or a reset / timed-out connection. Pure.
 *
 * @example
 * try {
 *   await client.send(command);
 * } catch (error) {
 *   if (isTransientAwsError(error)) throw new TransientStoreError('WriteRecords failed', { cause: error });
 *   throw error;
 * }
 */
export function isTransientAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as AwsErrorShape;
  if (e.$retryable) return true;
  if (e.name !== undefined && TRANSIENT_ERROR_NAMES.has(e.name)) return true;
  if ((e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return e.code !== undefined && TRANSIENT_NETWORK_CODES.has(e.code);
}

/** `Name: message` of an error, for messages that wrap it. Pure. */
export function describeAwsError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
