import type { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { LAMBDA_ARCHITECTURE, LAMBDA_HANDLER, LAMBDA_RUNTIME } from '../lambda-code.js';

/** What differs between the Lambda functions of a cell; everything else is {@link cellFunctionProps}. */
export interface CellFunctionSettings {
  readonly code: lambda.Code;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeout: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** Asynchronous invocations only: where events go after the async retries. */
  readonly deadLetterQueue?: sqs.IQueue;
  /** Asynchronous invocations only: Lambda's own retries (0..2). */
  readonly retryAttempts?: number;
  /** Asynchronous invocations only: how long Lambda keeps retrying (60 s..6 h). */
  readonly maxEventAge?: Duration;
}

/**
 * Function props every Lambda of a cell shares: the runtime and architecture of the bundles, JSON
 * logs to its own log group, active tracing, source maps. Pure.
 *
 * @example
 * new lambda.Function(this, 'Function', cellFunctionProps({ code, description, environment, timeout }, role, logGroup));
 */
export function cellFunctionProps(
  settings: CellFunctionSettings,
  role: iam.IRole,
  logGroup: logs.ILogGroup,
): lambda.FunctionProps {
  return {
    runtime: LAMBDA_RUNTIME,
    architecture: LAMBDA_ARCHITECTURE,
    handler: LAMBDA_HANDLER,
    code: settings.code,
    description: settings.description,
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    timeout: settings.timeout,
    memorySize: settings.memorySize ?? 512,
    tracing: lambda.Tracing.ACTIVE,
    environment: { NODE_OPTIONS: '--enable-source-maps', ...settings.environment },
    ...(settings.deadLetterQueue ? { deadLetterQueue: settings.deadLetterQueue } : {}),
    ...(settings.retryAttempts !== undefined ? { retryAttempts: settings.retryAttempts } : {}),
    ...(settings.maxEventAge ? { maxEventAge: settings.maxEventAge } : {}),
  };
}
