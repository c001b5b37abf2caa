import {
  CreateBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { s3ClientConfig } from '../../lib/aws/awsOptions.js';
import { StoreError } from '../../lib/errors.js';
import { S3Store } from '../../lib/store/s3Store.js';
import { localstack, uniqueName } from '../harness/services.js';
import { expectSameBytes, objectStoreContract, patternBytes, uploadInChunks } from './objectStoreContract.js';

const PAGE_SIZE = 10;
/** S3's minimum part size, so the contract's 12 MiB upload takes three parts. */
const PART_BYTES = 5 * 1024 * 1024;
let client: S3Client;
const bucket = uniqueName('astha-store');

beforeAll(async () => {
  client = new S3Client(s3ClientConfig(localstack()));
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});

objectStoreContract('S3 on LocalStack', {
  open: async () =>
    new S3Store(bucket, uniqueName('contract'), client, { pageSize: PAGE_SIZE, partBytes: PART_BYTES }),
  etagChangesOnIdenticalRewrite: false,
  paginationKeys: 45,
});

/** Counts the ListObjectsV2 requests a client sends. */
function countingClient(): { client: S3Client; lists: () => number } {
  const counting = new S3Client(s3ClientConfig(localstack()));
  let lists = 0;
  counting.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === ListObjectsV2Command.name) lists += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countLists' },
  );
  return { client: counting, lists: () => lists };
}

describe('S3Store', () => {
  it('fetches list pages lazily, one ListObjectsV2 per page', async () => {
    const { client: counting, lists } = countingClient();
    const store = new S3Store(bucket, uniqueName('pages'), counting, { pageSize: PAGE_SIZE });
    await Promise.all(
      Array.from({ length: 35 }, (_, i) => store.put(`k/${String(i).padStart(2, '0')}`, 'x')),
    );
    let seen = 0;
    for await (const _ of store.list('k/')) {
      seen += 1;
      if (seen === 5) break;
    }
    expect(lists()).toBe(1);
    const all = [];
    for await (const object of store.list('k/')) all.push(object.key);
    expect(all).toHaveLength(35);
    expect(lists()).toBe(1 + 4);
  });

  it('keeps keys relative to its prefix and sees nothing outside it', async () => {
    const prefix = uniqueName('scoped');
    const inner = new S3Store(bucket, `${prefix}/inner dir`, client);
    const outer = new S3Store(bucket, prefix, client);
    await inner.put('a.txt', 'inner');
    await outer.put('b.txt', 'outer');
    const innerKeys = [];
    for await (const object of inner.list('')) innerKeys.push(object.key);
    expect(innerKeys).toEqual(['a.txt']);
    expect(new TextDecoder().decode(await outer.get('inner dir/a.txt'))).toBe('inner');
    expect(inner.url).toBe(`s3://${bucket}/${prefix}/inner dir`);
  });

  it('reports a missing bucket as a non-retryable backend error', async () => {
    const store = new S3Store(uniqueName('no-such-bucket'), '', client);
    const error = await store.put('k', 'v').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'backend', retryable: false });
  });

  it('reports an unreachable endpoint as a retryable backend error', async () => {
    const unreachable = new S3Client({
      ...s3ClientConfig({ ...localstack(), endpoint: 'http://127.0.0.1:9' }),
      maxAttempts: 1,
    });
    const store = new S3Store(bucket, '', unreachable);
    const error = await store.get('k').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'backend', retryable: true });
  });
});

