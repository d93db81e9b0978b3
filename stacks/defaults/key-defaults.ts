import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { RETAINED } from './retained.js';

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
    // deletion can still be cancelled for the longest window KMS allows. A key created by a
    // create that rolled back protects nothing yet and is deleted (see `RETAINED`).
    removalPolicy: RETAINED,
    pendingWindow: Duration.days(30),
  };
}
