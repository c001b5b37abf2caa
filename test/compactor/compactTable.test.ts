import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactTable } from '../../lib/compactor/compactTable.js';
import type { FileSpec, Summary } from '../conformance/readers.js';
import { type CompactionLake, expectReads, openCompactionLake, summaryOf } from './compactionLake.js';

/** Flat profiles of the pyarrow writer (strings, doubles, timestamps, uuid, fixed) and Spark's INT96. */
const CASES = {
  simple: ['simple', 'default'],
  ids: ['ids', 'default'],
  spark: ['simple', 'spark'],
} as const satisfies Record<string, [FileSpec['profile'], FileSpec['flavor']]>;
type Case = keyof typeof CASES;

/** `count` files of `profile` in partition `region=<value>` of ns.t. */
function files(table: Case, region: string, count: number, firstSeed: number): FileSpec[] {
  const [profile, flavor] = CASES[table];
  return Array.from({ length: count }, (_, i) => ({
    dir: `ns/${table}/data`,
    name: `f${firstSeed + i}.parquet`,
    partition: [['region', 'string', region]],
    profile,
    flavor,
    rows: 40 + i * 7,
    seed: firstSeed + i,
    row_group_size: 16,
  }));
}

async function liveFilesByPartition(lake: CompactionLake, table: string) {
  const result = await lake.registry.client.execute({
    sql: `SELECT f.partition_path AS p, count(*) AS n, sum(f.astha_written) AS ours FROM table_files f
          JOIN tables t ON t.id = f.table_id WHERE t.name = ? AND f.iceberg_state = 'committed'
          GROUP BY f.partition_path ORDER BY f.partition_path`,
    args: [table],
  });
  return result.rows.map((r) => ({ partition: String(r.p), files: Number(r.n), compacted: Number(r.ours) }));
}

describe('compactTable on a real registry and warehouse, read by PyIceberg and DuckDB', () => {
  let lake: CompactionLake;
  beforeAll(async () => {
    lake = await openCompactionLake();
  });
  afterAll(() => lake?.close());

  for (const profile of Object.keys(CASES) as Case[]) {
    it(`${profile}: same rows before and after, fewer files, old snapshot still readable`, async () => {
      const written = await lake.landFiles([
        ...files(profile, 'a', 7, 100),
        ...files(profile, 'b/c', 3, 200),
      ]);
      const before = await lake.read('ns', profile);
      // INT96 carries no zone: the table reads Spark's instants as local timestamps, whatever
      // pyarrow wrote. Compaction must keep exactly what the table read before.
      const baseline = profile === 'spark' ? (summaryOf(before[0]!) as Summary) : written;
      expectReads(before, baseline);
      const preLoaded = await lake.iceberg('ns', profile);
      const preSnapshot = preLoaded!.metadata.currentSnapshotId!.toString();
      const row = await lake.registry.tableByName('ns', profile);

      const report = await compactTable(row!.id, { registry: lake.registry, store: lake.store });

      // Only partition a reaches min-input-files (5): its 7 files become one.
      expect(report.groups).toHaveLength(1);
      expect(report.groups[0]).toMatchObject({ partitionPath: 'region=a', inputFiles: 7, outputFiles: 1 });
      expect(await liveFilesByPartition(lake, profile)).toEqual([
        { partition: 'region=a', files: 1, compacted: 1 },
        { partition: 'region=b%2Fc', files: 3, compacted: 0 },
      ]);
      const after = await lake.read('ns', profile);
      expectReads(after, baseline);
      expect(after[0]!.planned_files).toBe(4);
      const metadata = await lake.metadataLocation('ns', profile);
      const [old] = await lake.readSnapshots(metadata, [preSnapshot]);
      expect(summaryOf(old!)).toEqual(baseline);

      // The registry agrees with the table: inputs removed by the replace, statistics unchanged.
      const snapshotId = report.groups[0]!.snapshotId!;
      const replaced = await lake.registry.client.execute({
        sql: `SELECT count(*) AS n FROM table_files f JOIN table_snapshots s
                ON s.table_id = f.table_id AND s.snapshot_id = f.target_snapshot_id
              WHERE f.table_id = ? AND f.iceberg_state = 'removed' AND s.operation = 'replace' AND s.snapshot_id = ?`,
        args: [row!.id, snapshotId],
      });
      expect(Number(replaced.rows[0]!.n)).toBe(7);
      const table = await lake.registry.tableById(row!.id);
      expect({ rows: table!.row_count, files: table!.file_count }).toEqual({ rows: written.rows, files: 4 });
      expect(table!.current_snapshot_id).toBe(snapshotId);

      // Nothing left to do: a second look plans nothing.
      const again = await compactTable(row!.id, { registry: lake.registry, store: lake.store });
      expect(again.groups).toEqual([]);
    }, 60_000);
  }
});
