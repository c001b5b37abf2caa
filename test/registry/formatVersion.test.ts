/**
 * astha writes Iceberg format-version 2 tables; a file whose columns exist only in v3
 * (nanosecond timestamps) would make PyIceberg and DuckDB refuse the whole table, so it is
 * rejected with the reason and never reaches Iceberg.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsStore } from '../../lib/store/fsStore.js';
import { ordersParquet } from './parquetFiles.js';
import { freshRegistry } from './registryBackends.js';

const root = mkdtempSync(join(tmpdir(), 'astha-v3-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('format-version 2 tables', () => {
  it('reject a file with nanosecond timestamps, naming the columns, and keep the good files', async () => {
    const registry = await freshRegistry('file');
    const store = new FsStore(root);
    mkdirSync(join(root, 'lab/readings/data'), { recursive: true });
    // all_types.parquet (pyarrow) has timestamp[ns] columns with and without a time zone.
    copyFileSync(
      join('test', 'fixtures', 'parquet', 'all_types.parquet'),
      join(root, 'lab/readings/data/ns.parquet'),
    );
    const good = await store.put('lab/orders/data/a.parquet', ordersParquet(4));
    const ns = await store.head('lab/readings/data/ns.parquet');
    const outcomes = await registry.registerBatch(
      [
        { bucket: 'local', key: 'lab/readings/data/ns.parquet', size: ns!.size, etag: ns!.etag },
        { bucket: 'local', key: 'lab/orders/data/a.parquet', size: good.size, etag: good.etag },
      ],
      store,
    );
    expect(outcomes[0]).toMatchObject({ status: 'rejected' });
    expect(outcomes[0]?.status === 'rejected' && outcomes[0].reason).toMatch(
      /nanosecond timestamps.*format v3/,
    );
    expect(outcomes[1]?.status).toBe('registered');
    registry.close();
  });
});
