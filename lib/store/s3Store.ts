/**
 * ObjectStore on S3 (or LocalStack/MinIO through an endpoint override). Keys are relative
 * to the store's prefix. SDK errors are translated into StoreError here and nowhere else:
 * 412 and 409 ConditionalRequestConflict are a retryable `conflict`, a missing key is
 * `not_found`, 416 is `invalid_range`, 5xx and throttling are retryable `backend` errors.
 */
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { type AwsOptions, s3ClientConfig } from '../aws/awsOptions.js';
import { StoreError } from '../errors.js';
import {
  type GetOptions,
  guardedUpload,
  type ListedObject,
  type ObjectInfo,
  type ObjectStore,
  type ObjectUpload,
  type PutOptions,
  toBytes,
  validateKey,
  validatePrefix,
  validateRange,
} from './objectStore.js';

export interface S3StoreOptions {
  /** ListObjectsV2 page size (1..1000); small values let tests force several pages. */
  pageSize?: number;
  /** Multipart part size of `upload` (default 8 MiB; S3 refuses parts under 5 MiB but the last). */
  partBytes?: number;
}

const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
const MIN_PART_BYTES = 5 * 1024 * 1024;
/** S3's limit on parts per multipart upload. */
const MAX_PARTS = 10_000;

const THROTTLING = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
]);

export class S3Store implements ObjectStore {
  readonly url: string;
  readonly client: S3Client;
  private readonly keyPrefix: string;
  private readonly pageSize: number | undefined;
  private readonly partBytes: number;

  /** `prefix` may be empty; leading and trailing slashes are ignored. */
  constructor(
    readonly bucket: string,
    prefix: string,
    client: S3Client | AwsOptions,
    options: S3StoreOptions = {},
  ) {
    const trimmed = prefix.replace(/^\/+|\/+$/g, '');
    if (trimmed !== '') validateKey(trimmed);
    this.keyPrefix = trimmed === '' ? '' : `${trimmed}/`;
    this.url = `s3://${bucket}/${trimmed}`;
    this.client = client instanceof S3Client ? client : new S3Client(s3ClientConfig(client));
    this.pageSize = options.pageSize;
    this.partBytes = options.partBytes ?? DEFAULT_PART_BYTES;
    if (!Number.isSafeInteger(this.partBytes) || this.partBytes < MIN_PART_BYTES) {
      throw new StoreError(
        'backend',
        `part size ${this.partBytes} is below S3's minimum of ${MIN_PART_BYTES}`,
      );
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const Range = options.range ? rangeHeader(options.range) : undefined;
    const IfMatch = options.ifMatch === undefined ? undefined : quoted(options.ifMatch);
    const output = await this.call('get', key, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key), Range, IfMatch })),
    );
    if (!output.Body) return new Uint8Array(0);
    return await output.Body.transformToByteArray();
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const output = await this.call('head', key, () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) })),
      );
      return {
        key,
        size: output.ContentLength ?? 0,
        etag: output.ETag ?? '',
        lastModified: output.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (error instanceof StoreError && error.code === 'not_found') return undefined;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    validatePrefix(prefix);
    let ContinuationToken: string | undefined;
    do {
      const page = await this.call('list', prefix, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.keyPrefix + prefix,
            ContinuationToken,
            MaxKeys: this.pageSize,
          }),
        ),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield {
          key: object.Key.slice(this.keyPrefix.length),
          size: object.Size ?? 0,
          etag: object.ETag ?? '',
          lastModified: object.LastModified ?? new Date(0),
        };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<ObjectInfo> {
    return this.write('put', key, body, options, {});
  }

  putIfAbsent(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<ObjectInfo> {
    return this.write('putIfAbsent', key, body, options, { IfNoneMatch: '*' });
  }

  putIfMatch(
    key: string,
    body: Uint8Array | string,
    etag: string,
    options: PutOptions = {},
  ): Promise<ObjectInfo> {
    return this.write('putIfMatch', key, body, options, { IfMatch: etag });
  }

  async delete(key: string): Promise<void> {
    await this.call('delete', key, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) })),
    );
  }

  /**
   * Buffers one part; the multipart upload is created when the first part is full and each
   * full part is sent (one at a time, so one part is all that is held). An object smaller
   * than a part is a single PutObject at `complete`. Abort ends a started multipart upload.
   */
  upload(key: string, options: PutOptions = {}): ObjectUpload {
    const Key = this.fullKey(key);
    const Bucket = this.bucket;
    let part: Uint8Array | undefined;
    let filled = 0;
    let uploadId: string | undefined;
    const parts: CompletedPart[] = [];
    let size = 0;

    const sendPart = async (body: Uint8Array): Promise<void> => {
      if (uploadId === undefined) {
        const created = await this.call('upload', key, () =>
          this.client.send(
            new CreateMultipartUploadCommand({
              Bucket,
              Key,
              ContentType: options.contentType,
              ChecksumAlgorithm: 'CRC32',
            }),
          ),
        );
        uploadId = created.UploadId;
        if (uploadId === undefined)
          throw this.backendError(key, 'CreateMultipartUpload returned no UploadId');
      }
      const PartNumber = parts.length + 1;
      if (PartNumber > MAX_PARTS) throw this.backendError(key, `more than ${MAX_PARTS} parts`);
      const UploadId = uploadId;
      const sent = await this.call('upload', key, () =>
        this.client.send(
          new UploadPartCommand({
            Bucket,
            Key,
            UploadId,
            PartNumber,
            Body: body,
            ChecksumAlgorithm: 'CRC32',
          }),
        ),
      );
      parts.push({ PartNumber, ETag: sent.ETag, ChecksumCRC32: sent.ChecksumCRC32 });
    };

    return guardedUpload(key, {
      write: async (chunk) => {
        for (let done = 0; done < chunk.length; ) {
          part ??= new Uint8Array(this.partBytes);
          const take = Math.min(chunk.length - done, part.length - filled);
          part.set(chunk.subarray(done, done + take), filled);
          filled += take;
          done += take;
          size += take;
          if (filled === part.length) {
            // The part buffer is reused: UploadPart has sent it once its promise resolves.
            await sendPart(part);
            filled = 0;
          }
        }
      },
      complete: async () => {
        const tail = part ? part.subarray(0, filled) : new Uint8Array(0);
        if (uploadId === undefined) {
          const info = await this.write('upload', key, tail, options, {});
          part = undefined;
          return info;
        }
        if (filled > 0) await sendPart(tail);
        part = undefined;
        const UploadId = uploadId;
        const output = await this.call('upload', key, () =>
          this.client.send(
            new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
          ),
        );
        uploadId = undefined; // completed: nothing left to abort
        return { key, size, etag: output.ETag ?? '', lastModified: new Date() };
      },
      abort: async () => {
        part = undefined;
        if (uploadId === undefined) return;
        const UploadId = uploadId;
        await this.call('abort upload', key, () =>
          this.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })),
        );
        uploadId = undefined;
      },
    });
  }

  private backendError(key: string, message: string): StoreError {
    const location = `s3://${this.bucket}/${this.keyPrefix}${key}`;
    return new StoreError('backend', `upload ${location}: ${message}`, { details: { location } });
  }

  private async write(
    operation: string,
    key: string,
    body: Uint8Array | string,
    options: PutOptions,
    condition: Pick<PutObjectCommandInput, 'IfMatch' | 'IfNoneMatch'>,
  ): Promise<ObjectInfo> {
    const bytes = toBytes(body);
    const output = await this.call(operation, key, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.fullKey(key),
          Body: bytes,
          ContentType: options.contentType,
          ...condition,
        }),
      ),
    );
    // PutObject does not return Last-Modified; the client's clock is close enough for callers.
    return { key, size: bytes.length, etag: output.ETag ?? '', lastModified: new Date() };
  }

  private fullKey(key: string): string {
    return this.keyPrefix + validateKey(key);
  }

  private async call<T>(operation: string, key: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw toStoreError(error, operation, `s3://${this.bucket}/${this.keyPrefix}${key}`);
    }
  }
}

