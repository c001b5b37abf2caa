import { ordersParquet } from '../registry/parquetFiles.js';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTable } from '../../lib/iceberg/commit/loadTable.js';
import {
  commitPending,
  commitTableChange,
  ensureIcebergTable,
  onRefresh,
} from '../../lib/iceberg/commitPending.js';
import { readManifestList } from '../../lib/iceberg/spec/manifestList.js';
import { keyOfUri } from '../../lib/iceberg/tableLocation.js';
import type { Registry } from '../../lib/registry/registry.js';
import { FsStore } from '../../lib/store/fsStore.js';
import { MemoryStore } from '../../lib/store/memoryStore.js';
import type { ObjectStore } from '../../lib/store/objectStore.js';
import {
  addOrderFiles,
  fileStates,
  readWithPyIceberg,
  tempDir,
  tempRegistry,
} from './commit/commitFixtures.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

async function setup(kind: 'memory' | 'fs'): Promise<{ registry: Registry; store: ObjectStore }> {
  const dir = tempDir('astha-updater-');
  const registry = await tempRegistry(dir.path);
  cleanups.push(dir.remove, () => registry.close());
  const store = kind === 'memory' ? new MemoryStore() : new FsStore(`${dir.path}/warehouse`);
  return { registry, store };
}

async function tableId(registry: Registry, name = 'orders'): Promise<number> {
  const row = await registry.tableByName('sales', name);
  if (!row) throw new Error(`table sales.${name} not registered`);
  return row.id;
}

