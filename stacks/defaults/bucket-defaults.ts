import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RETAINED } from './retained.js';

/**
 * A private bucket of the cell (the monthly reports, the rollups' error reports): SSE-KMS under
 * the cell's key with a bucket key (fewer KMS calls), TLS only, no ACLs, no public access,
 * retained. Callers add their versioning and lifecycle. Pure.
 *
 * @example
 * new s3.Bucket(this, 'Reports', { ...privateBucketProps(key), versioned: true });
 */
export function privateBucketProps(key: kms.IKey): s3.BucketProps {
  return {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: key,
    bucketKeyEnabled: true,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RETAINED,
  };
}
