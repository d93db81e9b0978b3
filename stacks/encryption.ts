import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * Customer-managed keys and encrypted log groups, the way every construct of a cell makes them.
 *
 * @example
 * const key = new kms.Key(this, 'Key', cellKeyProps('ingestion stage topic and queues'));
 * const logGroup = new logs.LogGroup(this, 'Logs', encryptedLogGroupProps(logsKey));
 */

/** Props of every customer-managed key of a cell. Pure. */
export function cellKeyProps(description: string): kms.KeyProps {
  return {
    description,
    enableKeyRotation: true,
    // Data encrypted under a deleted key is lost: keys outlive the stack, and a scheduled
    // deletion can still be cancelled for the longest window KMS allows.
    removalPolicy: RemovalPolicy.RETAIN,
    pendingWindow: Duration.days(30),
  };
}

/** Default retention of a cell's log groups (Lambda logs, API access and execution logs). */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

/** Props of an encrypted log group with a generated name. Pure. */
export function encryptedLogGroupProps(
  key: kms.IKey,
  retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
): logs.LogGroupProps {
  return { encryptionKey: key, retention, removalPolicy: RemovalPolicy.RETAIN };
}

/**
 * The key every log group of a cell is encrypted with. CloudWatch Logs uses it through its
 * regional service principal, limited to this account's log groups in this region
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
 */
export class LogsKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', cellKeyProps('CloudWatch Logs of an invoice cell'));
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsOfThisAccountAndRegion',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }
}
