import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../lib/astha/events.js';
import { wakesUpdater } from '../../lib/astha/wakes.js';
import { createIcebergUpdater } from '../../lib/components/icebergUpdater.js';
import { silentLogger } from '../../lib/log.js';
import type { TableFileRow } from '../../lib/registry/rows.js';
import { ordersParquet, stringIdParquet } from '../registry/parquetFiles.js';
import { type Lake, openLake } from './lakeFixture.js';
import { countRequests } from '../registry/countRequests.js';

let lake: Lake | undefined;
afterEach(() => {
  lake?.close();
  lake = undefined;
});

async function open(options: { maxFilesPerCommit?: number } = {}) {
  lake = await openLake('fs');
  const updater = createIcebergUpdater({
    registry: lake.registry,
    store: lake.store,
    logger: silentLogger(),
    ...(options.maxFilesPerCommit ? { limits: { maxFilesPerCommit: options.maxFilesPerCommit } } : {}),
  });
  return { lake, updater };
}

async function states(target: Lake): Promise<string[]> {
  const result = await target.registry.client.execute('SELECT iceberg_state FROM table_files ORDER BY id');
  return result.rows.map((r) => String(r.iceberg_state));
}

describe('iceberg_updater', () => {
  it('commits every pending file of a table in one snapshot on the first event and skips the rest', async () => {
    const { lake, updater } = await open();
    for (let i = 0; i < 4; i++)
      await lake.land(`sales/orders/data/f${i}.parquet`, ordersParquet(5, { firstId: i * 10 }));
    await lake.land('sales/orders/data/bad.parquet', stringIdParquet());
    const events = await lake.events('iceberg_updater');
    // The rejected file's row is not routed to the updater: it has nothing to commit.
    expect(events.filter((e) => e.table === 'table_files')).toHaveLength(4);

    for (const event of events) await updater.onEvent(event);
    const table = await lake.iceberg('sales', 'orders');
    expect(table?.metadata.snapshots).toHaveLength(1);
    expect(table?.metadata.snapshots[0]?.summary['added-data-files']).toBe('4');
    expect(table?.metadata.snapshots[0]?.summary['added-records']).toBe('20');
    expect(await states(lake)).toEqual(['committed', 'committed', 'committed', 'committed', 'rejected']);
    const row = await lake.registry.tableByName('sales', 'orders');
    expect(row?.current_snapshot_id).toBe(String(table?.metadata.currentSnapshotId));
    expect(row?.metadata_version).toBe(table?.version);

    // The changes its own commit caused (claims, committed files, pointer) wake nothing, so the
    // drainer does not even send them.
    const changes = await lake.registry.client.execute('SELECT count(*) AS n FROM __cdc_log');
    expect(Number(changes.rows[0]?.n)).toBeGreaterThan(0);
    expect(await lake.events('iceberg_updater')).toEqual([]);
  });

  it("coalesces a burst into one commit and skips the burst's other events without a registry query", async () => {
    const { lake, updater } = await open();
    const burst = 30;
    for (let i = 0; i < burst; i++)
      await lake.land(`sales/orders/data/f${i}.parquet`, ordersParquet(2, { firstId: i * 10 }));
    const [first, ...rest] = (await lake.events('iceberg_updater')).filter((e) => e.table === 'table_files');
    expect(rest).toHaveLength(burst - 1);
    await updater.onEvent(first!);
    const queries = countRequests(lake.registry.client).count;
    for (const event of rest) await updater.onEvent(event);
    expect(queries()).toBe(0);
    const table = await lake.iceberg('sales', 'orders');
    expect(table?.metadata.snapshots.map((s) => s.summary['added-data-files'])).toEqual([String(burst)]);
    expect(await states(lake)).toEqual(Array(burst).fill('committed'));
  });

  it('a look the commit policy held back does not swallow the events it saw', async () => {
    lake = await openLake('fs');
    let open = false;
    const updater = createIcebergUpdater({
      registry: lake.registry,
      store: lake.store,
      logger: silentLogger(),
      commitGate: async () => open,
    });
    for (let i = 0; i < 3; i++)
      await lake.land(`sales/orders/data/f${i}.parquet`, ordersParquet(2, { firstId: i * 10 }));
    const [first, ...rest] = (await lake.events('iceberg_updater')).filter((e) => e.table === 'table_files');
    await updater.onEvent(first!);
    expect(await states(lake)).toEqual(['pending', 'pending', 'pending']);
    open = true;
    await updater.onEvent(rest[0]!);
    expect(await states(lake)).toEqual(['committed', 'committed', 'committed']);
    // That look left nothing pending: the burst's last event needs no look of its own.
    const queries = countRequests(lake.registry.client).count;
    await updater.onEvent(rest[1]!);
    expect(queries()).toBe(0);
  });

  it('keeps committing within one look while more files are pending than a snapshot takes', async () => {
    const { lake, updater } = await open({ maxFilesPerCommit: 2 });
    for (let i = 0; i < 5; i++)
      await lake.land(`sales/orders/data/f${i}.parquet`, ordersParquet(2, { firstId: i * 10 }));
    const [first] = (await lake.events('iceberg_updater')).filter((e) => e.table === 'table_files');
    await updater.onEvent(first!);
    const table = await lake.iceberg('sales', 'orders');
    expect(table?.metadata.snapshots.map((s) => s.summary['added-data-files'])).toEqual(['2', '2', '1']);
    expect(await states(lake)).toEqual(Array(5).fill('committed'));
  });

  it('leaves the files of a dropped table pending and untouched', async () => {
    const { lake, updater } = await open();
    await lake.land('sales/orders/data/a.parquet', ordersParquet(3));
    const events = await lake.events('iceberg_updater');
    await lake.registry.client.execute("UPDATE tables SET state = 'dropped'");
    for (const event of events) await updater.onEvent(event);
    await updater.onRefresh();
    expect(await states(lake)).toEqual(['pending']);
    expect(await lake.iceberg('sales', 'orders')).toBeUndefined();
  });

  it('refresh commits the pending files of every table whose events were lost', async () => {
    const { lake, updater } = await open();
    await lake.land('sales/orders/data/a.parquet', ordersParquet(3));
    await lake.land('web/clicks/data/b.parquet', ordersParquet(4));
    await lake.events('iceberg_updater'); // lost
    expect(await updater.onHealth()).toMatchObject({
      healthy: true,
      detail: expect.stringMatching(/^2 pending, 0 committing, oldest pending \d{4}-/),
    });

    await updater.onRefresh();
    expect(await states(lake)).toEqual(['committed', 'committed']);
    expect((await lake.iceberg('sales', 'orders'))?.metadata.snapshots).toHaveLength(1);
    expect((await lake.iceberg('web', 'clicks'))?.metadata.snapshots).toHaveLength(1);
    expect(await updater.onHealth()).toEqual({
      healthy: true,
      detail: '0 pending, 0 committing, oldest pending none',
    });
  });

  it('wakes for pending files, new tables and definition changes only', () => {
    const file = { id: 1, table_id: 1, path: 'p', iceberg_state: 'pending' } as TableFileRow;
    const base = { kind: 'change' as const, id: 1, timestamp: '2026-01-01T00:00:00.000Z' };
    const fileEvent = (
      operation: 'INSERT' | 'UPDATE',
      state: TableFileRow['iceberg_state'],
    ): ChangeEvent => ({
      ...base,
      table: 'table_files',
      operation,
      before: file,
      after: { ...file, iceberg_state: state },
    });
    expect(wakesUpdater(fileEvent('INSERT', 'pending'))).toBe(true);
    expect(wakesUpdater(fileEvent('UPDATE', 'pending'))).toBe(true);
    expect(wakesUpdater(fileEvent('UPDATE', 'committing'))).toBe(false);
    expect(wakesUpdater(fileEvent('UPDATE', 'committed'))).toBe(false);
    expect(wakesUpdater(fileEvent('INSERT', 'rejected'))).toBe(false);
    // A committed file whose object is gone: the table must be looked at (a removal snapshot).
    const removed: ChangeEvent = {
      ...base,
      table: 'table_files',
      operation: 'UPDATE',
      before: { ...file, iceberg_state: 'committed' },
      after: { ...file, iceberg_state: 'removed' },
    };
    expect(wakesUpdater(removed)).toBe(true);
  });
});
