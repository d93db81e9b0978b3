import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ObjectWriteError, S3ObjectWriter } from '../../../consumers/aws/s3-object-writer.js';

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const BUCKET = 'invoicecell-reports-abc123';
const s3 = mockClient(S3Client);

function writer(): S3ObjectWriter {
  return new S3ObjectWriter({
    client: new S3Client({ region: 'us-east-1' }),
    bucket: BUCKET,
    kmsKeyArn: KEY_ARN,
  });
}

describe('S3ObjectWriter', () => {
  beforeEach(() => s3.reset());

  describe('put', () => {
    it('puts the object with SSE-KMS under the key and the content type, and answers where it is', async () => {
      // Prepare
      s3.on(PutObjectCommand).resolves({ VersionId: 'v-1' });

      // Act
      const written = await writer().put({
        key: 'reports/2026-10.json',
        body: '{"month":"2026-10","é":1}',
        contentType: 'application/json; charset=utf-8',
      });

      // Assess
      const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
      expect({ ...input, Body: Buffer.from(input?.Body as Uint8Array).toString('utf8') }).toEqual({
        Bucket: BUCKET,
        Key: 'reports/2026-10.json',
        Body: '{"month":"2026-10","é":1}',
        ContentType: 'application/json; charset=utf-8',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: KEY_ARN,
      });
      expect(written).toEqual({
        key: 'reports/2026-10.json',
        uri: `s3://${BUCKET}/reports/2026-10.json`,
        bytes: 26,
        versionId: 'v-1',
      });
    });

    it("fails naming the key, S3's status and error code when S3 refuses the object", async () => {
      // Prepare
      s3.on(PutObjectCommand).rejects(
        new S3ServiceException({
          name: 'AccessDenied',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
          message: 'Access Denied',
        }),
      );

      // Act
      const error = await writer()
        .put({ key: 'reports/2026-10.csv', body: 'a', contentType: 'text/csv' })
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ObjectWriteError);
      expect((error as ObjectWriteError).status).toBe(403);
      expect((error as Error).message).toBe(
        `PutObject reports/2026-10.csv to bucket ${BUCKET}: HTTP 403 AccessDenied: Access Denied`,
      );
    });

    it('fails naming the key when the request cannot be sent', async () => {
      // Prepare
      s3.on(PutObjectCommand).rejects(new Error('connect ETIMEDOUT'));

      // Act
      const error = await writer()
        .put({ key: 'reports/2026-10.html', body: 'a', contentType: 'text/html' })
        .catch((e: unknown) => e);

      // Assess
      expect((error as ObjectWriteError).status).toBeUndefined();
      expect((error as Error).message).toBe(
        `PutObject reports/2026-10.html to bucket ${BUCKET}: Error: connect ETIMEDOUT`,
      );
    });
  });

  it('refuses a bucket name S3 would not take and an empty key id', () => {
    // Act
    const make = (bucket: string, kmsKeyArn: string) => () =>
      new S3ObjectWriter({ client: new S3Client({ region: 'us-east-1' }), bucket, kmsKeyArn });

    // Assess
    expect(make('Reports_Bucket', KEY_ARN)).toThrow('bucket must be an S3 bucket name, got "Reports_Bucket"');
    expect(make(BUCKET, '')).toThrow('kmsKeyArn must not be empty, got ""');
  });
});
