/**
 * One look compacts every eligible partition, not four (issue 15 item 6), and commits the run's
 * groups in one replace snapshot, as Iceberg's rewrite-data-files does: 20 partitions of small
 * files become 20 files in one snapshot, without another file arriving, and PyIceberg and DuckDB
 * read the same rows. While files wait to be committed, a look yields after its first run:
 * appends come before more compaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { compactTable } from '../../lib/compactor/compactTable.js';
import type { FileSpec } from '../conformance/readers.js';
import { type CompactionLake, expectReads, openCompactionLake } from './compactionLake.js';

const PARTITIONS = 20;
const FILES_EACH = 5;

describe('a compaction look', () => {
  let lake: CompactionLake;
  beforeAll(async () => {
    lake = await openCompactionLake();
  });
  afterAll(() => lake?.close());

  it('compacts all 20 eligible partitions in one replace snapshot', async () => {
    const specs: FileSpec[] = Array.from({ length: PARTITIONS * FILES_EACH }, (_, i) => ({
      dir: 'ns/many/data',
      name: `f${i}.parquet`,
      partition: [['day', 'long', Math.floor(i / FILES_EACH)]],
      profile: 'simple',
      rows: 12 + (i % 5),
      seed: i,
    }));
    const written = await lake.landFiles(specs);
    const row = await lake.registry.tableByName('ns', 'many');
    const snapshotsBefore = (await lake.iceberg('ns', 'many'))!.metadata.snapshots.length;

    const report = await compactTable(row!.id, { registry: lake.registry, store: lake.store });

    expect(report.groups).toHaveLength(PARTITIONS);
    expect(report.remaining).toBeUndefined();
    const snapshotIds = new Set(report.groups.map((group) => group.snapshotId));
    expect(snapshotIds.size).toBe(1);
    expect([...snapshotIds][0]).toBeDefined();
    const loaded = (await lake.iceberg('ns', 'many'))!;
    expect(loaded.metadata.snapshots.length).toBe(snapshotsBefore + 1);
    expect(loaded.metadata.snapshots.at(-1)!.summary.operation).toBe('replace');
    const live = await lake.registry.client.execute({
      sql: `SELECT partition_path, count(*) AS n FROM table_files WHERE table_id = ? AND iceberg_state = 'committed'
            GROUP BY partition_path`,
      args: [row!.id],
    });
    expect(live.rows).toHaveLength(PARTITIONS);
    for (const partition of live.rows) expect(Number(partition.n)).toBe(1);
    const after = await lake.read('ns', 'many');
    expectReads(after, written);
    expect(after[0]!.planned_files).toBe(PARTITIONS);

    // Nothing qualifies any more: the next look finds nothing to do.
    expect((await compactTable(row!.id, { registry: lake.registry, store: lake.store })).groups).toEqual([]);
  }, 180_000);

  it('yields to files waiting to be committed after one run, and goes on once they are', async () => {
    const specs: FileSpec[] = Array.from({ length: 4 * FILES_EACH }, (_, i) => ({
      dir: 'ns/busy/data',
      name: `f${i}.parquet`,
      partition: [['day', 'long', Math.floor(i / FILES_EACH)]],
      profile: 'simple',
      rows: 10,
      seed: 1000 + i,
    }));
    await lake.landFiles(specs);
    const row = await lake.registry.tableByName('ns', 'busy');
    // One more file lands and is registered, but the updater has not committed it yet.
    const [late] = (
      await lake.writeOnly([
        {
          dir: 'ns/busy/data',
          name: 'late.parquet',
          partition: [['day', 'long', 9]],
          profile: 'simple',
          rows: 10,
          seed: 7,
        },
      ])
    ).files;
    expect((await lake.land(late!.path, new Uint8Array(readFileSync(late!.absolute)))).status).toBe(
      'registered',
    );

    const oneRunAtATime = { registry: lake.registry, store: lake.store, maxGroupsPerRun: 1 };
    const busy = await compactTable(row!.id, oneRunAtATime);
    expect(busy.groups).toHaveLength(1);
    expect(busy.remaining).toBe(3);

    await lake.deliver(lake.updater);
    const free = await compactTable(row!.id, oneRunAtATime);
    expect(free.groups).toHaveLength(3);
    expect(free.remaining).toBeUndefined();
  }, 180_000);
});
