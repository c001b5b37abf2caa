/**
 * Expiration and cleanup of a table with 300 commits, checked by walking what remains and by
 * PyIceberg reading every remaining snapshot (time travel). One table is built for the whole
 * file (the commits are most of its time), and the steps run in order on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyOfUri } from '../../lib/iceberg/tableLocation.js';
import { cleanupOrphans, type Orphan } from '../../lib/snapshotter/cleanupOrphans.js';
import { expireSnapshots, snapshotsToExpire } from '../../lib/snapshotter/expireSnapshots.js';
import { allReachable, reachableFiles } from '../../lib/snapshotter/reachableFiles.js';
import { recordExpiredSnapshots } from '../../lib/registry/snapshotterState.js';
import type { ObjectStore } from '../../lib/store/objectStore.js';
import { crashingStore, InjectedCrash } from './crashingStore.js';
import {
  type HistoryTable,
  historyTable,
  metadataObjects,
  newest,
  readAllSnapshots,
} from './maintenanceFixture.js';

const COMMITS = 300;
const KEEP = 12;
const PREVIOUS_VERSIONS = 20;
const DAY_MS = 24 * 60 * 60 * 1000;

let history: HistoryTable;
beforeAll(async () => {
  history = await historyTable(COMMITS, {
    'history.expire.min-snapshots-to-keep': String(KEEP),
    'write.metadata.previous-versions-max': String(PREVIOUS_VERSIONS),
  });
}, 120_000);
afterAll(() => history?.remove());

/** Every object the newest version reaches, and which of them are missing from the store. */
async function missingReachable(
  store: ObjectStore,
  h: HistoryTable,
): Promise<{ reachable: number; missing: string[] }> {
  const loaded = await newest(h);
  const all = allReachable(await reachableFiles(store, loaded.metadata, loaded.metadataLocation));
  const missing: string[] = [];
  for (const key of all) if (!(await store.head(key))) missing.push(key);
  return { reachable: all.size, missing };
}

