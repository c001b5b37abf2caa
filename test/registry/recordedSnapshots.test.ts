import { afterEach, describe, expect, it } from 'vitest';
import { createIcebergUpdater } from '../../lib/components/icebergUpdater.js';
import { silentLogger } from '../../lib/log.js';
import { recordedSnapshotIds } from '../../lib/registry/recordedSnapshots.js';
import { type Lake, openLake } from '../components/lakeFixture.js';
import { ordersParquet } from './parquetFiles.js';
import { countRequests } from './countRequests.js';

let lake: Lake | undefined;
afterEach(() => {
  lake?.close();
  lake = undefined;
});

describe('recordedSnapshotIds', () => {
  it('asks the registry only about snapshots it has not seen recorded, and finds new ones', async () => {
    lake = await openLake('fs');
    const updater = createIcebergUpdater({
      registry: lake.registry,
      store: lake.store,
      logger: silentLogger(),
    });
    await lake.land('sales/orders/data/a.parquet', ordersParquet(2));
    await lake.deliver(updater);
    const tableId = (await lake.registry.tableByName('sales', 'orders'))!.id;
    const first = String((await lake.iceberg('sales', 'orders'))!.metadata.currentSnapshotId);
    const client = lake.registry.client;
    const unknown = '123456789';

    const queries = countRequests(lake.registry.client).count;
    expect(await recordedSnapshotIds(client, tableId, [first, unknown])).toEqual(new Set([first]));
    expect(queries()).toBe(1);
    expect(await recordedSnapshotIds(client, tableId, [first])).toEqual(new Set([first]));
    expect(queries()).toBe(1);
    // "Not recorded" is never remembered: it is asked again, and another table knows nothing.
    expect(await recordedSnapshotIds(client, tableId, [first, unknown])).toEqual(new Set([first]));
    expect(queries()).toBe(2);
    expect(await recordedSnapshotIds(client, tableId + 1, [first])).toEqual(new Set());

    await lake.land('sales/orders/data/b.parquet', ordersParquet(2, { firstId: 10 }));
    await lake.deliver(updater);
    const second = String((await lake.iceberg('sales', 'orders'))!.metadata.currentSnapshotId);
    expect(second).not.toBe(first);
    expect(await recordedSnapshotIds(client, tableId, [first, second])).toEqual(new Set([first, second]));
  });
});
