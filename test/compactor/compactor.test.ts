import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../lib/astha/events.js';
import { compactTable } from '../../lib/compactor/compactTable.js';
import { wakesCompactor } from '../../lib/astha/wakes.js';
import { createCompactor } from '../../lib/compactor/compactor.js';
import { createIcebergUpdater } from '../../lib/components/icebergUpdater.js';
import { silentLogger } from '../../lib/log.js';
import { StoreError } from '../../lib/errors.js';
import type { GetOptions } from '../../lib/store/objectStore.js';
import type { TableFileRow } from '../../lib/registry/rows.js';
import { updateTableProperties } from '../../lib/registry/tableProperties.js';
import { type Lake, openLake } from '../components/lakeFixture.js';
import { readTables } from '../conformance/readers.js';
import { ordersParquet } from '../registry/parquetFiles.js';
import { countRequests } from '../registry/countRequests.js';

function fileEvent(
  operation: 'INSERT' | 'UPDATE',
  before: Partial<TableFileRow> | null,
  after: Partial<TableFileRow>,
): ChangeEvent {
  const row = (partial: Partial<TableFileRow>) =>
    ({ id: 1, table_id: 7, astha_written: 0, ...partial }) as TableFileRow;
  return {
    kind: 'change',
    id: 1,
    timestamp: '2026-01-01T00:00:00.000Z',
    table: 'table_files',
    operation,
    before: before ? row(before) : null,
    after: row(after),
  } as ChangeEvent;
}

describe('wakesCompactor', () => {
  it('wakes on a user file becoming committed, not on its own writes', () => {
    expect(
      wakesCompactor(fileEvent('UPDATE', { iceberg_state: 'committing' }, { iceberg_state: 'committed' })),
    ).toBe(true);
    expect(wakesCompactor(fileEvent('INSERT', null, { iceberg_state: 'committed', astha_written: 1 }))).toBe(
      false,
    );
    expect(
      wakesCompactor(
        fileEvent(
          'UPDATE',
          { iceberg_state: 'pending', astha_written: 1 },
          { iceberg_state: 'committed', astha_written: 1 },
        ),
      ),
    ).toBe(false);
    expect(
      wakesCompactor(fileEvent('UPDATE', { iceberg_state: 'committed' }, { iceberg_state: 'removed' })),
    ).toBe(false);
    expect(wakesCompactor(fileEvent('INSERT', null, { iceberg_state: 'pending' }))).toBe(false);
  });

  it('wakes on a compacted-away file being retracted, once', () => {
    const removed = { iceberg_state: 'removed' as const, retracted_at: null };
    const retracted = { ...removed, retracted_at: '2026-01-01T00:00:00.000Z' };
    expect(wakesCompactor(fileEvent('UPDATE', removed, retracted))).toBe(true);
    expect(
      wakesCompactor(fileEvent('UPDATE', retracted, { ...retracted, purged_at: retracted.retracted_at })),
    ).toBe(false);
  });
});

