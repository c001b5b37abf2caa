/**
 * A file compaction replaced is still the user's: deleting or overwriting it afterwards must take
 * its rows out of the table although they now live in a compaction output. Checked with the
 * readers (PyIceberg, DuckDB, metrics) against the sum of the files that should be left.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactTable } from '../../lib/compactor/compactTable.js';
import { addSummaries, type FileSpec, type Summary } from '../conformance/readers.js';
import { FaultyStore, InjectedCrash } from '../iceberg/commit/faultyStore.js';
import { type CompactionLake, expectReads, openCompactionLake } from './compactionLake.js';

function spec(table: string, name: string, seed: number, rows: number): FileSpec {
  return {
    dir: `ns/${table}/data`,
    name,
    partition: [['region', 'string', 'a']],
    profile: 'simple',
    flavor: 'default',
    rows,
    seed,
    row_group_size: 16,
  };
}

describe('retracting compacted files, read by PyIceberg and DuckDB', () => {
  let lake: CompactionLake;
  beforeAll(async () => {
    lake = await openCompactionLake();
  });
  afterAll(() => lake?.close());

  /** Writes the files with pyarrow, lands and commits each; returns each file's summary by name. */
  const land = async (specs: FileSpec[]): Promise<Map<string, Summary & { path: string }>> => {
    const written = await lake.writeOnly(specs);
    const byName = new Map<string, Summary & { path: string }>();
    for (const file of written.files) {
      const outcome = await lake.land(file.path, new Uint8Array(readFileSync(file.absolute)));
      expect(outcome.status).toBe('registered');
      byName.set(file.path.split('/').at(-1)!, { rows: file.rows, checksum: file.checksum, path: file.path });
    }
    await lake.deliver(lake.updater);
    return byName;
  };
  const compact = async (table: string) => {
    const row = await lake.registry.tableByName('ns', table);
    return compactTable(row!.id, { registry: lake.registry, store: lake.store });
  };
  const remove = async (path: string) => {
    await lake.store.delete(path);
    return lake.registry.unregisterObject({ bucket: 'local', key: path }, lake.store);
  };
  const lineageOf = async (table: string) => {
    const result = await lake.registry.client.execute({
      sql: `SELECT s.path AS source, c.row_offset, c.row_count FROM compacted_rows c
              JOIN table_files o ON o.id = c.output_file_id JOIN table_files s ON s.id = c.source_file_id
              JOIN tables t ON t.id = o.table_id
            WHERE t.name = ? AND o.iceberg_state = 'committed' ORDER BY o.id, c.row_offset`,
      args: [table],
    });
    return result.rows.map((r) => ({
      source: String(r.source).split('/').at(-1),
      offset: Number(r.row_offset),
      rows: Number(r.row_count),
    }));
  };
  const operationOf = async (snapshotId: string) => {
    const loaded = await lake.iceberg('ns', 'r');
    return loaded!.metadata.snapshots.find((s) => s.snapshotId.toString() === snapshotId)?.summary.operation;
  };

  it('delete, overwrite and delete-after-recompaction take exactly those rows out', async () => {
    const files = await land(
      Array.from({ length: 6 }, (_, i) => spec('r', `f${i}.parquet`, 10 + i, 30 + i * 5)),
    );
    const all = () => [...files.values()];
    expectReads(await lake.read('ns', 'r'), addSummaries(all()));

    const first = await compact('r');
    expect(first.groups).toMatchObject([{ inputFiles: 6, outputFiles: 1 }]);
    // Lineage: the six files back to back, in order, at their row offsets.
    let offset = 0;
    const expected = [...files.entries()].map(([name, f]) => {
      const entry = { source: name, offset, rows: f.rows };
      offset += f.rows;
      return entry;
    });
    expect(await lineageOf('r')).toEqual(expected);

    // 1. The user deletes f2 after compaction: its rows go, an overwrite snapshot says so.
    expect(await remove(files.get('f2.parquet')!.path)).toMatchObject({ status: 'retracted' });
    const afterDelete = await compact('r');
    expect(afterDelete.groups).toMatchObject([
      { inputFiles: 1, outputFiles: 1, rowsRetracted: files.get('f2.parquet')!.rows },
    ]);
    expect(await operationOf(afterDelete.groups[0]!.snapshotId!)).toBe('overwrite');
    files.delete('f2.parquet');
    expectReads(await lake.read('ns', 'r'), addSummaries(all()));
    expect((await lineageOf('r')).map((e) => e.source)).toEqual([...files.keys()]);

    // 2. The user overwrites f4 with other rows: the old rows go, the new file's rows come in.
    const [replacement] = (await lake.writeOnly([spec('r', 'f4.parquet', 99, 17)])).files;
    const overwrite = await lake.land(replacement!.path, new Uint8Array(readFileSync(replacement!.absolute)));
    expect(overwrite.status).toBe('registered');
    await lake.deliver(lake.updater);
    await compact('r');
    files.set('f4.parquet', { rows: 17, checksum: replacement!.checksum, path: replacement!.path });
    expectReads(await lake.read('ns', 'r'), addSummaries(all()));

    // 3. More small files, then a second compaction folds the first output in: lineage is
    // carried through, so deleting an original of the FIRST compaction still works.
    const more = await land(Array.from({ length: 4 }, (_, i) => spec('r', `g${i}.parquet`, 50 + i, 20)));
    for (const [name, f] of more) files.set(name, f);
    const second = await compact('r');
    expect(second.groups.filter((g) => g.snapshotId && !g.rowsRetracted)).toHaveLength(1);
    const live = await lake.registry.client.execute(
      "SELECT count(*) AS n FROM table_files f JOIN tables t ON t.id = f.table_id WHERE t.name = 'r' AND f.iceberg_state = 'committed'",
    );
    expect(Number(live.rows[0]!.n)).toBe(1);
    expectReads(await lake.read('ns', 'r'), addSummaries(all()));
    expect(await remove(files.get('f0.parquet')!.path)).toMatchObject({ status: 'retracted' });
    const third = await compact('r');
    expect(third.groups[0]).toMatchObject({ rowsRetracted: files.get('f0.parquet')!.rows });
    files.delete('f0.parquet');
    expectReads(await lake.read('ns', 'r'), addSummaries(all()));
    // The registry's table statistics follow the rows.
    const table = await lake.registry.tableByName('ns', 'r');
    expect(table!.row_count).toBe(addSummaries(all()).rows);

    // Nothing left to retract: another look does nothing.
    expect((await compact('r')).groups).toEqual([]);
  }, 120_000);

  it('an output whose every source is deleted leaves by a delete snapshot', async () => {
    const files = await land(Array.from({ length: 5 }, (_, i) => spec('d', `f${i}.parquet`, 70 + i, 25)));
    await compact('d');
    for (const file of files.values()) expect(await remove(file.path)).toMatchObject({ status: 'retracted' });
    const report = await compact('d');
    expect(report.groups).toMatchObject([{ inputFiles: 1, outputFiles: 0, rowsRetracted: 125 }]);
    const loaded = await lake.iceberg('ns', 'd');
    expect(loaded!.metadata.snapshots.at(-1)!.summary.operation).toBe('delete');
    expectReads(await lake.read('ns', 'd'), { rows: 0, checksum: '0' });
  }, 120_000);

  it("astha's own cleanup deleting a replaced file (purged) is not a retraction", async () => {
    const files = await land(Array.from({ length: 5 }, (_, i) => spec('p', `f${i}.parquet`, 80 + i, 10)));
    await compact('p');
    const victim = files.get('f1.parquet')!;
    await lake.registry.client.execute({
      sql: "UPDATE table_files SET purged_at = '2026-01-01T00:00:00.000Z' WHERE path = ?",
      args: [victim.path],
    });
    expect(await remove(victim.path)).toMatchObject({ status: 'ignored' });
    expect((await compact('p')).groups).toEqual([]);
    expectReads(await lake.read('ns', 'p'), addSummaries([...files.values()]));
  }, 120_000);

  it('a crash right after a compaction or a retraction commit is recovered with its lineage', async () => {
    const files = await land(Array.from({ length: 5 }, (_, i) => spec('c', `f${i}.parquet`, 90 + i, 12 + i)));
    const row = await lake.registry.tableByName('ns', 'c');
    const crashAfterCommit = () =>
      new FaultyStore(lake.store).inject({
        method: 'putIfAbsent',
        key: /metadata\/v\d+\.metadata\.json$/,
        when: 'after',
        fault: () => new InjectedCrash('after the commit'),
      });
    const crashingLook = () => compactTable(row!.id, { registry: lake.registry, store: crashAfterCommit() });
    await expect(crashingLook()).rejects.toBeInstanceOf(InjectedCrash);
    const recovered = await compact('c');
    expect(recovered.recovered).toHaveLength(1);
    // The lineage came back from the output's footer.
    expect((await lineageOf('c')).map((e) => e.source)).toEqual([...files.keys()]);

    expect(await remove(files.get('f3.parquet')!.path)).toMatchObject({ status: 'retracted' });
    await expect(crashingLook()).rejects.toBeInstanceOf(InjectedCrash);
    const again = await compact('c');
    expect(again.recovered).toHaveLength(1);
    expect(again.groups).toEqual([]);
    files.delete('f3.parquet');
    expect((await lineageOf('c')).map((e) => e.source)).toEqual([...files.keys()]);
    expectReads(await lake.read('ns', 'c'), addSummaries([...files.values()]));
    const table = await lake.registry.tableById(row!.id);
    expect(table!.row_count).toBe(addSummaries([...files.values()]).rows);
  }, 120_000);

  it('a file the user deletes between the compaction commit and its registry record is retracted', async () => {
    const files = await land(Array.from({ length: 5 }, (_, i) => spec('m', `f${i}.parquet`, 110 + i, 9 + i)));
    const row = await lake.registry.tableByName('ns', 'm');
    const victim = files.get('f1.parquet')!;
    const store = new FaultyStore(lake.store).inject({
      method: 'putIfAbsent',
      key: /metadata\/v\d+\.metadata\.json$/,
      when: 'after',
      effect: async () => {
        // The replace is committed; the registry does not know yet. The user deletes f1 now.
        expect(await remove(victim.path)).toMatchObject({ status: 'removed' });
      },
    });
    const look = await compactTable(row!.id, { registry: lake.registry, store });
    expect(look.groups[0]!.snapshotId).toBeDefined();
    const marked = await lake.registry.client.execute({
      sql: 'SELECT retracted_at FROM table_files WHERE path = ?',
      args: [victim.path],
    });
    expect(marked.rows[0]!.retracted_at).not.toBeNull();
    // The delete the updater would commit for f1 finds it gone from the table; the compactor
    // takes its rows out of the output.
    await lake.deliver(lake.updater);
    const next = await compact('m');
    expect(next.groups[0]).toMatchObject({ rowsRetracted: victim.rows });
    files.delete('f1.parquet');
    expectReads(await lake.read('ns', 'm'), addSummaries([...files.values()]));
  }, 120_000);
});
