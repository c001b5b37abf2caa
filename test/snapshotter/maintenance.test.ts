/**
 * Expiration and cleanup of a table with 500 commits through the snapshotter's `maintain`,
 * checked by walking what remains and by PyIceberg reading every remaining snapshot (time
 * travel). One table is built for the whole file (the commits are most of its time), and the
 * steps run in order on it: a dry run, runs that crash part-way through cleanup, the real run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommitClock } from '../../lib/iceberg/commit/commitBackoff.js';
import { keyOfUri } from '../../lib/iceberg/tableLocation.js';
import { silentLogger } from '../../lib/log.js';
import type { Orphan } from '../../lib/snapshotter/cleanupOrphans.js';
import { snapshotsToExpire } from '../../lib/snapshotter/expireSnapshots.js';
import { allReachable, reachableFiles } from '../../lib/snapshotter/reachableFiles.js';
import { createSnapshotter, type MaintenanceReport } from '../../lib/snapshotter/snapshotter.js';
import type { ObjectStore } from '../../lib/store/objectStore.js';
import { crashingStore, InjectedCrash } from './crashingStore.js';
import {
  type HistoryTable,
  historyTable,
  metadataObjects,
  newest,
  readAllSnapshots,
} from './maintenanceFixture.js';

const COMMITS = 500;
const KEEP = 12;
const PREVIOUS_VERSIONS = 20;
const DAY_MS = 24 * 60 * 60 * 1000;

let history: HistoryTable;
beforeAll(async () => {
  const started = performance.now();
  history = await historyTable(COMMITS, {
    'history.expire.min-snapshots-to-keep': String(KEEP),
    'write.metadata.previous-versions-max': String(PREVIOUS_VERSIONS),
  });
  console.log(`built ${COMMITS} commits in ${Math.round(performance.now() - started)} ms`);
}, 300_000);
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

/** A clock `offsetMs` ahead of the wall clock. */
const clockAhead = (offsetMs: number): CommitClock => ({
  now: () => Date.now() + offsetMs,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});

function snapshotterOn(store: ObjectStore, clock: CommitClock) {
  return createSnapshotter({ registry: history.registry, store, logger: silentLogger(), clock });
}

const keysOf = (orphans: readonly Orphan[]) => orphans.map((o) => o.key);