describe('the compactor component on a real registry and warehouse', () => {
  let lake: Lake | undefined;
  afterEach(() => {
    lake?.close();
    lake = undefined;
  });

  async function landSmallFiles(target: Lake, count: number, partition: string) {
    for (let i = 0; i < count; i++) {
      const outcome = await target.land(
        `sales/orders/data/${partition}/f${i}.parquet`,
        ordersParquet(20, { firstId: i * 20 + 1 }),
      );
      expect(outcome.status).toBe('registered');
    }
  }

  it('commit events make it compact the partition; its own changes do not wake it again', async () => {
    lake = await openLake('fs');
    const deps = { registry: lake.registry, store: lake.store, logger: silentLogger() };
    const updater = createIcebergUpdater(deps);
    const compactor = createCompactor(deps);
    await landSmallFiles(lake, 6, 'region=eu');
    await landSmallFiles(lake, 2, 'region=us');
    await lake.deliver(updater);
    const beforeVersion = (await lake.iceberg('sales', 'orders'))!.version;
    await lake.deliver(compactor);
    const afterCompaction = await lake.iceberg('sales', 'orders');
    expect(afterCompaction!.version).toBe(beforeVersion + 1);
    const current = afterCompaction!.metadata.snapshots.at(-1)!;
    expect(current.summary).toMatchObject({
      operation: 'replace',
      'added-data-files': '1',
      'deleted-data-files': '6',
      'added-records': '120',
      'deleted-records': '120',
      'total-data-files': '3',
      'total-records': '160',
    });
    // The compaction's own registry changes reach it as events: nothing new is committed.
    await lake.deliver(compactor, updater);
    expect((await lake.iceberg('sales', 'orders'))!.version).toBe(beforeVersion + 1);
    const table = await lake.registry.tableByName('sales', 'orders');
    expect({ files: table!.file_count, rows: table!.row_count }).toEqual({ files: 3, rows: 160 });
    expect(await compactor.onHealth()).toMatchObject({ healthy: true, detail: '1 live compacted files' });
  });

  it('a backlog of commit events for one table takes one look; a commit after it wakes it again', async () => {
    lake = await openLake('fs');
    const deps = { registry: lake.registry, store: lake.store, logger: silentLogger() };
    const updater = createIcebergUpdater(deps);
    const compactor = createCompactor(deps);
    await landSmallFiles(lake, 6, 'region=eu');
    await lake.deliver(updater);
    const wakes = (await lake.events('compactor')).filter(wakesCompactor);
    expect(wakes).toHaveLength(6);
    await compactor.onEvent(wakes[0]!);
    const compacted = (await lake.iceberg('sales', 'orders'))!.version;
    const queries = countRequests(lake.registry.client);
    for (const event of wakes.slice(1)) await compactor.onEvent(event);
    expect(queries.count()).toBe(0);

    await landSmallFiles(lake, 6, 'region=us');
    await lake.deliver(updater);
    const later = (await lake.events('compactor')).filter(wakesCompactor);
    expect(later).toHaveLength(6);
    await compactor.onEvent(later[0]!);
    expect(queries.count()).toBeGreaterThan(0);
    expect((await lake.iceberg('sales', 'orders'))!.version).toBe(compacted + 2);
  });

  it('compacts a table with nested columns (list of structs, map, struct, list)', async () => {
    lake = await openLake('fs');
    const deps = { registry: lake.registry, store: lake.store, logger: silentLogger() };
    const nested = new Uint8Array(readFileSync('test/fixtures/parquet/nested.parquet'));
    for (let i = 0; i < 5; i++) {
      expect((await lake.land(`deep/t/data/f${i}.parquet`, nested)).status).toBe('registered');
    }
    await lake.deliver(createIcebergUpdater(deps));
    const row = await lake.registry.tableByName('deep', 't');
    const version = (await lake.iceberg('deep', 't'))!.version;
    const report = await compactTable(row!.id, deps);
    expect(report.skipped).toBeUndefined();
    expect(report.groups).toMatchObject([{ inputFiles: 5, outputFiles: 1 }]);
    expect(report.groups[0]!.snapshotId).toBeDefined();
    // Nothing left to do: the compactor's look commits nothing more.
    await lake.deliver(createCompactor(deps));
    expect((await lake.iceberg('deep', 't'))!.version).toBe(version + 1);
  });

  it('compacts on LocalStack S3: the outputs read back through PyIceberg and DuckDB', async () => {
    lake = await openLake('s3');
    const deps = { registry: lake.registry, store: lake.store, logger: silentLogger() };
    await landSmallFiles(lake, 5, 'region=eu');
    await lake.deliver(createIcebergUpdater(deps));
    const metadataBefore = (await lake.iceberg('sales', 'orders'))!.metadataLocation;
    await lake.deliver(createCompactor(deps));
    const loaded = await lake.iceberg('sales', 'orders');
    expect(loaded!.metadata.snapshots.at(-1)!.summary).toMatchObject({
      operation: 'replace',
      'total-data-files': '1',
    });
    const files = await lake.registry.client.execute(
      "SELECT uri FROM table_files WHERE iceberg_state = 'committed' AND astha_written = 1",
    );
    expect(String(files.rows[0]!.uri)).toMatch(
      /^s3:\/\/.+\/lake\/sales\/orders\/data\/region=eu\/_astha-compacted-.+\.parq$/,
    );
    const reads = await readTables(
      [
        { mode: 'pyiceberg', metadata: metadataBefore },
        { mode: 'pyiceberg', metadata: loaded!.metadataLocation },
        { mode: 'duckdb', metadata: loaded!.metadataLocation },
      ],
      lake.s3,
    );
    expect(reads.map((r) => r.error)).toEqual([undefined, undefined, undefined]);
    expect(reads[0]!.rows).toBe(100);
    expect(reads.map((r) => r.checksum)).toEqual([
      reads[0]!.checksum,
      reads[0]!.checksum,
      reads[0]!.checksum,
    ]);
  }, 60_000);

  it('an input deleted from the store but not yet unregistered: the group is refused, nothing changes', async () => {
    lake = await openLake('fs');
    const deps = { registry: lake.registry, store: lake.store, logger: silentLogger() };
    await landSmallFiles(lake, 5, 'region=eu');
    await lake.deliver(createIcebergUpdater(deps));
    const row = await lake.registry.tableByName('sales', 'orders');
    const version = (await lake.iceberg('sales', 'orders'))!.version;
    await lake.store.delete('sales/orders/data/region=eu/f3.parquet');
    const report = await compactTable(row!.id, deps);
    expect(report.groups).toEqual([
      expect.objectContaining({
        inputFiles: 5,
        refused: 'input_missing',
        reason: expect.stringContaining('f3.parquet'),
      }),
    ]);
    expect((await lake.iceberg('sales', 'orders'))!.version).toBe(version);
    const live = await lake.registry.client.execute(
      "SELECT count(*) AS n FROM table_files WHERE iceberg_state = 'committed'",
    );
    expect(Number(live.rows[0]!.n)).toBe(5);
  });

  it('a read of a later input failing while an earlier one is converted fails the look, not the process', async () => {
    lake = await openLake('fs');
    const deps = { registry: lake.registry, store: lake.store, logger: silentLogger() };
    await landSmallFiles(lake, 5, 'region=eu');
    // The third input is bigger than the footer pass's first fetch (512 KiB), so its bytes are
    // not kept from that pass: the rewrite fetches it ahead, while earlier inputs are written.
    const big = ordersParquet(80_000, { firstId: 100_000 });
    expect(big.length).toBeGreaterThan(512 * 1024);
    expect((await lake.land('sales/orders/data/region=eu/f2.parquet', big)).status).toBe('registered');
    await lake.deliver(createIcebergUpdater(deps));
    const row = await lake.registry.tableByName('sales', 'orders');
    // The big input joins the small ones at once (by default it would wait for more of them).
    await updateTableProperties(lake.registry.client, row!.id, { 'astha.compaction.merge-ratio': '1000' });
    const inner = lake.store;
    // Footers read fine (ranged); the whole-file GET of the third input, fetched ahead, fails.
    const failing = new Proxy(inner, {
      get(target, property) {
        if (property === 'get') {
          return (key: string, options?: GetOptions) =>
            key.endsWith('/f2.parquet') && !options?.range
              ? Promise.reject(
                  new StoreError('backend', 'injected 500 on a whole-file GET', { retryable: true }),
                )
              : target.get(key, options);
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    // Small row groups: each input's rows are written out (real I/O) before the next is awaited.
    await expect(compactTable(row!.id, { ...deps, store: failing, rowGroupRows: 10 })).rejects.toThrow(
      /injected 500/,
    );
    // Nothing committed; the next look on a healthy store compacts.
    const next = await compactTable(row!.id, deps);
    expect(next.groups).toEqual([expect.objectContaining({ inputFiles: 5, outputFiles: 1 })]);
  });

  it('refresh compacts every table with enough small files', async () => {
    lake = await openLake('fs');
    const deps = { registry: lake.registry, store: lake.store, logger: silentLogger() };
    await landSmallFiles(lake, 5, 'region=eu');
    await lake.deliver(createIcebergUpdater(deps));
    await createCompactor(deps).onRefresh();
    const snapshot = (await lake.iceberg('sales', 'orders'))!.metadata.snapshots.at(-1)!;
    expect(snapshot.summary).toMatchObject({
      operation: 'replace',
      'total-data-files': '1',
      'total-records': '100',
    });
  });
});
