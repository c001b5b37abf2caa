/**
 * Compaction reads every codec registration accepts (issue 14 item 8a): pyarrow files compressed
 * with GZIP, ZSTD, BROTLI, LZ4_RAW, SNAPPY and none compact into one file, and PyIceberg and DuckDB
 * read the same rows after. A group whose input no longer decodes is skipped with its reason:
 * the look (and the component's refresh) succeeds, so nothing is retried into the dead-letter queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactTable } from '../../lib/compactor/compactTable.js';
import { createCompactor } from '../../lib/compactor/compactor.js';
import { silentLogger } from '../../lib/log.js';
import type { FileSpec } from '../conformance/readers.js';
import { garbledPageHeader } from '../parquet/corruptParquet.js';
import { type CompactionLake, expectReads, openCompactionLake } from './compactionLake.js';

const CODECS = ['gzip', 'zstd', 'brotli', 'lz4', 'snappy', 'none'] as const;

function files(table: string, region: string, codecs: readonly FileSpec['compression'][]): FileSpec[] {
  return codecs.map((compression, i) => ({
    dir: `ns/${table}/data`,
    name: `${compression}-${i}.parquet`,
    partition: [['region', 'string', region]],
    profile: 'simple',
    rows: 50 + i * 9,
    seed: 300 + i,
    row_group_size: 20,
    compression,
  }));
}

describe('compaction of files in every accepted codec', () => {
  let lake: CompactionLake;
  beforeAll(async () => {
    lake = await openCompactionLake();
  });
  afterAll(() => lake?.close());

  it('GZIP, ZSTD, BROTLI, LZ4_RAW, SNAPPY and uncompressed inputs become one file; readers see the same rows', async () => {
    const written = await lake.landFiles(files('codecs', 'a', CODECS));
    expectReads(await lake.read('ns', 'codecs'), written);
    const row = await lake.registry.tableByName('ns', 'codecs');
    const report = await compactTable(row!.id, { registry: lake.registry, store: lake.store });
    expect(report.groups).toEqual([
      expect.objectContaining({ partitionPath: 'region=a', inputFiles: CODECS.length, outputFiles: 1 }),
    ]);
    expect(report.groups[0]!.snapshotId).toBeDefined();
    const after = await lake.read('ns', 'codecs');
    expectReads(after, written);
    expect(after[0]!.planned_files).toBe(1);
  }, 120_000);

  it('a group whose input does not decode is skipped with the reason; the look and the refresh succeed', async () => {
    const written = await lake.landFiles(files('broken', 'b', ['gzip', 'zstd', 'gzip', 'zstd', 'gzip']));
    const row = await lake.registry.tableByName('ns', 'broken');
    // Damaged in the store after it was committed (the registry still has its old ETag).
    const victim = await lake.registry.client.execute({
      sql: "SELECT path FROM table_files WHERE table_id = ? AND iceberg_state = 'committed' ORDER BY id LIMIT 1",
      args: [row!.id],
    });
    const path = String(victim.rows[0]!.path);
    await lake.store.put(path, await garbledPageHeader(await lake.store.get(path)));

    const report = await compactTable(row!.id, { registry: lake.registry, store: lake.store });
    expect(report.groups).toEqual([
      expect.objectContaining({
        partitionPath: 'region=b',
        refused: 'unreadable',
        reason: expect.any(String),
      }),
    ]);
    const compactor = createCompactor({ registry: lake.registry, store: lake.store, logger: silentLogger() });
    await expect(compactor.onRefresh()).resolves.toBeUndefined();
    // Nothing was replaced: the table still lists its five files.
    const live = await lake.registry.client.execute({
      sql: "SELECT count(*) AS n FROM table_files WHERE table_id = ? AND iceberg_state = 'committed'",
      args: [row!.id],
    });
    expect(Number(live.rows[0]!.n)).toBe(5);
    expect(written.rows).toBeGreaterThan(0);
  }, 120_000);
});
