import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type CellFunctionSettings, cellFunctionProps } from './defaults/function-defaults.js';
import { DEFAULT_LOG_RETENTION, encryptedLogGroupProps } from './defaults/log-group-defaults.js';

export interface CellFunctionProps extends CellFunctionSettings {
  readonly logsKey: kms.IKey;
  /** @default DEFAULT_LOG_RETENTION */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Actions without resource-level permissions that the wiring construct will grant on `*`
   * (besides X-Ray's), named in the cdk-nag acknowledgment of the role.
   */
  readonly unscopedActions?: readonly string[];
}

/**
 * A cell Lambda with its own role and its own encrypted log group. The role starts empty (no
 * AWS-managed basic execution policy): it may write to its log group only, and every other
 * permission is granted by the construct that wires the function.
 *
 * @example
 * const relay = new CellFunction(this, 'IngestionRelay', { code, description, environment, timeout, logsKey });
 * topic.grantPublish(relay.role);
 */
export class CellFunction extends Construct {
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly fn: lambda.Function;

  constructor(scope: Construct, id: string, props: CellFunctionProps) {
    super(scope, id);
    if (props.retryAttempts !== undefined && (props.retryAttempts < 0 || props.retryAttempts > 2)) {
      throw new Error(`cell function ${id}: retryAttempts must be 0..2, got ${props.retryAttempts}`);
    }
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.logGroup = new logs.LogGroup(
      this,
      'Logs',
      encryptedLogGroupProps(props.logsKey, props.logRetention ?? DEFAULT_LOG_RETENTION),
    );
    this.logGroup.grantWrite(this.role);
    this.fn = new lambda.Function(this, 'Function', cellFunctionProps(props, this.role, this.logGroup));
    const unscoped = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', ...(props.unscopedActions ?? [])];
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        `${unscoped.join(', ')} support no resource-level permissions, so they are granted on "*"; ` +
        'every other statement of this role names its resources.',
    });
  }
}