describe(`a table with ${COMMITS} commits`, () => {
  const later = clockAhead(10 * DAY_MS);
  let metadataBefore: Map<string, number>;
  let newestSizeBefore: number;
  let dry: MaintenanceReport;

  it('a dry run now finds nothing due: every snapshot is younger than the max age, every file than the safety age', async () => {
    const before = await newest(history);
    expect(before.metadata.snapshots).toHaveLength(COMMITS);
    metadataBefore = await metadataObjects(history.store, history.table);
    newestSizeBefore = metadataBefore.get(keyOfUri(history.store, before.metadataLocation))!;
    const now = await snapshotterOn(history.store, clockAhead(0)).maintain(history.tableId, { dryRun: true });
    expect(now).toMatchObject({ expired: 0, expiredSnapshots: [], removedRefs: [], dryRun: true });
    expect(now.cleanup!.orphans).toEqual([]);
  });

  it('a dry run later lists the snapshots expiration would remove and what cleanup would delete after it, changing nothing', async () => {
    const before = await newest(history);
    dry = await snapshotterOn(history.store, later).maintain(history.tableId, { dryRun: true });
    // All but the newest K of main go; the current one never.
    const oldIds = before.metadata.snapshots.slice(0, COMMITS - KEEP).map((s) => s.snapshotId.toString());
    expect(dry.expiredSnapshots).toEqual(oldIds);
    expect(dry.expired).toBe(COMMITS - KEEP);
    expect(new Set(dry.cleanup!.orphans.map((o) => o.kind))).toEqual(
      new Set(['metadata', 'manifest-list', 'manifest']),
    );
    // The manifest lists of exactly the expired snapshots: what only the expiration makes unreachable.
    const expiredLists = before.metadata.snapshots
      .slice(0, COMMITS - KEEP)
      .map((s) => keyOfUri(history.store, s.manifestList));
    expect(
      dry
        .cleanup!.orphans.filter((o) => o.kind === 'manifest-list')
        .map((o) => o.key)
        .sort(),
    ).toEqual(expiredLists.sort());
    // Nothing was committed or deleted.
    expect((await newest(history)).version).toBe(before.version);
    expect((await metadataObjects(history.store, history.table)).size).toBe(metadataBefore.size);
    const rows = await history.registry.client.execute({
      sql: 'SELECT count(*) AS n FROM table_snapshots WHERE table_id = ?',
      args: [history.tableId],
    });
    expect(Number(rows.rows[0]!.n)).toBe(COMMITS);
  });

  it('crashed runs and the real run expire and delete exactly what the dry run listed; nothing reachable ever goes', async () => {
    const before = await newest(history);
    const deleted: string[] = [];
    // Crashes at several points of the cleanup; the first run's expiration commits before it.
    for (const crashAfter of [9, 47, 160]) {
      const crashing = crashingStore(history.store, crashAfter);
      await expect(snapshotterOn(crashing, later).maintain(history.tableId)).rejects.toBeInstanceOf(
        InjectedCrash,
      );
      deleted.push(...crashing.deleted);
      const { missing } = await missingReachable(history.store, history);
      expect(missing).toEqual([]);
    }
    const real = await snapshotterOn(history.store, later).maintain(history.tableId);
    // The crashed first run expired them; nothing is left to expire.
    expect(real.expiredSnapshots).toEqual([]);
    deleted.push(...keysOf(real.cleanup!.orphans));
    expect(new Set(deleted)).toEqual(new Set(keysOf(dry.cleanup!.orphans)));
    expect(deleted).toHaveLength(new Set(deleted).size);

    // What the table no longer holds is what the dry run said would go, in metadata and registry.
    const after = await newest(history);
    const held = new Set(after.metadata.snapshots.map((s) => s.snapshotId.toString()));
    const gone = before.metadata.snapshots.map((s) => s.snapshotId.toString()).filter((id) => !held.has(id));
    expect(gone).toEqual(dry.expiredSnapshots);
    expect(after.metadata.snapshots).toHaveLength(KEEP);
    expect(after.metadata.currentSnapshotId).toBe(before.metadata.currentSnapshotId);
    expect(snapshotsToExpire(after.metadata, later.now())).toEqual([]);
    const marks = await history.registry.client.execute({
      sql: 'SELECT snapshot_id FROM expired_snapshots WHERE table_id = ? ORDER BY snapshot_id',
      args: [history.tableId],
    });
    expect(marks.rows.map((r) => String(r.snapshot_id))).toEqual([...dry.expiredSnapshots].sort());
    const rows = await history.registry.client.execute({
      sql: 'SELECT count(*) AS n FROM table_snapshots WHERE table_id = ?',
      args: [history.tableId],
    });
    expect(Number(rows.rows[0]!.n)).toBe(KEEP);
    expect((await history.registry.tableById(history.tableId))!.metadata_version).toBe(after.version);

    const { reachable, missing } = await missingReachable(history.store, history);
    expect(missing).toEqual([]);
    expect(reachable).toBeGreaterThan(KEEP);
    // Everything left under metadata/ is reachable (or the version hint).
    const left = await metadataObjects(history.store, history.table);
    const reach = allReachable(await reachableFiles(history.store, after.metadata, after.metadataLocation));
    expect([...left.keys()].filter((k) => !reach.has(k) && !k.endsWith('version-hint.text'))).toEqual([]);
    // A further run, dry or real, finds nothing more.
    const again = await snapshotterOn(history.store, later).maintain(history.tableId, { dryRun: true });
    expect(again.expiredSnapshots).toEqual([]);
    expect(again.cleanup!.orphans).toEqual([]);
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
