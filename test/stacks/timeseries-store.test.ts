import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { type buildTopology, CELL_TOPOLOGY } from '../../cells/topology.js';
import { PARTITION_DIMENSION, TimeseriesStore } from '../../stacks/timeseries-store.js';
import { logicalIdOf, synthCells, templateJson } from './cell-fixture.js';

const { settings } = CELL_TOPOLOGY;

describe('TimeseriesStore', () => {
  let template: Template;
  let keyId: string;
  let bucketId: string;

  beforeAll(() => {
    const found = synthCells('us-east-1').templates.get('us-east-1');
    if (!found) throw new Error('us-east-1 was not synthesized');
    template = found;
    keyId = logicalIdOf(template, 'AWS::KMS::Key', 'StoreKey');
    bucketId = logicalIdOf(template, 'AWS::S3::Bucket', 'StoreRejectedData');
  });

  describe('database', () => {
    it('is encrypted with the store customer-managed key', () => {
      template.hasResourceProperties('AWS::Timestream::Database', {
        KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      });
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });
  });

  describe('table', () => {
    it('keeps records in the memory and magnetic stores for the topology retention', () => {
      template.hasResourceProperties('AWS::Timestream::Table', {
        DatabaseName: { Ref: logicalIdOf(template, 'AWS::Timestream::Database', 'StoreDatabase') },
        RetentionProperties: {
          MemoryStoreRetentionPeriodInHours: String(settings.memoryRetentionHours),
          MagneticStoreRetentionPeriodInDays: String(settings.magneticRetentionDays),
        },
      });
    });

    it('accepts late records through magnetic-store writes and reports rejects to the KMS bucket', () => {
      template.hasResourceProperties('AWS::Timestream::Table', {
        MagneticStoreWriteProperties: {
          EnableMagneticStoreWrites: true,
          MagneticStoreRejectedDataLocation: {
            S3Configuration: {
              BucketName: { Ref: bucketId },
              EncryptionOption: 'SSE_KMS',
              KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
              ObjectKeyPrefix: Match.anyValue(),
            },
          },
        },
      });
    });

    it('is partitioned by the invoiceId dimension of the record', () => {
      expect(PARTITION_DIMENSION).toBe('invoiceId');
      template.hasResourceProperties('AWS::Timestream::Table', {
        Schema: {
          CompositePartitionKey: [{ Type: 'DIMENSION', Name: 'invoiceId', EnforcementInRecord: 'REQUIRED' }],
        },
      });
    });
  });

  describe('rejected-data bucket', () => {
    it('is KMS-encrypted, versioned, private and TLS-only', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
              },
            }),
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('is retained with the database, the table and the key', () => {
      const resources = templateJson(template).Resources;
      for (const id of [
        bucketId,
        keyId,
        logicalIdOf(template, 'AWS::Timestream::Database', 'StoreDatabase'),
        logicalIdOf(template, 'AWS::Timestream::Table', 'StoreTable'),
      ]) {
        // Retained on update and delete; a create that rolls back leaves nothing to block a retry.
        expect(resources[id]?.DeletionPolicy).toBe('RetainExceptOnCreate');
      }
    });
  });

  describe('grantWrite', () => {
    it('grants WriteRecords on the table, DescribeEndpoints and writing rejected-record reports, nothing else', () => {
      // Prepare
      const stack = new Stack(new App(), 'S', { env: { region: 'us-east-1', account: '111122223333' } });
      const store = new TimeseriesStore(stack, 'Store', { settings });
      const role = new iam.Role(stack, 'Writer', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });

      // Act
      store.grantWrite(role);
      const t = Template.fromStack(stack);

      // Assess
      const tableId = logicalIdOf(t, 'AWS::Timestream::Table', 'StoreTable');
      const bucket = logicalIdOf(t, 'AWS::S3::Bucket', 'StoreRejectedData');
      const key = logicalIdOf(t, 'AWS::KMS::Key', 'StoreKey');
      t.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            { Action: 'timestream:DescribeEndpoints', Effect: 'Allow', Resource: '*' },
            // Timestream writes the reports with the writer's identity: the writer needs exactly this.
            {
              Action: 's3:PutObject',
              Effect: 'Allow',
              Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/rejected-records/*']] },
            },
            { Action: 's3:GetBucketAcl', Effect: 'Allow', Resource: { 'Fn::GetAtt': [bucket, 'Arn'] } },
            { Action: 'kms:GenerateDataKey', Effect: 'Allow', Resource: { 'Fn::GetAtt': [key, 'Arn'] } },
            {
              Action: 'timestream:WriteRecords',
              Effect: 'Allow',
              Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
            },
          ],
        },
      });
    });
  });

  describe('constructor', () => {
    const newStore = (overrides: Parameters<typeof buildTopology>[0]) => () => {
      const stack = new Stack(new App(), 'S', { env: { region: 'us-east-1', account: '111122223333' } });
      return new TimeseriesStore(stack, 'Store', { settings: { ...settings, ...overrides } });
    };

    it('rejects a memory retention above Timestream maximum, showing the value', () => {
      expect(newStore({ memoryRetentionHours: 9000 })).toThrow(
        'timeseries store memoryRetentionHours must be an integer in 1..8766, got 9000',
      );
    });

    it('rejects a magnetic retention of zero days, showing the value', () => {
      expect(newStore({ magneticRetentionDays: 0 })).toThrow(
        'magneticRetentionDays must be an integer in 1..73000, got 0',
      );
    });
  });
});
