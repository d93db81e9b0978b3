import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { RETAINED } from './retained.js';

/** Default retention of a cell's log groups (Lambda logs, API access and execution logs). */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

/**
 * Props of an encrypted, retained log group with a generated name. Pure.
 *
 * @example
 * const logGroup = new logs.LogGroup(this, 'Logs', encryptedLogGroupProps(logsKey));
 */
export function encryptedLogGroupProps(
  key: kms.IKey,
  retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
): logs.LogGroupProps {
  return { encryptionKey: key, retention, removalPolicy: RETAINED };
}
