import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { s3ClientConfig } from '../../lib/aws/awsOptions.js';
import { StoreError } from '../../lib/errors.js';
import { S3Store } from '../../lib/store/s3Store.js';
import { localstack, uniqueName } from '../harness/services.js';
import { objectStoreContract } from './objectStoreContract.js';

const PAGE_SIZE = 10;
let client: S3Client;
const bucket = uniqueName('astha-store');

beforeAll(async () => {
  client = new S3Client(s3ClientConfig(localstack()));
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});

objectStoreContract('S3 on LocalStack', {
  open: async () => new S3Store(bucket, uniqueName('contract'), client, { pageSize: PAGE_SIZE }),
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