describe('commitPending', () => {
  it('commits all pending files in one append snapshot and marks them committed', async () => {
    const { registry, store } = await setup('memory');
    await addOrderFiles(registry, store, { count: 3 });
    const id = await tableId(registry);
    const result = await commitPending(id, { registry, store });
    if (result === 'nothing pending') throw new Error('expected a commit');
    // v1 = table creation, v2 = the append.
    expect(result).toMatchObject({ version: 2, filesAdded: 3 });
    expect(await fileStates(registry, id)).toEqual({ committed: 3 });
    const row = await registry.tableById(id);
    expect(row).toMatchObject({ metadata_version: 2, current_snapshot_id: result.snapshotId });
    const snapshots = await registry.client.execute(
      'SELECT snapshot_id, sequence_number FROM table_snapshots',
    );
    expect(snapshots.rows.map((r) => [String(r.snapshot_id), Number(r.sequence_number)])).toEqual([
      [result.snapshotId, 1],
    ]);
    expect(await commitPending(id, { registry, store })).toBe('nothing pending');
  });

  it('leaves rejected files out and never adds a file twice across commits', async () => {
    const { registry, store } = await setup('memory');
    await addOrderFiles(registry, store, { count: 2 });
    const id = await tableId(registry);
    // A file whose `id` is a string does not fit the table: registration rejects it.
    const bad = new TextEncoder().encode('not parquet at all');
    const info = await store.put('sales/orders/data/broken.parquet', bad);
    await registry.registerBatch(
      [{ bucket: 'warehouse', key: 'sales/orders/data/broken.parquet', size: info.size, etag: info.etag }],
      store,
    );
    await commitPending(id, { registry, store });
    await addOrderFiles(registry, store, { count: 2, firstId: 100 });
    const second = await commitPending(id, { registry, store });
    if (second === 'nothing pending') throw new Error('expected a commit');
    expect(second.filesAdded).toBe(2);
    expect(await fileStates(registry, id)).toEqual({ committed: 4, rejected: 1 });
    const loaded = await loadTable(store, {
      keyPrefix: 'sales/orders',
      location: `${store.url}/sales/orders`,
    });
    const snapshot = loaded?.metadata.snapshots.at(-1);
    expect(snapshot?.summary).toMatchObject({
      'added-data-files': '2',
      'total-data-files': '4',
      'total-records': '20',
    });
    const list = readManifestList(await store.get(keyOfUri(store, snapshot?.manifestList ?? '')));
    expect(list.manifests.map((m) => m.addedFilesCount + m.existingFilesCount)).toEqual([2, 2]);
    expect(list.manifests.map((m) => m.sequenceNumber)).toEqual([2, 1]);
  });

  it('commits a schema the registry evolved together with the files that need it', async () => {
    const { registry, store } = await setup('fs');
    await addOrderFiles(registry, store, { count: 2 });
    const id = await tableId(registry);
    await commitPending(id, { registry, store });
    // A file with a new column: registration evolves the registry's schema (new field id).
    const key = 'sales/orders/data/wide.parquet';
    const info = await store.put(key, ordersParquet(4, { firstId: 500, extraColumns: ['discount'] }));
    const [outcome] = await registry.registerBatch(
      [{ bucket: 'warehouse', key, size: info.size, etag: info.etag }],
      store,
    );
    expect(outcome).toMatchObject({ status: 'registered', schemaEvolved: true });
    const result = await commitPending(id, { registry, store });
    if (result === 'nothing pending') throw new Error('expected a commit');
    const loaded = await loadTable(store, {
      keyPrefix: 'sales/orders',
      location: `${store.url}/sales/orders`,
    });
    const schema = loaded?.metadata.schemas.find((s) => s['schema-id'] === loaded.metadata.currentSchemaId);
    expect(loaded?.metadata.schemas).toHaveLength(2);
    expect(schema?.fields.map((f) => f.name)).toEqual(['id', 'customer', 'amount', 'discount']);
    expect(loaded?.metadata.snapshots.at(-1)?.schemaId).toBe(schema?.['schema-id']);
    const mapping = JSON.parse(loaded?.metadata.properties['schema.name-mapping.default'] ?? '[]') as Array<{
      names: string[];
    }>;
    expect(mapping.map((m) => m.names[0])).toContain('discount');
    const read = await readWithPyIceberg(result.metadataLocation, { duckdb: true });
    expect(read.rows).toBe(14);
    expect(read.duckdb?.rows).toBe(14);
  });

  it('onRefresh commits every table with pending files', async () => {
    const { registry, store } = await setup('memory');
    await addOrderFiles(registry, store, { count: 1 });
    await addOrderFiles(registry, store, { count: 2, prefix: 'sales/returns' });
    const outcomes = await onRefresh({ registry, store });
    expect(outcomes.map((o) => (o.result === 'nothing pending' ? 0 : o.result?.filesAdded))).toEqual([1, 2]);
    expect(await onRefresh({ registry, store })).toEqual([]);
  });

  it('writes tables PyIceberg and DuckDB read from a filesystem warehouse (file:// URIs)', async () => {
    const { registry, store } = await setup('fs');
    const first = await addOrderFiles(registry, store, { count: 3, partition: 'region=eu' });
    const id = await tableId(registry);
    await commitPending(id, { registry, store });
    const second = await addOrderFiles(registry, store, { count: 2, firstId: 1000, partition: 'region=us' });
    const result = await commitPending(id, { registry, store });
    if (result === 'nothing pending') throw new Error('expected a commit');
    expect(result.metadataLocation).toMatch(/^file:\/\/\/.*\/sales\/orders\/metadata\/v3\.metadata\.json$/);
    const files = [...first, ...second];
    const read = await readWithPyIceberg(result.metadataLocation, { duckdb: true });
    expect(read.rows).toBe(files.reduce((n, f) => n + f.rows, 0));
    expect(read.sum).toBe(files.reduce((n, f) => n + f.idSum, 0));
    expect(read.files).toHaveLength(5);
    expect(new Set(read.files).size).toBe(5);
    expect(read.duckdb).toEqual({ rows: read.rows, sum: read.sum });
  });
});

describe('orchestrator entry points', () => {
  it('ensureIcebergTable creates v1 and commitTableChange commits a property and moves the pointer', async () => {
    const { registry, store } = await setup('memory');
    await addOrderFiles(registry, store, { count: 1 });
    const id = await tableId(registry);
    const created = await ensureIcebergTable(id, { registry, store });
    expect(created).toMatchObject({ version: 1, created: true });
    expect((await registry.tableById(id))?.metadata_version).toBe(1);
    const changed = await commitTableChange(
      id,
      () => ({
        updates: [{ action: 'set-properties', updates: { 'write.target-file-size-bytes': '1' } }],
        requirements: [],
      }),
      { registry, store },
    );
    expect(changed).toMatchObject({ version: 2, committed: true });
    expect(await registry.tableById(id)).toMatchObject({
      metadata_version: 2,
      metadata_location: changed.metadataLocation,
    });
    // The pending file still goes in, on top of the property change.
    expect(await commitPending(id, { registry, store })).toMatchObject({ version: 3, filesAdded: 1 });
  });
});