/** Counts the commands a client sends, by name; `failOn` makes the nth command of a name throw. */
function commandCounter(failOn?: { command: string; nth: number }): {
  client: S3Client;
  sent: Map<string, number>;
} {
  const counting = new S3Client(s3ClientConfig(localstack()));
  const sent = new Map<string, number>();
  counting.middlewareStack.add(
    (next, context) => (args) => {
      const name = context.commandName ?? '?';
      const count = (sent.get(name) ?? 0) + 1;
      sent.set(name, count);
      if (failOn?.command === name && failOn.nth === count) throw new Error(`injected failure of ${name}`);
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return { client: counting, sent };
}

async function pendingUploads(prefix: string): Promise<string[]> {
  const output = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return (output.Uploads ?? []).map((upload) => upload.Key ?? '');
}

describe('S3Store upload', () => {
  it('sends 12 MiB and a tail as a multipart upload of 5 MiB parts, pending until complete', async () => {
    const { client: counting, sent } = commandCounter();
    const prefix = uniqueName('mpu');
    const store = new S3Store(bucket, prefix, counting, { partBytes: PART_BYTES });
    const bytes = patternBytes(12 * 1024 * 1024 + 999, 3);
    const upload = store.upload('big.parq', { contentType: 'application/vnd.apache.parquet' });
    await uploadInChunks(upload, bytes, [2_500_001, 777]);
    // Two full parts went out while writing; the tail waits for complete.
    expect(sent.get('UploadPartCommand')).toBe(2);
    expect(await pendingUploads(prefix)).toEqual([`${prefix}/big.parq`]);
    const info = await upload.complete();
    expect(sent.get('CreateMultipartUploadCommand')).toBe(1);
    expect(sent.get('UploadPartCommand')).toBe(3);
    expect(sent.get('CompleteMultipartUploadCommand')).toBe(1);
    expect(sent.get('PutObjectCommand')).toBeUndefined();
    expect(info.etag).toMatch(/-3"$/); // S3's multipart ETag names the part count
    expect(await store.head('big.parq')).toMatchObject({ size: bytes.length, etag: info.etag });
    expectSameBytes(await store.get('big.parq'), bytes);
    expect(await pendingUploads(prefix)).toEqual([]);
  });

  it('sends an object smaller than a part as one PutObject', async () => {
    const { client: counting, sent } = commandCounter();
    const store = new S3Store(bucket, uniqueName('small'), counting);
    const upload = store.upload('small.bin');
    await uploadInChunks(upload, patternBytes(1_000_000), [300_000]);
    expect(sent.size).toBe(0); // nothing sent before complete
    await upload.complete();
    expect([...sent]).toEqual([['PutObjectCommand', 1]]);
  });

  it('abort ends the multipart upload: no object, no pending upload', async () => {
    const prefix = uniqueName('abort');
    const store = new S3Store(bucket, prefix, client, { partBytes: PART_BYTES });
    const upload = store.upload('gone.bin');
    await uploadInChunks(upload, patternBytes(11 * 1024 * 1024), [3_000_017]);
    expect(await pendingUploads(prefix)).toHaveLength(1);
    await upload.abort();
    expect(await pendingUploads(prefix)).toEqual([]);
    expect(await store.head('gone.bin')).toBeUndefined();
  });

  it('a failed part aborts the upload itself and reports a StoreError', async () => {
    const { client: failing } = commandCounter({ command: 'UploadPartCommand', nth: 2 });
    const prefix = uniqueName('failpart');
    const store = new S3Store(bucket, prefix, failing, { partBytes: PART_BYTES });
    const upload = store.upload('half.bin');
    const error = await uploadInChunks(upload, patternBytes(12 * 1024 * 1024), [4_000_000]).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'backend', message: /injected failure of UploadPartCommand/ });
    expect(await pendingUploads(prefix)).toEqual([]);
    expect(await store.head('half.bin')).toBeUndefined();
    await upload.abort(); // the caller's own abort is harmless
  });

  it('reports a missing bucket as a non-retryable backend error at the first part', async () => {
    const store = new S3Store(uniqueName('no-such-bucket'), '', client, { partBytes: PART_BYTES });
    const upload = store.upload('k');
    const error = await upload.write(patternBytes(PART_BYTES)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'backend', retryable: false });
  });

  it('refuses a part size below S3 minimum', () => {
    expect(() => new S3Store(bucket, '', client, { partBytes: 1024 * 1024 })).toThrow(StoreError);
  });
});
