import { afterEach, describe, expect, it } from 'vitest';
import { createIcebergUpdater } from '../../lib/components/icebergUpdater.js';
import { wakesOrchestrator } from '../../lib/astha/wakes.js';
import { createMetadataOrchestrator } from '../../lib/components/metadataOrchestrator.js';
import { currentSchema } from '../../lib/iceberg/spec/tableMetadata.js';
import type { Schema } from '../../lib/iceberg/spec/types.js';
import { silentLogger } from '../../lib/log.js';
import type { TableMetadataRow, TableRow } from '../../lib/registry/rows.js';
import { readTables, seen } from '../conformance/readers.js';
import { ordersParquet, parquetBytes, stringIdParquet } from '../registry/parquetFiles.js';
import { type Lake, type LakeKind, openLake } from './lakeFixture.js';

let lake: Lake | undefined;
afterEach(() => {
  lake?.close();
  lake = undefined;
});

function components(open: Lake) {
  const deps = { registry: open.registry, store: open.store, logger: silentLogger() };
  return { orchestrator: createMetadataOrchestrator(deps), updater: createIcebergUpdater(deps) };
}

async function tableId(open: Lake): Promise<number> {
  const row = await open.registry.tableByName('sales', 'orders');
  if (!row) throw new Error('table sales.orders is not registered');
  return row.id;
}

function fieldsOf(schema: Schema) {
  return schema.fields.map((f) => ({ id: f.id, name: f.name, type: f.type, required: f.required }));
}

describe.each<LakeKind>(['fs', 's3'])('metadata_orchestrator on %s', (kind) => {
  it('creates the table empty, evolves its schema for a new column, and never lets a rejected file in', async () => {
    lake = await openLake(kind);
    const { orchestrator, updater } = components(lake);

    const first = await lake.land('sales/orders/data/a.parquet', ordersParquet(8));
    expect(first.status).toBe('registered');
    await lake.deliver(orchestrator);
    const created = await lake.iceberg('sales', 'orders');
    expect(created?.version).toBe(1);
    expect(created?.metadata.snapshots).toEqual([]);
    const id = await tableId(lake);
    expect((await lake.registry.tableById(id))?.metadata_location).toBe(created?.metadataLocation);
    const emptyLocation = created?.metadataLocation ?? '';
    await lake.deliver(updater);

    const second = await lake.land(
      'sales/orders/data/b.parquet',
      ordersParquet(6, { firstId: 100, extraColumns: ['discount'] }),
    );
    expect(second).toMatchObject({ status: 'registered', schemaEvolved: true });
    const registered = await lake.registry.tableMetadata(id);
    const registrySchema = JSON.parse(registered?.schema_json ?? '{}') as Schema;
    await lake.deliver(orchestrator);
    const evolved = await lake.iceberg('sales', 'orders');
    expect(evolved?.metadata.schemas).toHaveLength(2);
    // The field ids are the registry's, so files registered against it are described correctly.
    expect(fieldsOf(currentSchema(evolved!.metadata))).toEqual(fieldsOf(registrySchema));
    expect(registrySchema.fields.map((f) => f.name)).toContain('discount');
    expect(evolved?.metadata.snapshots).toHaveLength(1);

    const bad = await lake.land('sales/orders/data/bad.parquet', stringIdParquet());
    expect(bad).toMatchObject({ status: 'rejected' });
    await lake.deliver(orchestrator, updater);

    const final = await lake.iceberg('sales', 'orders');
    expect(final?.metadata.snapshots).toHaveLength(2);
    expect(final?.metadata.schemas).toHaveLength(2);
    const files = await lake.registry.client.execute(
      'SELECT path, iceberg_state, reject_reason FROM table_files ORDER BY id',
    );
    expect(files.rows.map((r) => [r.path, r.iceberg_state])).toEqual([
      ['sales/orders/data/a.parquet', 'committed'],
      ['sales/orders/data/b.parquet', 'committed'],
      ['sales/orders/data/bad.parquet', 'rejected'],
    ]);
    expect(String(files.rows[2]?.reject_reason)).toMatch(/"id"/);

    const location = final?.metadataLocation ?? '';
    const [empty, all, nulls, values] = await readTables(
      [
        { mode: 'pyiceberg', metadata: emptyLocation },
        { mode: 'pyiceberg', metadata: location },
        { mode: 'pyiceberg', metadata: location, filter: { column: 'discount', op: 'is_null' } },
        { mode: 'pyiceberg', metadata: location, filter: { column: 'discount', op: 'not_null' } },
      ],
      lake.s3,
    );
    expect(seen(empty!)).toMatchObject({ rows: 0 });
    expect(empty?.snapshots).toBe(0);
    expect(empty?.schema?.map((c) => c.name)).toEqual(['id', 'customer', 'amount']);
    expect(seen(all!)).toMatchObject({ rows: 14 });
    expect(all?.schema).toContainEqual({ name: 'discount', type: 'int' });
    expect(all?.planned_paths).toHaveLength(2);
    expect(all?.planned_paths?.some((p) => p.includes('bad.parquet'))).toBe(false);
    // The rows of the file written before the column existed read it as null.
    expect(seen(nulls!)).toMatchObject({ rows: 8 });
    expect(seen(values!)).toMatchObject({ rows: 6 });
  });
});

