/**
 * A commit that takes files out of a table (compaction's replace, a delete) keeps the manifests
 * it rewrote across its attempts: after losing a race it reads only the manifests added since,
 * so a retry costs about what an append costs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadTable } from '../../../lib/iceberg/commit/loadTable.js';
import { ManifestRewrites, takeOutOfManifests } from '../../../lib/iceberg/commit/rewriteSnapshot.js';
import { commitPending } from '../../../lib/iceberg/commitPending.js';
import { currentSnapshot } from '../../../lib/iceberg/spec/tableMetadata.js';
import { tableRefFor } from '../../../lib/iceberg/tableLocation.js';
import { FsStore } from '../../../lib/store/fsStore.js';
import type { GetOptions } from '../../../lib/store/objectStore.js';
import { addOrderFiles, tempDir, tempRegistry } from './commitFixtures.js';

const dir = tempDir('astha-rewrites-');
afterAll(() => dir.remove());

/** A directory store that counts reads of manifests (not of manifest lists). */
class CountingStore extends FsStore {
  manifestReads = 0;
  override async get(key: string, options?: GetOptions): Promise<Uint8Array> {
    if (/\/metadata\/[^/]*-m\d+\.avro$/.test(key)) this.manifestReads++;
    return super.get(key, options);
  }
}

describe('ManifestRewrites', () => {
  it('a second attempt reads only the manifests added since the first; new paths start afresh', async () => {
    const registry = await tempRegistry(dir.path);
    const store = new CountingStore(`${dir.path}/warehouse`);
    const table = tableRefFor(store, 'sales/orders');
    const commitOne = async (i: number) => {
      await addOrderFiles(registry, store, { count: 1, rows: 2, firstId: i * 10 + 1 });
      const tableId = (await registry.tableByName('sales', 'orders'))!.id;
      expect(await commitPending(tableId, { registry, store })).not.toBe('nothing pending');
    };
    for (let i = 0; i < 5; i++) await commitOne(i);
    const uris = await registry.client.execute('SELECT uri FROM table_files ORDER BY id');
    const first = new Set([String(uris.rows[0]!.uri)]);
    const rewrites = new ManifestRewrites();
    const attempt = async (paths: ReadonlySet<string>) => {
      const base = (await loadTable(store, table))!;
      const before = store.manifestReads;
      const result = await takeOutOfManifests(
        store,
        table,
        base,
        currentSnapshot(base.metadata)!,
        paths,
        7n,
        rewrites,
      );
      return { ...result, reads: store.manifestReads - before };
    };

    const one = await attempt(first);
    expect(one.reads).toBe(5);
    expect(one.removed.map((f) => f.filePath)).toEqual([...first]);
    expect(one.manifests).toHaveLength(5);

    await commitOne(5); // another writer won the race
    const two = await attempt(first);
    expect(two.reads).toBe(1);
    expect(two.removed.map((f) => f.filePath)).toEqual([...first]);
    expect(two.manifests).toHaveLength(6);
    const rewritten = (r: typeof one) =>
      r.manifests.filter((m) => m.addedSnapshotId === 7n).map((m) => m.manifestPath);
    expect(rewritten(two)).toEqual(rewritten(one));

    const second = new Set([String(uris.rows[1]!.uri)]);
    const three = await attempt(second);
    expect(three.reads).toBe(6);
    expect(three.removed.map((f) => f.filePath)).toEqual([...second]);
  });
});
