import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * Writes objects to one S3 bucket with `PutObject`, encrypted server-side under a named KMS key
 * (SSE-KMS: `ServerSideEncryption: 'aws:kms'` and the key id on every request, so an object is
 * never written under another key, whatever the bucket default). The report Lambda's port to S3
 * ({@link ObjectWriter}); tests pass a fake or mock the client with aws-sdk-client-mock.
 *
 * @example
 * const writer = new S3ObjectWriter({ client: new S3Client({ region }), bucket, kmsKeyArn });
 * await writer.put({ key: 'reports/2026-10.json', body, contentType: 'application/json; charset=utf-8' });
 */

/** One object to write. */
export interface ObjectToWrite {
  readonly key: string;
  readonly body: string;
  readonly contentType: string;
}

/** What a written object is: where, and its version when the bucket is versioned. */
export interface WrittenObject {
  readonly key: string;
  /** `s3://bucket/key` */
  readonly uri: string;
  readonly bytes: number;
  readonly versionId?: string;
}

/** The port: writes one object, answers where it is. */
export interface ObjectWriter {
  readonly bucket: string;
  put(object: ObjectToWrite): Promise<WrittenObject>;
}

/** S3 refused or could not take the object; names the key, the status and S3's error code. */
export class ObjectWriteError extends Error {
  readonly status: number | undefined;
  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ObjectWriteError';
    this.status = options.status;
  }
}

export interface S3ObjectWriterOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** The key objects are encrypted under (ARN or id). */
  readonly kmsKeyArn: string;
}

/** Bucket names S3 accepts (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export class S3ObjectWriter implements ObjectWriter {
  readonly bucket: string;
  readonly #options: S3ObjectWriterOptions;

  constructor(options: S3ObjectWriterOptions) {
    if (!BUCKET_NAME.test(options.bucket)) {
      throw new ObjectWriteError(`bucket must be an S3 bucket name, got ${JSON.stringify(options.bucket)}`);
    }
    if (options.kmsKeyArn === '') throw new ObjectWriteError('kmsKeyArn must not be empty, got ""');
    this.bucket = options.bucket;
    this.#options = options;
  }

  async put(object: ObjectToWrite): Promise<WrittenObject> {
    const body = Buffer.from(object.body, 'utf8');
    let versionId: string | undefined;
    try {
      ({ VersionId: versionId } = await this.#options.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: object.key,
          Body: body,
          ContentType: object.contentType,
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: this.#options.kmsKeyArn,
        }),
      ));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const code = (error as { name?: string }).name ?? 'Error';
      throw new ObjectWriteError(
        `PutObject ${object.key} to bucket ${this.bucket}: ${status === undefined ? '' : `HTTP ${status} `}${code}: ${(error as Error).message}`,
        { ...(status === undefined ? {} : { status }), cause: error },
      );
    }
    return {
      key: object.key,
      uri: `s3://${this.bucket}/${object.key}`,
      bytes: body.length,
      ...(versionId ? { versionId } : {}),
    };
  }
}
