import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';

/**
 * Props of every customer-managed key of a cell: rotated yearly, retained with the data it
 * protects. Pure.
 *
 * @example
 * const key = new kms.Key(this, 'TopicKey', cellKeyProps('ingestion stage topic of an invoice cell'));
 */
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