describe('a table with 300 commits', () => {
  const later = () => Date.now() + 10 * DAY_MS;
  let metadataBefore: Map<string, number>;
  let newestSizeBefore: number;
  let dryRun: Orphan[];

  it('expires all but the newest K snapshots once they are past the max age, the current one never', async () => {
    const before = await newest(history);
    expect(before.metadata.snapshots).toHaveLength(COMMITS);
    metadataBefore = await metadataObjects(history.store, history.table);
    newestSizeBefore = metadataBefore.get(keyOfUri(history.store, before.metadataLocation))!;
    // Younger than the default 5 days: nothing is due yet.
    expect(snapshotsToExpire(before.metadata, Date.now())).toEqual([]);

    const result = await expireSnapshots(history.store, history.table, { nowMs: later() });
    expect(result.committed).toBe(true);
    expect(result.expired).toHaveLength(COMMITS - KEEP);
    const after = result.table.metadata;
    expect(after.snapshots).toHaveLength(KEEP);
    expect(after.currentSnapshotId).toBe(before.metadata.currentSnapshotId);
    // The kept ones are the newest K of main's ancestry.
    const newestIds = before.metadata.snapshots.slice(-KEEP).map((s) => s.snapshotId);
    expect(after.snapshots.map((s) => s.snapshotId)).toEqual(newestIds);
    // Nothing more is due on the new version.
    expect(snapshotsToExpire(after, later())).toEqual([]);

    const ids = result.expired.map((s) => s.snapshotId.toString());
    expect(await recordExpiredSnapshots(history.registry.client, history.tableId, ids, Date.now())).toBe(
      COMMITS - KEEP,
    );
    const rows = await history.registry.client.execute({
      sql: 'SELECT count(*) AS n FROM table_snapshots WHERE table_id = ?',
      args: [history.tableId],
    });
    expect(Number(rows.rows[0]!.n)).toBe(KEEP);
  });

  it('deletes nothing younger than the safety age, even unreachable files', async () => {
    const result = await cleanupOrphans(history.store, history.table, { nowMs: Date.now() });
    expect(result.orphans).toEqual([]);
  });

  it('dry run lists exactly what crashed runs and the real run delete; nothing reachable ever goes', async () => {
    const dry = await cleanupOrphans(history.store, history.table, { nowMs: later(), dryRun: true });
    dryRun = dry.orphans;
    const kinds = new Set(dryRun.map((o) => o.kind));
    expect(kinds).toEqual(new Set(['metadata', 'manifest-list', 'manifest']));
    // Nothing was deleted by the dry run.
    expect((await metadataObjects(history.store, history.table)).size).toBe(metadataBefore.size + 1);

    // Crashes at several points: each leaves every reachable object in place.
    const deleted: string[] = [];
    for (const crashAfter of [0, 9, 47, 160]) {
      const crashing = crashingStore(history.store, crashAfter);
      await expect(cleanupOrphans(crashing, history.table, { nowMs: later() })).rejects.toBeInstanceOf(
        InjectedCrash,
      );
      deleted.push(...crashing.deleted);
      const { missing } = await missingReachable(history.store, history);
      expect(missing).toEqual([]);
    }
    const real = await cleanupOrphans(history.store, history.table, { nowMs: later() });
    deleted.push(...real.orphans.map((o) => o.key));
    expect(new Set(deleted)).toEqual(new Set(dryRun.map((o) => o.key)));
    expect(deleted).toHaveLength(new Set(deleted).size);

    const { reachable, missing } = await missingReachable(history.store, history);
    expect(missing).toEqual([]);
    // Everything left under metadata/ is reachable (or the version hint).
    const left = await metadataObjects(history.store, history.table);
    const loaded = await newest(history);
    const reach = allReachable(await reachableFiles(history.store, loaded.metadata, loaded.metadataLocation));
    expect([...left.keys()].filter((k) => !reach.has(k) && !k.endsWith('version-hint.text'))).toEqual([]);
    expect(reachable).toBeGreaterThan(KEEP);
    // A second run finds nothing more.
    expect((await cleanupOrphans(history.store, history.table, { nowMs: later() })).orphans).toEqual([]);
  });

  it('shrinks metadata: fewer objects, fewer bytes, a smaller newest metadata file', async () => {
    const after = await metadataObjects(history.store, history.table);
    const bytes = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    expect(after.size).toBeLessThan(metadataBefore.size / 3);
    expect(bytes(after)).toBeLessThan(bytes(metadataBefore) / 3);
    const loaded = await newest(history);
    expect(after.get(keyOfUri(history.store, loaded.metadataLocation))!).toBeLessThan(newestSizeBefore / 3);
    // The metadata log keeps the last previous-versions-max files, all still there.
    expect(loaded.metadata.metadataLog).toHaveLength(PREVIOUS_VERSIONS);
    for (const entry of loaded.metadata.metadataLog)
      expect(after.has(keyOfUri(history.store, entry.metadataFile))).toBe(true);
    console.log(
      `metadata objects ${metadataBefore.size} → ${after.size}, bytes ${bytes(metadataBefore)} → ${bytes(after)}`,
    );
  });

  it('every remaining snapshot still reads with PyIceberg, with the rows it had', async () => {
    const loaded = await newest(history);
    const read = await readAllSnapshots(loaded.metadataLocation);
    expect(read.snapshots).toHaveLength(KEEP);
    expect(read.current).toBe(loaded.metadata.currentSnapshotId!.toString());
    for (const snapshot of read.snapshots) {
      expect({ id: snapshot.id, rows: snapshot.rows, sum: snapshot.sum }).toEqual({
        id: snapshot.id,
        ...history.expected.get(snapshot.id),
      });
    }
    // The newest holds every row ever committed.
    const last = read.snapshots.at(-1)!;
    expect(last.rows).toBe(COMMITS * 2);
  }, 60_000);
});
