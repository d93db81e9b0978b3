import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { cellKeyProps } from './defaults/key-defaults.js';

/**
 * The key of the cell's standard dead-letter queues (bus DLQ, relay DLQs, stuck-monitor DLQ).
 *
 * Its own key, on purpose: a DLQ catches what failed, and the bus DLQ in particular catches events
 * the bus could not encrypt or decrypt because the *bus key* is disabled or gone
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-event-bus-dlq.html). A
 * DLQ under the key whose failure it catches cannot be written in exactly that case; the same
 * holds for a relay DLQ under its stage's topic key and for the stuck-monitor DLQ under the alert
 * topic key. This key encrypts nothing but DLQs, so none of those failures reaches it.
 *
 * EventBridge writes the bus and rule DLQs as a service principal, so it needs `kms:GenerateDataKey`
 * and `kms:Decrypt` in the key policy
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). The confused-deputy
 * conditions are `...IfExists`: AWS documents that EventBridge does not support `aws:SourceArn` /
 * `aws:SourceAccount` in the key policy of an encrypted SNS target
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html, "My rule runs,
 * but I don't see any messages published into my Amazon SNS topic") and says nothing either way for
 * SQS DLQs. With `IfExists`, a request that carries the keys must come from this account's
 * EventBridge resources, and one that does not carry them still succeeds
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists).
 * What EventBridge may send to each queue is limited by the queue policies, which name the bus or
 * rule (`aws:SourceArn`, documented for SQS targets:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html).
 *
 * @example
 * const dlqKey = new DeadLetterKey(this, 'DlqKey').key;
 * const busDlq = new sqs.Queue(this, 'BusDlq', standardDlqProps(dlqKey));
 */
export class DeadLetterKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', cellKeyProps('Dead-letter queues of an invoice cell'));
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeToWriteEncryptedDlqs',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEqualsIfExists: { 'aws:SourceAccount': stack.account },
          ArnLikeIfExists: {
            'aws:SourceArn': stack.formatArn({ service: 'events', resource: '*' }),
          },
        },
      }),
    );
  }
}