describe('metadata_orchestrator', () => {
  it('commits widened types (int → long, float → double) as a new schema readers accept', async () => {
    lake = await openLake('fs');
    const { orchestrator, updater } = components(lake);
    const narrow = parquetBytes([
      { name: 'n', data: Int32Array.from([1, 2, 3]), type: 'INT32' },
      { name: 'f', data: Float32Array.from([0.5, 1.5, 2.5]), type: 'FLOAT' },
    ]);
    const wide = parquetBytes([
      { name: 'n', data: BigInt64Array.from([2n ** 40n, 5n]), type: 'INT64' },
      { name: 'f', data: Float64Array.from([1e300, 2]), type: 'DOUBLE' },
    ]);
    await lake.land('sales/orders/data/narrow.parquet', narrow);
    await lake.deliver(orchestrator, updater);
    expect(await lake.land('sales/orders/data/wide.parquet', wide)).toMatchObject({ schemaEvolved: true });
    await lake.deliver(orchestrator);
    const widened = await lake.iceberg('sales', 'orders');
    const types = currentSchema(widened!.metadata).fields.map((f) => [f.id, f.name, f.type]);
    const original = widened!.metadata.schemas[0]!.fields.map((f) => [f.id, f.name, f.type]);
    expect(original).toEqual([
      [1, 'n', 'int'],
      [2, 'f', 'float'],
    ]);
    expect(types).toEqual([
      [1, 'n', 'long'],
      [2, 'f', 'double'],
    ]);
    await lake.deliver(updater);
    const [read] = await readTables([
      { mode: 'pyiceberg', metadata: (await lake.iceberg('sales', 'orders'))!.metadataLocation },
    ]);
    expect(seen(read!)).toMatchObject({ rows: 5 });
    expect(read?.schema).toEqual([
      { name: 'n', type: 'long' },
      { name: 'f', type: 'double' },
    ]);
  });

  it('races the updater on the same table without committing a schema twice', async () => {
    lake = await openLake('fs');
    const { orchestrator, updater } = components(lake);
    await lake.land('sales/orders/data/a.parquet', ordersParquet(3));
    await lake.deliver(orchestrator, updater);
    await lake.land('sales/orders/data/b.parquet', ordersParquet(3, { firstId: 10, extraColumns: ['x'] }));
    const forOrchestrator = await lake.events('metadata_orchestrator');
    const forUpdater = await lake.events('iceberg_updater');
    await Promise.all([
      (async () => {
        for (const event of forOrchestrator) await orchestrator.onEvent(event);
      })(),
      (async () => {
        for (const event of forUpdater) await updater.onEvent(event);
      })(),
    ]);
    const table = await lake.iceberg('sales', 'orders');
    expect(table?.metadata.schemas).toHaveLength(2);
    expect(currentSchema(table!.metadata).fields.map((f) => f.name)).toEqual([
      'id',
      'customer',
      'amount',
      'x',
    ]);
    expect(table?.metadata.snapshots).toHaveLength(2);
    expect(table?.metadata.snapshots[1]?.schemaId).toBe(table?.metadata.currentSchemaId);
    expect((await lake.registry.tableById(await tableId(lake)))?.metadata_version).toBe(table?.version);
  });

  it('sets and removes table properties as the registry changes them', async () => {
    lake = await openLake('fs');
    const { orchestrator } = components(lake);
    await lake.land('sales/orders/data/a.parquet', ordersParquet(3));
    await lake.deliver(orchestrator);
    const id = await tableId(lake);
    const setProperties = (properties: Record<string, string>) =>
      lake!.registry.client.execute({
        sql: 'UPDATE table_metadata SET properties_json = ? WHERE table_id = ?',
        args: [JSON.stringify(properties), id],
      });

    await setProperties({ 'write.target-file-size-bytes': '134217728', 'astha.commit.min-files': '10' });
    await lake.deliver(orchestrator);
    const set = await lake.iceberg('sales', 'orders');
    expect(set?.version).toBe(2);
    expect(set?.metadata.properties).toMatchObject({
      'write.target-file-size-bytes': '134217728',
      'astha.commit.min-files': '10',
    });
    expect(set?.metadata.properties['schema.name-mapping.default']).toBeDefined();

    await setProperties({ 'astha.commit.max-age-seconds': '30' });
    await lake.deliver(orchestrator);
    const changed = await lake.iceberg('sales', 'orders');
    expect(changed?.version).toBe(3);
    expect(changed?.metadata.properties['write.target-file-size-bytes']).toBeUndefined();
    expect(changed?.metadata.properties['astha.commit.max-age-seconds']).toBe('30');
    expect(changed?.metadata.properties['schema.name-mapping.default']).toBeDefined();
    expect((await lake.registry.tableById(id))?.metadata_version).toBe(3);

    // Its own pointer move and a repeated event change nothing.
    const replay = await lake.events('metadata_orchestrator');
    for (const event of replay) await orchestrator.onEvent(event);
    await orchestrator.onRefresh();
    expect((await lake.iceberg('sales', 'orders'))?.version).toBe(3);
  });

  it('stops at a dropped table: no commits, metadata and data kept', async () => {
    lake = await openLake('fs');
    const { orchestrator, updater } = components(lake);
    await lake.land('sales/orders/data/a.parquet', ordersParquet(3));
    await lake.deliver(orchestrator, updater);
    const before = await lake.iceberg('sales', 'orders');
    expect(before?.metadata.snapshots).toHaveLength(1);
    const id = await tableId(lake);

    await lake.registry.client.execute({
      sql: "UPDATE tables SET state = 'dropped' WHERE id = ?",
      args: [id],
    });
    await lake.registry.client.execute({
      sql: 'UPDATE table_metadata SET properties_json = ? WHERE table_id = ?',
      args: [JSON.stringify({ 'astha.commit.min-files': '99' }), id],
    });
    const late = await lake.land('sales/orders/data/late.parquet', ordersParquet(2, { firstId: 50 }));
    expect(late).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/dropped/) });
    await lake.deliver(orchestrator, updater);
    await orchestrator.onRefresh();

    const after = await lake.iceberg('sales', 'orders');
    expect(after?.version).toBe(before?.version);
    expect(after?.metadata.properties).toEqual(before?.metadata.properties);
    expect(after?.metadata.properties['astha.commit.min-files']).not.toBe('99');
    expect(await lake.store.head('sales/orders/data/a.parquet')).toBeDefined();
    expect(await lake.store.head(`sales/orders/metadata/v${before?.version}.metadata.json`)).toBeDefined();
  });

  it('refresh repairs tables whose events were lost and is idempotent', async () => {
    lake = await openLake('fs');
    const { orchestrator } = components(lake);
    await lake.land('sales/orders/data/a.parquet', ordersParquet(3));
    await lake.land('sales/orders/data/b.parquet', ordersParquet(3, { extraColumns: ['x'] }));
    await lake.land('web/clicks/data/c.parquet', ordersParquet(2));
    await lake.events('metadata_orchestrator'); // lost

    await orchestrator.onRefresh();
    const orders = await lake.iceberg('sales', 'orders');
    const clicks = await lake.iceberg('web', 'clicks');
    expect(orders?.version).toBe(1);
    expect(currentSchema(orders!.metadata).fields.map((f) => f.name)).toEqual([
      'id',
      'customer',
      'amount',
      'x',
    ]);
    expect(clicks?.version).toBe(1);
    expect(await orchestrator.onHealth()).toEqual({
      healthy: true,
      detail: '0 active table(s) without metadata',
    });

    await orchestrator.onRefresh();
    expect((await lake.iceberg('sales', 'orders'))?.version).toBe(1);
    expect((await lake.iceberg('web', 'clicks'))?.version).toBe(1);
  });

  it('wakes only for table-level changes, not for its own pointer moves or statistics', () => {
    const table = { id: 1, state: 'active', metadata_version: 1 } as TableRow;
    const meta = { table_id: 1, schema_id: 0, schema_json: '{}', properties_json: '{}' } as TableMetadataRow;
    const base = { kind: 'change' as const, id: 1, timestamp: '2026-01-01T00:00:00.000Z' };
    expect(wakesOrchestrator({ ...base, table: 'tables', operation: 'INSERT', after: table })).toBe(true);
    expect(
      wakesOrchestrator({
        ...base,
        table: 'tables',
        operation: 'UPDATE',
        before: table,
        after: { ...table, metadata_version: 2 },
      }),
    ).toBe(false);
    expect(
      wakesOrchestrator({
        ...base,
        table: 'table_metadata',
        operation: 'UPDATE',
        before: meta,
        after: { ...meta, updated_at: 'later' },
      }),
    ).toBe(false);
    expect(
      wakesOrchestrator({
        ...base,
        table: 'table_metadata',
        operation: 'UPDATE',
        before: meta,
        after: { ...meta, properties_json: '{"a":"b"}' },
      }),
    ).toBe(true);
  });
});
