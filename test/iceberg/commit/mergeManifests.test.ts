/**
 * A table that went through 150 commits keeps a short manifest list (merged past
 * `commit.manifest.min-count-to-merge`, default 100), merged entries keep the sequence numbers
 * of the commit that added them, and PyIceberg still reads every row.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadTable } from '../../../lib/iceberg/commit/loadTable.js';
import { mergePolicy } from '../../../lib/iceberg/commit/mergeManifests.js';
import { commitPending } from '../../../lib/iceberg/commitPending.js';
import { ManifestEntryStatus } from '../../../lib/iceberg/spec/dataFile.js';
import { inheritFromManifestFile, readManifest } from '../../../lib/iceberg/spec/manifest.js';
import { readManifestList } from '../../../lib/iceberg/spec/manifestList.js';
import { currentSnapshot } from '../../../lib/iceberg/spec/tableMetadata.js';
import { keyOfUri, tableRefFor } from '../../../lib/iceberg/tableLocation.js';
import { FsStore } from '../../../lib/store/fsStore.js';
import { addOrderFiles, readWithPyIceberg, tempDir, tempRegistry } from './commitFixtures.js';

const dir = tempDir('astha-merge-');
afterAll(() => dir.remove());

describe('manifest merging', () => {
  it('reads the policy from table properties with Iceberg defaults', () => {
    expect(mergePolicy({})).toEqual({
      enabled: true,
      minCountToMerge: 100,
      targetSizeBytes: 8 * 1024 * 1024,
    });
    expect(
      mergePolicy({ 'commit.manifest.min-count-to-merge': '5', 'commit.manifest-merge.enabled': 'false' }),
    ).toMatchObject({ enabled: false, minCountToMerge: 5 });
  });

  it('150 commits: short list, sequence numbers kept, PyIceberg reads all rows', async () => {
    const registry = await tempRegistry(dir.path);
    const store = new FsStore(`${dir.path}/warehouse`);
    const commits = 150;
    let tableId = -1;
    for (let i = 0; i < commits; i++) {
      await addOrderFiles(registry, store, { count: 1, rows: 2, firstId: i * 2 });
      if (tableId < 0) tableId = (await registry.tableByName('sales', 'orders'))?.id ?? -1;
      const result = await commitPending(tableId, { registry, store });
      expect(result).not.toBe('nothing pending');
    }
    const loaded = await loadTable(store, tableRefFor(store, 'sales/orders'));
    const snapshot = loaded ? currentSnapshot(loaded.metadata) : undefined;
    if (!loaded || !snapshot) throw new Error('table has no snapshot');
    expect(snapshot.sequenceNumber).toBe(commits);
    const list = readManifestList(await store.get(keyOfUri(store, snapshot.manifestList)));
    // Merged at commit 101 (1 merged + 1 new), then one new manifest per commit.
    expect(list.manifests.length).toBe(51);
    expect(list.manifests.some((m) => m.existingFilesCount === 100)).toBe(true);
    const sequenceOf = new Map<string, number>();
    for (const manifest of list.manifests) {
      const read = readManifest(await store.get(keyOfUri(store, manifest.manifestPath)));
      for (const entry of inheritFromManifestFile(read.entries, manifest)) {
        expect(entry.status).not.toBe(ManifestEntryStatus.DELETED);
        sequenceOf.set(entry.dataFile.filePath, entry.sequenceNumber ?? -1);
      }
    }
    expect(sequenceOf.size).toBe(commits);
    // File f-<2k> was added by commit k+1, whose sequence number is k+1, merged or not.
    for (const [path, sequence] of sequenceOf) {
      const firstId = Number(/f-(\d+)\.parquet$/.exec(path)?.[1]);
      expect(sequence).toBe(firstId / 2 + 1);
    }
    const read = await readWithPyIceberg(loaded.metadataLocation, { duckdb: true });
    expect(read.manifests).toBe(51);
    expect(read.rows).toBe(commits * 2);
    expect(new Set(read.files).size).toBe(commits);
    expect(read.sum).toBe((commits * 2 * (commits * 2 - 1)) / 2);
    expect(read.duckdb).toEqual({ rows: commits * 2, sum: read.sum });
    registry.close();
  }, 300_000);
});
