/**
 * Overwriting a key (S3 PUT over an existing object) is ONE `overwrite` snapshot: the old
 * version leaves the table in the same snapshot the new one enters it, so no reader sees the
 * key's rows missing. When the new bytes are rejected, the old version still leaves (the key no
 * longer holds it), while a good file of the same batch is committed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CliContext } from '../../lib/cli/context.js';
import { showCommand } from '../../lib/cli/inspectCommands.js';
import { createIcebergUpdater } from '../../lib/components/icebergUpdater.js';
import { createMetadataOrchestrator } from '../../lib/components/metadataOrchestrator.js';
import { loadConfig } from '../../lib/config.js';
import { silentLogger } from '../../lib/log.js';
import { type Lake, openLake } from '../components/lakeFixture.js';
import { readTables } from '../conformance/readers.js';
import { ordersParquet, stringIdParquet } from '../registry/parquetFiles.js';

let lake: Lake | undefined;
afterEach(() => {
  lake?.close();
  lake = undefined;
});

/** `astha show sales.orders --json`, in process: its snapshots. */
async function showJson(open: Lake): Promise<{ operation: string; overwrittenKeys: number }[]> {
  let shown: { snapshots: { operation: string; overwrittenKeys: number }[] } | undefined;
  const ctx = {
    config: loadConfig({}),
    out: {
      json: true,
      data: (value: unknown) => {
        shown = value as typeof shown;
      },
    },
    // The warehouse URL only shapes the query snippets `show` prints.
    deps: async () => ({ registry: open.registry, store: open.store, warehouse: { url: 'file:///lake' } }),
  } as unknown as CliContext;
  await showCommand(ctx, 'sales.orders');
  return shown!.snapshots;
}

describe('overwriting a key', () => {
  it('is one overwrite snapshot; rejected new bytes take the old version out', async () => {
    lake = await openLake('fs');
    const open = lake;
    const deps = { registry: open.registry, store: open.store, logger: silentLogger() };
    const components = [createMetadataOrchestrator(deps), createIcebergUpdater(deps)];
    const operations = async () =>
      (await open.iceberg('sales', 'orders'))!.metadata.snapshots.map((s) => s.summary.operation);

    await open.land('sales/orders/data/a.parquet', ordersParquet(4));
    await open.land('sales/orders/data/b.parquet', ordersParquet(5, { firstId: 100 }));
    await open.deliver(...components);
    const appended = (await open.iceberg('sales', 'orders'))!;

    await open.land('sales/orders/data/a.parquet', ordersParquet(7, { firstId: 200 }));
    await open.deliver(...components);
    expect(await operations()).toEqual(['append', 'overwrite']);
    const overwritten = (await open.iceberg('sales', 'orders'))!;
    const summary = overwritten.metadata.snapshots.at(-1)!.summary;
    expect(summary).toMatchObject({
      'added-data-files': '1',
      'deleted-data-files': '1',
      'total-records': '12',
    });
    // Time travel to the first snapshot reads what the key holds NOW (README, "Overwrites"):
    // the new version's rows, not the 4 rows the snapshot was committed with.
    const travelled = await readTables([
      { mode: 'pyiceberg', metadata: appended.metadataLocation },
      { mode: 'pyiceberg', metadata: overwritten.metadataLocation },
    ]);
    expect(travelled.map((r) => r.error ?? r.rows)).toEqual([12, 12]);

    // New bytes that do not fit the table, beside a good new file in the same batch.
    const refs = [];
    for (const [path, bytes] of [
      ['sales/orders/data/a.parquet', stringIdParquet()],
      ['sales/orders/data/c.parquet', ordersParquet(3, { firstId: 300 })],
    ] as const) {
      const info = await open.store.put(path, bytes);
      refs.push({ bucket: 'local', key: path, size: info.size, etag: info.etag });
    }
    const outcomes = await open.registry.registerBatch(refs, open.store);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'registered']);
    await open.deliver(...components);
    const last = (await open.iceberg('sales', 'orders'))!;
    const table = (await open.registry.tableByName('sales', 'orders'))!;

    const reads = await readTables([
      { mode: 'pyiceberg', metadata: last.metadataLocation },
      { mode: 'duckdb', metadata: last.metadataLocation },
      // ...and once the key holds bytes of another schema, time travel there fails.
      { mode: 'pyiceberg', metadata: overwritten.metadataLocation },
    ]);
    expect(reads.map((r) => r.error ?? r.rows)).toEqual([8, 8, expect.stringMatching(/string/)]);
    expect(table.row_count).toBe(8);
    expect(await operations()).toEqual(['append', 'overwrite', 'delete', 'append']);

    // `astha show` names the snapshots whose time travel reads overwritten keys.
    const shown = await showJson(open);
    expect(shown.map((s) => [s.operation, s.overwrittenKeys])).toEqual([
      ['append', 0],
      ['delete', 0],
      ['overwrite', 1],
      ['append', 1],
    ]);
  }, 60_000);
});
