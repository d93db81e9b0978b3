/**
 * RDS Data API errors, sorted by what a caller may do about them. Recognised here, at the adapter,
 * so the PostgreSQL store never knows an SDK error's shape.
 *
 * Sources: the Data API's exceptions as the SDK declares them (`@aws-sdk/client-rds-data`
 * models; https://docs.aws.amazon.com/botocore/latest/reference/services/rds-data.html lists the
 * same), the troubleshooting page
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.troubleshooting.html:
 * "Transaction <id> isn't found" after 3 idle minutes or an earlier error), and for SQL errors the message format of DatabaseErrorException on
 * Aurora PostgreSQL: `ERROR: <message>; SQLState: <code>` (the Data API exposes the SQLSTATE only
 * in the text: https://github.com/boto/botocore/issues/2300,
 * https://github.com/cloud-utils/aurora-data-api/issues/53).
 */

import { isTransientSqlState } from '../postgresql/sql-executor.js';

/**
 * - `not-run`: the request was refused before any SQL ran (`DatabaseResumingException`: "the Data
 *   API request automatically resumes the DB instance. Wait a few seconds and try again",
 *   https://docs.aws.amazon.com/botocore/latest/reference/services/rds-data/client/exceptions/DatabaseResumingException.html;
 *   the writer unavailable; the service unavailable; throttling). Safe to resend, even inside a
 *   transaction.
 * - `transient`: may succeed later, but the statement may have run (an internal error, a timeout,
 *   a dropped connection) or its transaction is gone (deadlock, serialization failure, an expired
 *   transaction). Resent only outside a transaction; inside one, the caller repeats the whole
 *   transaction.
 * - `statement`: the database refused the statement (`DatabaseErrorException` with any other
 *   SQLSTATE): retrying cannot help.
 * - `other`: configuration and permission errors (AccessDenied, InvalidSecret, HttpEndpointNotEnabled,
 *   DatabaseNotFound: "the DB cluster doesn't have a DB instance"...), passed on as thrown.
 */
export type DataApiFailureKind = 'not-run' | 'transient' | 'statement' | 'other';

export interface DataApiFailure {
  readonly kind: DataApiFailureKind;
  /** PostgreSQL's SQLSTATE, when the message carries one. */
  readonly sqlState?: string;
  /** The message without the SQLSTATE suffix. */
  readonly message: string;
}

const NOT_RUN_NAMES: ReadonlySet<string> = new Set([
  'DatabaseResumingException',
  'DatabaseUnavailableException',
  'ServiceUnavailableError',
  'ThrottlingException',
  'TooManyRequestsException',
]);

const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  'InternalServerErrorException',
  'StatementTimeoutException',
  // The transaction expired (3 minutes idle) or an earlier error ended it: repeat the transaction.
  'TransactionNotFoundException',
  'TimeoutError',
]);

const STATEMENT_NAMES: ReadonlySet<string> = new Set(['DatabaseErrorException', 'BadRequestException']);

const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNREFUSED',
]);

interface SdkErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly $retryable?: { readonly throttling?: boolean };
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/**
 * Sorts a Data API (SDK v3) error into {@link DataApiFailureKind}. Pure.
 *
 * @example
 * classifyDataApiError(new DatabaseErrorException({ message: 'ERROR: deadlock detected; SQLState: 40P01', $metadata: {} }));
 * // { kind: 'transient', sqlState: '40P01', message: 'ERROR: deadlock detected' }
 */
export function classifyDataApiError(error: unknown): DataApiFailure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = e.name ?? '';
  const fullMessage = e.message ?? String(error);
  const match = /;\s*SQLState:\s*(\w{5})\s*$/.exec(fullMessage);
  const sqlState = match?.[1];
  const message = match ? fullMessage.slice(0, match.index) : fullMessage;
  const withState = sqlState === undefined ? { message } : { message, sqlState };
  const status = e.$metadata?.httpStatusCode ?? 0;
  if (NOT_RUN_NAMES.has(name) || e.$retryable?.throttling === true || status === 429) {
    return { kind: 'not-run', ...withState };
  }
  if (STATEMENT_NAMES.has(name)) {
    return { kind: isTransientSqlState(sqlState) ? 'transient' : 'statement', ...withState };
  }
  if (
    TRANSIENT_NAMES.has(name) ||
    e.$retryable !== undefined ||
    status >= 500 ||
    (e.code !== undefined && TRANSIENT_NETWORK_CODES.has(e.code))
  ) {
    return { kind: 'transient', ...withState };
  }
  return { kind: 'other', ...withState };
}