/** S3's Range header is inclusive at both ends; ours is [start, end). */
function rangeHeader(range: { start: number; end?: number }): string {
  validateRange(range);
  return `bytes=${range.start}-${range.end === undefined ? '' : range.end - 1}`;
}

interface SdkErrorShape {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** S3 compares If-Match against the quoted ETag. */
function quoted(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

function toStoreError(error: unknown, operation: string, location: string): StoreError {
  if (error instanceof StoreError) return error;
  const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = sdk.$metadata?.httpStatusCode;
  const name = sdk.Code ?? sdk.name ?? 'Error';
  const reason = error instanceof Error ? error.message : String(error);
  const options = { cause: error, details: { operation, location, status, name } };
  if (status === 412 || name === 'PreconditionFailed' || name === 'ConditionalRequestConflict') {
    const lost = operation === 'get' ? 'the object is another version now' : 'conditional write lost';
    return new StoreError('conflict', `${operation} ${location}: ${lost} (${name})`, {
      ...options,
      retryable: true,
    });
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchBucket')) {
    return new StoreError('not_found', `no such key ${location} (${name})`, options);
  }
  if (status === 416 || name === 'InvalidRange') {
    return new StoreError('invalid_range', `${operation} ${location}: range not satisfiable`, options);
  }
  // No status at all means the request never got an answer (connection refused, reset, timeout).
  const transient =
    status === undefined || status >= 500 || THROTTLING.has(name) || sdk.$retryable !== undefined;
  return new StoreError('backend', `${operation} ${location} failed: ${name}: ${reason}`, {
    ...options,
    retryable: transient,
  });
}
