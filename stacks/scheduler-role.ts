import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * The role EventBridge Scheduler assumes to run one Lambda function: invoke that function and
 * dead-letter a delivery it gave up on to an encrypted DLQ, nothing else. Only schedules of this
 * account's default schedule group may assume it (the confused-deputy conditions of
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
 * The stuck monitor's and the monthly report's schedules each have one (construct id `SchedulerRole`).
 *
 * @example
 * const role = schedulerInvokeRole(this, { description, functionArn: fn.functionArn, dlq, dlqKey });
 */
export function schedulerInvokeRole(
  scope: Construct,
  props: { description: string; functionArn: string; dlq: sqs.IQueue; dlqKey: kms.IKey },
): iam.Role {
  const stack = Stack.of(scope);
  const scheduleGroupArn = stack.formatArn({
    service: 'scheduler',
    resource: 'schedule-group',
    resourceName: 'default',
  });
  const role = new iam.Role(scope, 'SchedulerRole', {
    description: props.description,
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': scheduleGroupArn },
      },
    }),
  });
  role.addToPolicy(
    new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.functionArn] }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.dlq.queueArn] }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [props.dlqKey.keyArn],
    }),
  );
  return role;
}
