/**
 * inspectParquet through the real ObjectStore adapters (filesystem, memory, S3 on LocalStack):
 * the same inspection as from the in-test store, and only the footer's bytes requested.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ClientConfig } from '../../lib/aws/awsOptions.js';
import { inspectParquet } from '../../lib/parquet/inspectParquet.js';
import { FsStore } from '../../lib/store/fsStore.js';
import { MemoryStore } from '../../lib/store/memoryStore.js';
import type { ObjectStore } from '../../lib/store/objectStore.js';
import { S3Store } from '../../lib/store/s3Store.js';
import { localstack, uniqueName } from '../harness/services.js';
import { CountingStore, withReadLog } from './countingStore.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'parquet');
const files: Record<string, Uint8Array> = {
  'warehouse/db/t/data/all_types.parquet': new Uint8Array(readFileSync(join(FIXTURES, 'all_types.parquet'))),
  'warehouse/db/t/data/region=eu%2Fwest/nested.parquet': new Uint8Array(
    readFileSync(join(FIXTURES, 'nested.parquet')),
  ),
  'warehouse/db/t/data/big.parquet': new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: 'n', data: Array.from({ length: 200_000 }, (_, i) => i), type: 'INT32' },
        { name: 's', data: Array.from({ length: 200_000 }, (_, i) => `row ${i}`), type: 'STRING' },
      ],
      rowGroupSize: 50_000,
      codec: 'UNCOMPRESSED',
    }),
  ),
};

let dir: string;
const stores: Array<[string, () => Promise<ObjectStore>]> = [
  ['FsStore', async () => new FsStore(dir)],
  ['MemoryStore', async () => new MemoryStore(uniqueName('parquet'))],
  [
    'S3Store on LocalStack',
    async () => {
      const client = new S3Client(s3ClientConfig(localstack()));
      const bucket = uniqueName('astha-parquet');
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return new S3Store(bucket, 'prefix', client);
    },
  ],
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'astha-parquet-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.each(stores)('inspectParquet through %s', (_, open) => {
  it('gives the same inspection as the in-memory reference, reading only footers', async () => {
    const inner = await open();
    for (const [key, bytes] of Object.entries(files)) await inner.put(key, bytes);
    const store = withReadLog(inner);
    const reference = new CountingStore(files);
    for (const [key, bytes] of Object.entries(files)) {
      const inspection = await inspectParquet(store, key);
      expect(inspection).toEqual(await inspectParquet(reference, key, bytes.length));
      expect(inspection.fileSize).toBe(bytes.length);
    }
    expect(store.reads.heads).toEqual(Object.keys(files));
    // Each file: its tail; files above 64 KiB also their leading magic (4 bytes).
    const large = Object.values(files).filter((bytes) => bytes.length > 65536).length;
    expect(store.reads.gets).toHaveLength(Object.keys(files).length + large);
    const big = files['warehouse/db/t/data/big.parquet']!;
    expect(big.length).toBeGreaterThan(2_000_000);
    const bigReads = store.reads.gets.filter((read) => read.key.endsWith('big.parquet'));
    expect(bigReads).toContainEqual({ key: 'warehouse/db/t/data/big.parquet', start: 0, end: 4 });
    const bigRead = bigReads.find((read) => read.start > 0);
    expect(bigRead).toEqual({
      key: 'warehouse/db/t/data/big.parquet',
      start: big.length - 65536,
      end: big.length,
    });
  });
});
