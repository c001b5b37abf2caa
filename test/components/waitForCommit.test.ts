import { afterEach, describe, expect, it } from 'vitest';
import { createIcebergUpdater } from '../../lib/components/icebergUpdater.js';
import { waitForCommit } from '../../lib/components/waitForCommit.js';
import { silentLogger } from '../../lib/log.js';
import { broken, ordersParquet, stringIdParquet } from '../registry/parquetFiles.js';
import { type Lake, openLake } from './lakeFixture.js';

let lake: Lake | undefined;
afterEach(() => {
  lake?.close();
  lake = undefined;
});

const fast = { timeoutMs: 150, pollMs: 10 };

describe('waitForCommit', () => {
  it('resolves with the snapshot once the updater commits the file', async () => {
    lake = await openLake('fs');
    const updater = createIcebergUpdater({
      registry: lake.registry,
      store: lake.store,
      logger: silentLogger(),
    });
    const landed = await lake.land('sales/orders/data/a.parquet', ordersParquet(4));
    if (landed.status !== 'registered') throw new Error(`not registered: ${landed.status}`);

    const byPath = waitForCommit(lake.registry, { path: 'sales/orders/data/a.parquet' }, { pollMs: 10 });
    const byId = waitForCommit(lake.registry, { fileId: landed.fileId }, { pollMs: 10 });
    for (const event of await lake.events('iceberg_updater')) await updater.onEvent(event);

    const committed = await byPath;
    const table = await lake.registry.tableByName('sales', 'orders');
    expect(committed).toEqual({
      fileId: landed.fileId,
      tableId: table?.id,
      path: 'sales/orders/data/a.parquet',
      snapshotId: table?.current_snapshot_id,
    });
    expect(await byId).toEqual(committed);
  });

  it('times out with a clear error naming where the file is stuck', async () => {
    lake = await openLake('fs');
    await lake.land('sales/orders/data/a.parquet', ordersParquet(4));
    await expect(
      waitForCommit(lake.registry, { path: 'sales/orders/data/a.parquet' }, fast),
    ).rejects.toMatchObject({
      code: 'sync_timeout',
      retryable: true,
      message: expect.stringMatching(
        /^sales\/orders\/data\/a\.parquet was not committed within 150 ms: it is still pending/,
      ),
    });
    await expect(
      waitForCommit(lake.registry, { path: 'sales/orders/data/nope.parquet' }, fast),
    ).rejects.toMatchObject({
      code: 'sync_timeout',
      message: expect.stringMatching(/it was never registered/),
    });
    await expect(
      waitForCommit(lake.registry, { path: 'sales/orders/data/a.parquet', etag: 'another-upload' }, fast),
    ).rejects.toMatchObject({ code: 'sync_timeout', details: { state: 'unregistered' } });
  });

  it('rejects with the registry reason for a file that does not fit, cannot be read, or was removed', async () => {
    lake = await openLake('fs');
    await lake.land('sales/orders/data/a.parquet', ordersParquet(4));
    await lake.land('sales/orders/data/bad.parquet', stringIdParquet());
    await expect(
      waitForCommit(lake.registry, { path: 'sales/orders/data/bad.parquet' }, fast),
    ).rejects.toMatchObject({
      code: 'rejected',
      message: expect.stringMatching(/^sales\/orders\/data\/bad\.parquet was rejected: .*"id"/),
    });

    // The first file of a new table is unreadable: no table, only a rejection record.
    const garbage = await lake.land('web/clicks/data/x.parquet', broken.wrongMagic(ordersParquet(2)));
    expect(garbage).toMatchObject({ status: 'rejected', rejectionId: expect.any(Number) });
    await expect(
      waitForCommit(lake.registry, { path: 'web/clicks/data/x.parquet' }, fast),
    ).rejects.toMatchObject({
      code: 'rejected',
      message: expect.stringMatching(/Parquet/),
    });

    await lake.store.delete('sales/orders/data/a.parquet');
    await lake.registry.unregisterObject({ bucket: 'local', key: 'sales/orders/data/a.parquet' }, lake.store);
    await expect(
      waitForCommit(lake.registry, { path: 'sales/orders/data/a.parquet' }, fast),
    ).rejects.toMatchObject({
      code: 'removed',
    });
  });

  it('stops when its signal is aborted', async () => {
    lake = await openLake('fs');
    await lake.land('sales/orders/data/a.parquet', ordersParquet(1));
    const controller = new AbortController();
    controller.abort();
    await expect(
      waitForCommit(
        lake.registry,
        { path: 'sales/orders/data/a.parquet' },
        { signal: controller.signal, timeoutMs: 60_000 },
      ),
    ).rejects.toMatchObject({ code: 'sync_aborted' });
  });
});
