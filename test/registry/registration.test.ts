import { describe, expect, test } from 'vitest';
import { toSingleValue } from '../../lib/iceberg/spec/singleValue.js';
import type { Schema } from '../../lib/iceberg/spec/types.js';
import type { S3ObjectRef } from '../../lib/registry/planRegistration.js';
import { openRegistry, type Registry } from '../../lib/registry/registry.js';
import type { FsStore } from '../../lib/store/fsStore.js';
import type { GetOptions } from '../../lib/store/objectStore.js';
import { BUCKET, land, options, PREFIX, warehouse } from './landedObjects.js';
import { ordersParquet, stringIdParquet, wideParquet } from './parquetFiles.js';
import { BACKENDS, cdcRowsAfter, freshRegistry, lastCdcId, urlOf } from './registryBackends.js';

async function count(registry: Registry, sql: string): Promise<number> {
  return Number((await registry.client.execute(sql)).rows[0]?.n);
}

describe.each(BACKENDS)('registration on %s', (backend) => {
  test('first sight creates namespace, table, metadata, file and statistics in one go', async () => {
    const registry = await freshRegistry(backend);
    const store = warehouse();
    const event = await land(store, 'sales/orders/data/day=2024-01-02/part-0.parquet', ordersParquet(10));
    const start = await lastCdcId(registry);
    const outcome = await registry.registerObject(event, store, options);
    expect(outcome).toMatchObject({ status: 'registered', tableCreated: true, schemaEvolved: false });
    if (outcome.status !== 'registered') return;

    const table = await registry.tableByName('sales', 'orders');
    expect(table).toMatchObject({
      id: outcome.tableId,
      bucket: BUCKET,
      key_prefix: 'sales/orders',
      location: `${store.url}/sales/orders`,
      row_count: 10,
      total_size: event.size,
      file_count: 1,
    });
    expect(table?.last_modified).toMatch(/Z$/);

    const metadata = await registry.tableMetadata(outcome.tableId);
    const schema = JSON.parse(metadata!.schema_json) as Schema;
    expect(schema.fields.map((f) => [f.id, f.name, f.type])).toEqual([
      [1, 'id', 'long'],
      [2, 'customer', 'string'],
      [3, 'amount', 'double'],
      [4, 'day', 'date'],
    ]);
    expect(metadata?.last_column_id).toBe(4);
    expect(JSON.parse(metadata!.partition_spec_json)).toEqual({
      'spec-id': 0,
      fields: [{ name: 'day', transform: 'identity', 'source-id': 4, 'field-id': 1000 }],
    });

    const [file] = await registry.pendingFiles(outcome.tableId);
    expect(file).toMatchObject({
      id: outcome.fileId,
      path: 'sales/orders/data/day=2024-01-02/part-0.parquet',
      uri: `${store.url}/sales/orders/data/day=2024-01-02/part-0.parquet`,
      etag: event.etag,
      row_count: 10,
      partition_path: 'day=2024-01-02',
      iceberg_state: 'pending',
      schema_id: 0,
    });
    expect(JSON.parse(file!.partition_values_json)).toEqual({ day: '2024-01-02' });

    const stats = await registry.fileStatistics(outcome.fileId);
    expect(stats).toMatchObject({ record_count: 10, file_size: event.size, column_count: 3 });
    const id = stats?.columns.find((c) => c.fieldId === 1);
    expect(id).toMatchObject({ values: 10, nulls: 0 });
    expect(id?.lower).toEqual(toSingleValue('long', 1n));
    expect(id?.upper).toEqual(toSingleValue('long', 10n));
    expect(stats?.columns.find((c) => c.fieldId === 3)).toMatchObject({ values: 10, nulls: 3 });

    const cdc = await cdcRowsAfter(registry, start);
    expect(cdc.map((r) => `${r.tablename} ${r.operation}`)).toEqual([
      'tables INSERT',
      'table_metadata INSERT',
      'table_files INSERT',
      'file_statistics INSERT',
      'tables UPDATE',
    ]);
  });

  test('a 300-column file is a handful of CDC rows, its statistics one row keyed by field id', async () => {
    const registry = await freshRegistry(backend);
    const store = warehouse();
    const start = await lastCdcId(registry);
    const outcome = await registry.registerObject(
      await land(store, 'wide/t/data/a.parquet', wideParquet(300)),
      store,
      options,
    );
    expect(outcome.status).toBe('registered');
    expect((await cdcRowsAfter(registry, start)).length).toBe(5);
    const stats = await registry.fileStatistics(outcome.status === 'registered' ? outcome.fileId : 0);
    expect(stats?.column_count).toBe(300);
    expect(stats?.columns.map((c) => c.fieldId)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(stats?.columns[299]).toMatchObject({ values: 10, nulls: 0 });
  });

  test('the same S3 event 5 times: one file row, one set of CDC rows, stats unchanged', async () => {
    const registry = await freshRegistry(backend);
    const store = warehouse();
    const event = await land(store, 'sales/orders/data/a.parquet', ordersParquet(5));
    const start = await lastCdcId(registry);
    const first = await registry.registerObject(event, store, options);
    const afterFirst = await lastCdcId(registry);
    const table = await registry.tableByName('sales', 'orders');
    for (let i = 0; i < 3; i++) {
      expect(await registry.registerObject(event, store, options)).toMatchObject({ status: 'duplicate' });
    }
    // Twice in one batch, too.
    const batch = await registry.registerBatch(
      [event, { ...event, etag: `"${event.etag}"` }],
      store,
      options,
    );
    expect(batch.map((o) => o.status)).toEqual(['duplicate', 'duplicate']);
    expect(first.status).toBe('registered');
    expect(await count(registry, 'SELECT count(*) AS n FROM table_files')).toBe(1);
    expect(await lastCdcId(registry)).toBe(afterFirst);
    expect((await cdcRowsAfter(registry, start)).length).toBe(5);
    expect(await registry.tableByName('sales', 'orders')).toEqual(table);
  });

  test('a duplicate inside one batch is written once', async () => {
    const registry = await freshRegistry(backend);
    const store = warehouse();
    const event = await land(store, 'sales/orders/data/a.parquet', ordersParquet(5));
    const outcomes = await registry.registerBatch([event, event], store, options);
    expect(outcomes.map((o) => o.status)).toEqual(['registered', 'duplicate']);
    expect((await registry.tableByName('sales', 'orders'))?.file_count).toBe(1);
  });

  test('a file with new columns evolves the schema in the same transaction; stats use table ids', async () => {
    const registry = await freshRegistry(backend);
    const store = warehouse();
    await registry.registerObject(
      await land(store, 'sales/orders/data/a.parquet', ordersParquet(4)),
      store,
      options,
    );
    const wider = await land(
      store,
      'sales/orders/data/b.parquet',
      ordersParquet(6, { extraColumns: ['discount'] }),
    );
    const start = await lastCdcId(registry);
    const outcome = await registry.registerObject(wider, store, options);
    expect(outcome).toMatchObject({ status: 'registered', tableCreated: false, schemaEvolved: true });
    if (outcome.status !== 'registered') return;
    const metadata = await registry.tableMetadata(outcome.tableId);
    expect(metadata?.schema_id).toBe(1);
    const schema = JSON.parse(metadata!.schema_json) as Schema;
    expect(schema['schema-id']).toBe(1);
    expect(schema.fields.at(-1)).toEqual({ id: 4, name: 'discount', required: false, type: 'int' });
    const stats = await registry.fileStatistics(outcome.fileId);
    expect(stats?.columns.map((c) => c.fieldId)).toEqual([1, 2, 3, 4]);
    const [file] = await registry.filesByState('pending', {
      tableId: outcome.tableId,
      afterId: outcome.fileId - 1,
    });
    expect(file?.schema_id).toBe(1);
    const cdc = await cdcRowsAfter(registry, start);
    expect(cdc.map((r) => `${r.tablename} ${r.operation}`)).toEqual([
      'table_metadata UPDATE',
      'table_files INSERT',
      'file_statistics INSERT',
      'tables UPDATE',
    ]);
    expect((await registry.tableByName('sales', 'orders'))?.row_count).toBe(10);
  });

  test('an incompatible file becomes a rejected row with the reason; stats unchanged', async () => {
    const registry = await freshRegistry(backend);
    const store = warehouse();
    await registry.registerObject(
      await land(store, 'sales/orders/data/a.parquet', ordersParquet(4)),
      store,
      options,
    );
    const before = await registry.tableByName('sales', 'orders');
    const outcome = await registry.registerObject(
      await land(store, 'sales/orders/data/bad.parquet', stringIdParquet()),
      store,
      options,
    );
    expect(outcome).toMatchObject({
      status: 'rejected',
      reason: expect.stringMatching(/"id".*string.*long/),
    });
    const [rejected] = await registry.filesByState('rejected');
    expect(rejected).toMatchObject({ path: 'sales/orders/data/bad.parquet', row_count: 2 });
    expect(rejected?.reject_reason).toMatch(/schema incompatible/);
    expect((await registry.tableByName('sales', 'orders'))?.row_count).toBe(before?.row_count);
    expect((await registry.tableMetadata(before!.id))?.schema_id).toBe(0);
  });

  test('a file for a dropped table is a rejected row; stats stay as they were', async () => {
    const registry = await freshRegistry(backend);
    const store = warehouse();
    await registry.registerObject(
      await land(store, 'sales/orders/data/a.parquet', ordersParquet(2)),
      store,
      options,
    );
    await registry.client.execute("UPDATE tables SET state = 'dropped'");
    const outcome = await registry.registerObject(
      await land(store, 'sales/orders/data/b.parquet', ordersParquet(3)),
      store,
      options,
    );
    expect(outcome).toMatchObject({ status: 'rejected', reason: 'table sales.orders is dropped' });
    expect(await registry.tableByName('sales', 'orders')).toMatchObject({ row_count: 2, file_count: 1 });
  });

  test('partition columns and values must fit the table', async () => {
    const registry = await freshRegistry(backend);
    const store = warehouse();
    await registry.registerObject(
      await land(store, 'sales/orders/data/day=2024-01-01/a.parquet', ordersParquet(2)),
      store,
      options,
    );
    const outcomes = await registry.registerBatch(
      [
        await land(store, 'sales/orders/data/day=yesterday/b.parquet', ordersParquet(2)),
        await land(store, 'sales/orders/data/c.parquet', ordersParquet(2)),
        await land(store, 'sales/orders/data/day=__HIVE_DEFAULT_PARTITION__/d.parquet', ordersParquet(2)),
      ],
      store,
      options,
    );
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'registered']);
    expect(outcomes[0]).toMatchObject({ reason: expect.stringMatching(/day=yesterday.*date/) });
    expect(outcomes[1]).toMatchObject({ reason: expect.stringMatching(/partition columns \(none\).*day/) });
    const [, nullPartition] = await registry.pendingFiles(
      outcomes[2]!.status === 'registered' ? outcomes[2]!.tableId : 0,
    );
    expect(JSON.parse(nullPartition!.partition_values_json)).toEqual({ day: null });
  });

  test('an overwrite of a key supersedes the older version; a removal fixes the stats', async () => {
    const registry = await freshRegistry(backend);
    const store = warehouse();
    const v1 = await land(store, 'sales/orders/data/a.parquet', ordersParquet(3));
    await registry.registerObject(v1, store, options);
    await registry.registerObject(
      await land(store, 'sales/orders/data/b.parquet', ordersParquet(7)),
      store,
      options,
    );
    // A stale notification for v1 after the key was rewritten is not registered again.
    const v2 = await land(store, 'sales/orders/data/a.parquet', ordersParquet(5));
    expect(await registry.registerObject({ ...v1, etag: 'old' }, store, options)).toMatchObject({
      status: 'ignored',
      reason: expect.stringMatching(/stale/),
    });
    expect(await registry.registerObject(v2, store, options)).toMatchObject({ status: 'registered' });
    let table = await registry.tableByName('sales', 'orders');
    expect(table).toMatchObject({
      row_count: 12,
      file_count: 2,
      total_size: v2.size + (table!.total_size - v2.size),
    });
    expect((await registry.filesByState('removed')).map((f) => f.etag)).toEqual([v1.etag]);

    await store.delete('sales/orders/data/b.parquet');
    const removed = await registry.unregisterObject(
      { bucket: BUCKET, key: `${PREFIX}/sales/orders/data/b.parquet` },
      store,
      options,
    );
    expect(removed).toMatchObject({ status: 'removed' });
    table = await registry.tableByName('sales', 'orders');
    expect(table).toMatchObject({ row_count: 5, file_count: 1, total_size: v2.size });
    // A stale removal of a.parquet (it exists again) leaves the live version alone.
    expect(
      await registry.unregisterObject(
        { bucket: BUCKET, key: `${PREFIX}/sales/orders/data/a.parquet` },
        store,
        options,
      ),
    ).toMatchObject({ status: 'ignored' });
    expect((await registry.tableByName('sales', 'orders'))?.row_count).toBe(5);
  });

  test('a failure after the file row undoes that object entirely; the rest of the batch commits', async () => {
    const registry = await freshRegistry(backend);
    const store = warehouse();
    const faulty = await land(store, 'sales/orders/data/faulty.parquet', ordersParquet(3));
    const start = await lastCdcId(registry);
    const failAfterFile = {
      afterFileRow: (_id: number, object: S3ObjectRef) => {
        if (object.key.endsWith('faulty.parquet')) throw new Error('injected fault');
      },
    };
    const alone = await registry.registerObject(faulty, store, { ...options, faults: failAfterFile });
    expect(alone).toMatchObject({
      status: 'failed',
      error: { retryable: true, message: expect.stringMatching(/injected/) },
    });
    for (const table of ['namespaces', 'tables', 'table_metadata', 'table_files', 'file_statistics']) {
      expect(await count(registry, `SELECT count(*) AS n FROM ${table}`)).toBe(0);
    }
    expect(await cdcRowsAfter(registry, start)).toEqual([]);

    const good = await land(store, 'sales/orders/data/good.parquet', ordersParquet(2));
    const good2 = await land(store, 'sales/returns/data/good.parquet', ordersParquet(4));
    const outcomes = await registry.registerBatch([good, faulty, good2], store, {
      ...options,
      faults: failAfterFile,
    });
    expect(outcomes.map((o) => o.status)).toEqual(['registered', 'failed', 'registered']);
    expect(await count(registry, 'SELECT count(*) AS n FROM table_files')).toBe(2);
    expect((await registry.tableByName('sales', 'orders'))?.row_count).toBe(2);
  });

  test('a failure before commit undoes the whole batch and is thrown', async () => {
    const registry = await freshRegistry(backend);
    const store = warehouse();
    const event = await land(store, 'sales/orders/data/a.parquet', ordersParquet(3));
    const faults = {
      beforeCommit: () => {
        throw new Error('commit fault');
      },
    };
    await expect(registry.registerBatch([event], store, { ...options, faults })).rejects.toThrow(
      /commit fault/,
    );
    expect(await count(registry, 'SELECT count(*) AS n FROM tables')).toBe(0);
    expect(await count(registry, 'SELECT count(*) AS n FROM __cdc_log')).toBe(0);
    expect(await registry.registerObject(event, store, options)).toMatchObject({ status: 'registered' });
  });

  test('two registrars (two Lambdas) racing on a new table: it is created once, every file registered once', async () => {
    const first = await freshRegistry(backend);
    const second = await openRegistry(urlOf(first));
    const store = warehouse();
    const events: S3ObjectRef[] = [];
    for (let i = 0; i < 12; i++)
      events.push(await land(store, `sales/orders/data/f${i}.parquet`, ordersParquet(2)));
    const [a, b] = await Promise.all([
      first.registerBatch(events.slice(0, 8), store, options),
      second.registerBatch(events.slice(4), store, options),
    ]);
    second.close();
    const statuses = [...a, ...b].map((o) => o.status);
    expect(statuses.filter((s) => s === 'registered')).toHaveLength(12);
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(4);
    expect(await count(first, 'SELECT count(*) AS n FROM tables')).toBe(1);
    expect(await first.tableByName('sales', 'orders')).toMatchObject({ file_count: 12, row_count: 24 });
  });

  test('reads each file as the version its notification names, without a HEAD; a later overwrite is not read', async () => {
    const registry = await freshRegistry(backend);
    const store = warehouse();
    const calls = { head: 0, get: 0, unconditional: 0 };
    const counting = Object.assign(Object.create(store) as FsStore, {
      head: (key: string) => {
        calls.head++;
        return store.head(key);
      },
      get: (key: string, getOptions?: GetOptions) => {
        calls.get++;
        if (getOptions?.ifMatch === undefined) calls.unconditional++;
        return store.get(key, getOptions);
      },
    });
    const events = [
      await land(store, 'sales/orders/data/a.parquet', ordersParquet(3)),
      await land(store, 'sales/orders/data/b.parquet', ordersParquet(4, { firstId: 10 })),
    ];
    // b.parquet is overwritten after its notification was sent: that notification is stale.
    await store.put('sales/orders/data/b.parquet', ordersParquet(9, { firstId: 20 }));
    for (const verifyData of [true, false]) {
      const outcomes = await registry.registerBatch(events, counting, {
        ...options,
        verifyData,
      });
      expect(outcomes.map((o) => o.status)).toEqual(
        verifyData ? ['registered', 'ignored'] : ['duplicate', 'ignored'],
      );
      expect(outcomes[1]).toMatchObject({ reason: expect.stringMatching(/^stale notification: .*changed/) });
    }
    expect(calls.head).toBe(0);
    expect(calls.get).toBeGreaterThanOrEqual(2);
    expect(calls.unconditional).toBe(0);
    expect(await registry.tableByName('sales', 'orders')).toMatchObject({ row_count: 3, file_count: 1 });
  });

  test('reads: pending files ordered and limited, status counts and CDC backlog', async () => {
    const registry = await freshRegistry(backend);
    const store = warehouse();
    const events = [];
    for (let i = 0; i < 5; i++)
      events.push(await land(store, `sales/orders/data/f${i}.parquet`, ordersParquet(1 + i)));
    events.push(await land(store, 'sales/orders/data/bad.parquet', stringIdParquet()));
    events.push({ bucket: BUCKET, key: 'elsewhere/x.parquet', size: 1, etag: 'e' });
    await registry.registerBatch(events, store, options);
    const table = await registry.tableByName('sales', 'orders');
    const pending = await registry.pendingFiles(table!.id, 3);
    expect(pending.map((f) => f.path)).toEqual([0, 1, 2].map((i) => `sales/orders/data/f${i}.parquet`));
    expect(await registry.tableById(table!.id)).toEqual(table);
    expect(await registry.tableById(9999)).toBeUndefined();
    const [oldest] = await cdcRowsAfter(registry, 0);
    const status = await registry.status(new Date(Date.parse(oldest!.timestamp) + 1500));
    expect(status).toEqual({
      tables: 1,
      filesByState: { pending: 5, committing: 0, committed: 0, rejected: 1, removed: 0 },
      rejectedObjects: 1,
      compaction: { outputs: 0, replacedFiles: 0, retractionsPending: 0 },
      cdc: {
        backlog: await lastCdcId(registry),
        oldestTimestamp: oldest!.timestamp,
        oldestAgeMs: 1500,
        deadRows: null,
      },
    });
    await registry.client.execute('CREATE TABLE __cdc_dead (id INTEGER PRIMARY KEY, reason TEXT)');
    await registry.client.execute("INSERT INTO __cdc_dead (reason) VALUES ('x')");
    expect((await registry.status()).cdc.deadRows).toBe(1);
  });
});
