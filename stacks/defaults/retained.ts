import { RemovalPolicy } from 'aws-cdk-lib';

/**
 * The removal policy of everything a cell keeps: CloudFormation's `RetainExceptOnCreate`
 * (`DeletionPolicy: RetainExceptOnCreate`, `UpdateReplacePolicy: Retain`). It behaves like `Retain`
 * on stack updates and deletes, but a resource created by a stack operation that rolls back is
 * deleted, so a failed first deploy leaves no named bus (or orphaned keys, queues, log groups)
 * behind and can simply be retried
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html,
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.RemovalPolicy.html).
 *
 * @example
 * bus.applyRemovalPolicy(RETAINED);
 */
export const RETAINED = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
