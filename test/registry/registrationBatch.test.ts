import { describe, expect, test } from 'vitest';
import type { S3ObjectRef } from '../../lib/registry/planRegistration.js';
import type { Registry } from '../../lib/registry/registry.js';
import { countRequests } from './countRequests.js';
import { land, options, warehouse } from './landedObjects.js';
import { ordersParquet } from './parquetFiles.js';
import { BACKENDS, freshRegistry } from './registryBackends.js';

async function one(registry: Registry, sql: string): Promise<Record<string, unknown>> {
  return (await registry.client.execute(sql)).rows[0] as Record<string, unknown>;
}

/** A table with one registered file, and a store to land more in. */
async function tableWithAFile(registry: Registry) {
  const store = warehouse();
  const first = await registry.registerObject(
    await land(store, 'sales/orders/data/part-0.parquet', ordersParquet(10)),
    store,
    options,
  );
  expect(first.status).toBe('registered');
  return store;
}

describe.each(BACKENDS)('registration in one request on %s', (backend) => {
  test('new files of an existing table are written in one write request, no transaction', async () => {
    const registry = await freshRegistry(backend);
    const store = await tableWithAFile(registry);
    const objects = await Promise.all(
      [1, 2, 3].map((i) => land(store, `sales/orders/data/part-${i}.parquet`, ordersParquet(5 + i))),
    );
    let transactions = 0;
    let batches = 0;
    const transaction = registry.client.transaction.bind(registry.client);
    const batch = registry.client.batch.bind(registry.client);
    Object.assign(registry.client, {
      transaction: (...args: Parameters<typeof transaction>) => {
        transactions++;
        return transaction(...args);
      },
      batch: (...args: Parameters<typeof batch>) => {
        batches++;
        return batch(...args);
      },
    });
    const requests = countRequests(registry.client);
    const outcomes = await registry.registerBatch(objects, store, options);
    requests.stop();

    expect(outcomes.map((o) => o.status)).toEqual(['registered', 'registered', 'registered']);
    expect(transactions).toBe(0);
    expect(batches).toBe(1);
    // Plan (one read: the files registered already), then the tables, then the write (which
    // holds only while no older version of a key exists, and meets the unique key if the same
    // object was registered meanwhile: no reads of their own for those).
    expect(requests.count()).toBe(3);
    const ids = outcomes.map((o) => (o.status === 'registered' ? o.fileId : 0));
    const stats = await registry.client.execute({
      sql: 'SELECT file_id, record_count FROM file_statistics WHERE file_id IN (?, ?, ?) ORDER BY file_id',
      args: ids,
    });
    expect(stats.rows.map((r) => [r.file_id, r.record_count])).toEqual([
      [ids[0], 6],
      [ids[1], 7],
      [ids[2], 8],
    ]);
    expect(await one(registry, 'SELECT file_count, row_count FROM tables')).toMatchObject({
      file_count: 4,
      row_count: 10 + 6 + 7 + 8,
    });
    // Ids follow the order of the objects, as they do one at a time.
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  test('a schema change between the reads and the write sends the batch down the transactional path', async () => {
    const registry = await freshRegistry(backend);
    const store = await tableWithAFile(registry);
    const wider = await land(
      store,
      'sales/orders/data/part-w.parquet',
      ordersParquet(3, { extraColumns: ['region'] }),
    );
    const object = await land(store, 'sales/orders/data/part-1.parquet', ordersParquet(4));
    const outcomes = await registry.registerBatch([object], store, {
      ...options,
      faults: {
        // Another registration widens the schema meanwhile.
        afterReads: async () => {
          expect((await registry.registerObject(wider, store, options)).status).toBe('registered');
        },
      },
    });
    expect(outcomes[0]).toMatchObject({ status: 'registered' });
    const file = await registry.client.execute({
      sql: 'SELECT f.schema_id, m.schema_id AS current FROM table_files f JOIN table_metadata m ON m.table_id = f.table_id WHERE f.id = ?',
      args: [outcomes[0]?.status === 'registered' ? outcomes[0].fileId : 0],
    });
    // Fitted against the schema the table has now, not the one read before the change.
    expect(file.rows[0]?.['schema_id']).toBe(file.rows[0]?.['current']);
    expect(Number(file.rows[0]?.['current'])).toBeGreaterThan(0);
    expect(await one(registry, 'SELECT count(*) AS n FROM file_statistics')).toMatchObject({ n: 3 });
    expect(await one(registry, 'SELECT file_count, row_count FROM tables')).toMatchObject({
      file_count: 3,
      row_count: 10 + 3 + 4,
    });
  });

  test('the same object registered by another writer meanwhile is a duplicate, counted once', async () => {
    const registry = await freshRegistry(backend);
    const store = await tableWithAFile(registry);
    const object = await land(store, 'sales/orders/data/part-1.parquet', ordersParquet(4));
    let theirs = 0;
    const outcomes = await registry.registerBatch([object], store, {
      ...options,
      faults: {
        afterReads: async () => {
          const outcome = await registry.registerObject(object, store, options);
          theirs = outcome.status === 'registered' ? outcome.fileId : -1;
        },
      },
    });
    expect(theirs).toBeGreaterThan(0);
    expect(outcomes[0]).toMatchObject({ status: 'duplicate', fileId: theirs });
    expect(await one(registry, 'SELECT count(*) AS n FROM table_files')).toMatchObject({ n: 2 });
    expect(await one(registry, 'SELECT count(*) AS n FROM file_statistics')).toMatchObject({ n: 2 });
    expect(await one(registry, 'SELECT file_count, row_count FROM tables')).toMatchObject({
      file_count: 2,
      row_count: 14,
    });
  });

  test('another version of the key registered meanwhile is superseded, as if registered one after the other', async () => {
    const registry = await freshRegistry(backend);
    const store = await tableWithAFile(registry);
    const path = 'sales/orders/data/part-1.parquet';
    const ours = await land(store, path, ordersParquet(4));
    let theirs: S3ObjectRef | undefined;
    const outcomes = await registry.registerBatch([ours], store, {
      ...options,
      faults: {
        // Another writer registers another version of the key after our reads.
        afterReads: async () => {
          theirs = await land(store, path, ordersParquet(6));
          expect((await registry.registerObject(theirs, store, options)).status).toBe('registered');
        },
      },
    });
    expect(outcomes[0]).toMatchObject({ status: 'registered' });
    const versions = await registry.client.execute({
      sql: 'SELECT etag, iceberg_state FROM table_files WHERE path LIKE ? ORDER BY id',
      args: ['%part-1.parquet'],
    });
    // Written after theirs, ours supersedes it: never two live versions of one key.
    expect(versions.rows.map((r) => [r.etag, r.iceberg_state])).toEqual([
      [theirs?.etag, 'removed'],
      [ours.etag, 'pending'],
    ]);
    expect(await one(registry, 'SELECT file_count, row_count FROM tables')).toMatchObject({
      file_count: 2,
      row_count: 14,
    });
  });
});
