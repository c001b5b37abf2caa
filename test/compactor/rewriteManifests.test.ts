import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactTable } from '../../lib/compactor/compactTable.js';
import { ordersParquet } from '../registry/parquetFiles.js';
import { type CompactionLake, openCompactionLake, summaryOf } from './compactionLake.js';

describe('manifest rewrite', () => {
  let lake: CompactionLake;
  beforeAll(async () => {
    lake = await openCompactionLake();
  });
  afterAll(() => lake?.close());

  it('packs one-manifest-per-append into one manifest; readers and time travel see the same rows', async () => {
    for (let i = 0; i < 12; i++) {
      await lake.land(`ns/many/data/f${i}.parquet`, ordersParquet(10, { firstId: i * 10 + 1 }));
      await lake.deliver(lake.updater);
    }
    const row = await lake.registry.tableByName('ns', 'many');
    await lake.registry.client.execute({
      sql: `UPDATE table_metadata SET properties_json = json_set(properties_json,
              '$."astha.compaction.enabled"', 'false', '$."astha.compaction.manifest-min-count"', '10')
            WHERE table_id = ?`,
      args: [row!.id],
    });
    const before = await lake.read('ns', 'many');
    expect(before[0]!.manifests).toBe(12);
    const baseline = summaryOf(before[0]!);
    expect(baseline).toMatchObject({ rows: 120 });
    const preSnapshot = (await lake.iceberg('ns', 'many'))!.metadata.currentSnapshotId!.toString();

    const report = await compactTable(row!.id, { registry: lake.registry, store: lake.store });

    expect(report.groups).toEqual([]);
    expect(report.manifests).toMatchObject({ replaced: 12, created: 1 });
    const after = await lake.read('ns', 'many');
    expect(after[0]!.manifests).toBe(1);
    expect(summaryOf(after[0]!)).toEqual(baseline);
    expect(summaryOf(after[1]!)).toEqual(baseline);
    expect(after[2]!.violations).toEqual([]);
    const metadata = await lake.metadataLocation('ns', 'many');
    const [old] = await lake.readSnapshots(metadata, [preSnapshot]);
    expect(summaryOf(old!)).toEqual(baseline);
    const recorded = await lake.registry.client.execute({
      sql: 'SELECT operation FROM table_snapshots WHERE table_id = ? AND snapshot_id = ?',
      args: [row!.id, report.manifests!.snapshotId],
    });
    expect(recorded.rows[0]?.operation).toBe('replace');
    // Below the threshold again: the next look leaves the manifests alone.
    expect(
      (await compactTable(row!.id, { registry: lake.registry, store: lake.store })).manifests,
    ).toBeUndefined();
  }, 60_000);
});
