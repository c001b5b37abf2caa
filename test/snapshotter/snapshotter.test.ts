/**
 * The snapshotter component on a real registry and store: time-based commits on its tick (a
 * health message through the component handler), count-based ones on its events, manual
 * requests, and maintenance (expiration recorded in the registry, then cleanup) including
 * data files replaced by compaction, which are deleted only once no snapshot reaches them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type ChangeEvent, encodeMessage } from '../../lib/astha/events.js';
import { createComponentHandler } from '../../lib/components/componentHandler.js';
import { commitTable } from '../../lib/iceberg/commit/commitTable.js';
import { loadTable } from '../../lib/iceberg/commit/loadTable.js';
import { commitRemovals } from '../../lib/iceberg/commitRemovals.js';
import { commitPending } from '../../lib/iceberg/commitPending.js';
import { silentLogger } from '../../lib/log.js';
import { replacedDataFiles, tablesDueForMaintenance } from '../../lib/registry/snapshotterState.js';
import { cleanupOrphans, DELETE_REPLACED_USER_FILES } from '../../lib/snapshotter/cleanupOrphans.js';
import { requestSnapshot } from '../../lib/snapshotter/requestSnapshot.js';
import { createSnapshotter } from '../../lib/snapshotter/snapshotter.js';
import { sqsRecord } from '../lambda/sqsRecords.js';
import { type PolicyLake, policyLake } from './policyFixture.js';
import { countRequests } from '../registry/countRequests.js';

const DAY = 24 * 60 * 60 * 1000;
let lake: PolicyLake | undefined;
afterEach(() => lake?.remove());

function snapshotterOf(l: PolicyLake) {
  return createSnapshotter({ registry: l.registry, store: l.store, logger: silentLogger(), clock: l.clock });
}

async function pendingEvent(l: PolicyLake): Promise<ChangeEvent> {
  const [file] = await l.registry.pendingFiles(l.tableId, 1);
  if (!file) throw new Error('no pending file');
  return {
    kind: 'change',
    id: 1,
    table: 'table_files',
    operation: 'INSERT',
    after: file,
    timestamp: new Date().toISOString(),
  };
}

describe('snapshotter commits', () => {
  it('commits a table once its oldest pending file is older than max-age, on a health message', async () => {
    lake = await policyLake({ 'astha.commit.max-age-seconds': '60' });
    await lake.land(2);
    const snapshotter = snapshotterOf(lake);
    const handler = createComponentHandler(snapshotter, silentLogger());
    const health = () =>
      handler({
        Records: [
          sqsRecord(
            encodeMessage({
              kind: 'health',
              component: 'snapshotter',
              id: `h-${Date.now()}`,
              timestamp: new Date().toISOString(),
            }),
            { messageId: 'h', groupId: 'control' },
          ),
        ],
      });
    expect((await health()).batchItemFailures).toEqual([]);
    expect(await lake.states()).toEqual({ pending: 3 });
    lake.clock.advance(61_000);
    expect((await health()).batchItemFailures).toEqual([]);
    expect(await lake.states()).toEqual({ committed: 3 });
  });

  it('leaves tables without a policy to the iceberg_updater', async () => {
    lake = await policyLake({});
    const report = await snapshotterOf(lake).tick();
    expect(report.committed).toEqual([]);
    expect(await lake.states()).toEqual({ pending: 1 });
  });

  it('asks the registry once for a burst of files of a table without a policy, again after a policy change', async () => {
    lake = await policyLake({});
    const snapshotter = snapshotterOf(lake);
    await lake.land(1);
    const event = await pendingEvent(lake);
    await snapshotter.onEvent(event);
    const queries = countRequests(lake.registry.client).count;
    for (let i = 0; i < 20; i++) await snapshotter.onEvent(event);
    expect(queries()).toBe(0);
    // A policy set later is seen on the table_metadata event it causes, and applies at once.
    await lake.registry.client.execute({
      sql: 'UPDATE table_metadata SET properties_json = ? WHERE table_id = ?',
      args: [JSON.stringify({ 'astha.commit.min-files': '3' }), lake.tableId],
    });
    const definition = { table_id: lake.tableId };
    await snapshotter.onEvent({
      ...event,
      table: 'table_metadata',
      operation: 'UPDATE',
      after: definition,
    } as never);
    expect(await lake.states()).toEqual({ pending: 2 });
    await lake.land(1);
    await snapshotter.onEvent(await pendingEvent(lake));
    expect(await lake.states()).toEqual({ committed: 3 });
  });

  it('commits on the event that makes the count due, not before', async () => {
    lake = await policyLake({ 'astha.commit.min-files': '3' });
    const snapshotter = snapshotterOf(lake);
    await lake.land(1);
    await snapshotter.onEvent(await pendingEvent(lake));
    expect(await lake.states()).toEqual({ pending: 2 });
    await lake.land(1);
    await snapshotter.onEvent(await pendingEvent(lake));
    expect(await lake.states()).toEqual({ committed: 3 });
  });

  it('answers a manual request on its next tick and forgets it afterwards', async () => {
    lake = await policyLake({ 'astha.commit.min-files': '100' });
    const snapshotter = snapshotterOf(lake);
    await requestSnapshot(lake.registry, lake.tableId, lake.clock.now());
    const report = await snapshotter.tick();
    expect(report.committed).toEqual([{ tableId: lake.tableId, snapshots: 1, reason: 'requested' }]);
    expect(await lake.states()).toEqual({ committed: 1 });
    const open = await lake.registry.client.execute('SELECT count(*) AS n FROM snapshot_requests');
    expect(Number(open.rows[0]!.n)).toBe(0);
    await lake.land(1);
    expect((await snapshotter.tick()).committed).toEqual([]);
  });
});

describe('snapshotter maintenance', () => {
  it('expires, records it in the registry and cleans up on its tick, then waits for the interval', async () => {
    lake = await policyLake({});
    for (let i = 0; i < 5; i++) {
      await commitPending(lake.tableId, { registry: lake.registry, store: lake.store });
      await lake.land(1);
    }
    await commitPending(lake.tableId, { registry: lake.registry, store: lake.store });
    const snapshotter = snapshotterOf(lake);
    // Young snapshots: maintenance runs but neither expires nor deletes anything.
    const young = await snapshotter.tick();
    expect(young.maintained).toMatchObject([{ tableId: lake.tableId, expired: 0, cleanup: { orphans: [] } }]);
    expect(await tablesDueForMaintenance(lake.registry.client, lake.clock.now() - 1000)).toEqual([]);

    lake.clock.advance(10 * DAY);
    const report = await snapshotter.tick();
    expect(report.failed).toEqual([]);
    expect(report.maintained).toHaveLength(1);
    expect(report.maintained[0]!.expired).toBe(5);
    const orphans = report.maintained[0]!.cleanup!.orphans;
    expect(orphans.filter((o) => o.kind === 'manifest-list')).toHaveLength(5);
    expect(orphans.some((o) => o.kind === 'data')).toBe(false);

    const row = (await lake.registry.tableById(lake.tableId))!;
    const loaded = (await loadTable(lake.store, { keyPrefix: row.key_prefix, location: row.location }))!;
    expect(row.metadata_version).toBe(loaded.version);
    expect(loaded.metadata.snapshots.map((s) => s.snapshotId.toString())).toEqual([row.current_snapshot_id]);
    const rows = await lake.registry.client.execute('SELECT snapshot_id FROM table_snapshots');
    expect(rows.rows.map((r) => String(r.snapshot_id))).toEqual([row.current_snapshot_id]);
    const marks = await lake.registry.client.execute('SELECT count(*) AS n FROM expired_snapshots');
    expect(Number(marks.rows[0]!.n)).toBe(5);
    // Just maintained: the next tick leaves it alone.
    expect((await snapshotter.tick()).maintained).toEqual([]);
  });

  it('removes refs past their max ref age (never main) and expires what only they held; the dry run says so first', async () => {
    lake = await policyLake({ 'history.expire.max-ref-age-ms': String(DAY) });
    const deps = { registry: lake.registry, store: lake.store, clock: lake.clock };
    await commitPending(lake.tableId, deps);
    for (let i = 0; i < 2; i++) {
      await lake.land(1);
      await commitPending(lake.tableId, deps);
    }
    const row = (await lake.registry.tableById(lake.tableId))!;
    const table = { keyPrefix: row.key_prefix, location: row.location };
    const [s1, s2, s3] = (await loadTable(lake.store, table))!.metadata.snapshots.map((s) => s.snapshotId);
    await commitTable(
      lake.store,
      table,
      () => ({
        requirements: [],
        updates: [
          {
            action: 'set-snapshot-ref',
            refName: 'release',
            type: 'tag',
            snapshotId: s1!,
            maxRefAgeMs: 2 * DAY,
          },
          {
            action: 'set-snapshot-ref',
            refName: 'pinned',
            type: 'tag',
            snapshotId: s2!,
            maxRefAgeMs: 100 * DAY,
          },
        ],
      }),
      { clock: lake.clock },
    );
    lake.clock.advance(10 * DAY);
    const snapshotter = snapshotterOf(lake);
    const dry = await snapshotter.maintain(lake.tableId, { dryRun: true });
    expect(dry).toMatchObject({ removedRefs: ['release'], expiredSnapshots: [s1!.toString()], dryRun: true });
    const real = await snapshotter.maintain(lake.tableId);
    expect(real).toMatchObject({
      removedRefs: ['release'],
      expiredSnapshots: [s1!.toString()],
      dryRun: false,
    });
    const after = (await loadTable(lake.store, table))!.metadata;
    expect(after.properties['history.expire.max-ref-age-ms']).toBe(String(DAY));
    expect(Object.keys(after.refs).sort()).toEqual(['main', 'pinned']);
    expect(after.refs.main!.snapshotId).toBe(s3);
    expect(after.snapshots.map((s) => s.snapshotId)).toEqual([s2, s3]);
    // Older than the table's 1 day, main stays; nothing more is due.
    const again = await snapshotter.maintain(lake.tableId, { dryRun: true });
    expect(again).toMatchObject({ removedRefs: [], expiredSnapshots: [] });
  });

  it('deletes a data file compaction replaced (handed over by the table) only once no snapshot reaches it; a user-removed file never', async () => {
    lake = await policyLake({ [DELETE_REPLACED_USER_FILES]: 'true' });
    const deps = { registry: lake.registry, store: lake.store };
    await commitPending(lake.tableId, deps);
    await lake.land(1);
    await commitPending(lake.tableId, deps);
    await lake.land(1);
    await commitPending(lake.tableId, deps);
    const files = await lake.registry.client.execute({
      sql: 'SELECT id, path FROM table_files WHERE table_id = ? ORDER BY id',
      args: [lake.tableId],
    });
    const [replaced, userRemoved, kept] = files.rows.map((r) => ({ id: Number(r.id), path: String(r.path) }));
    // Both leave the table through a snapshot of their own; the first is labelled the way the
    // compactor records its rewrites (a `replace` snapshot), the second stays a user's `delete`.
    const removeFrom = async (fileId: number) => {
      await lake!.registry.client.execute({
        sql: "UPDATE table_files SET iceberg_state = 'removed' WHERE id = ?",
        args: [fileId],
      });
      const removal = await commitRemovals(lake!.tableId, deps);
      if (removal === 'nothing removed' || removal.snapshotId === null) throw new Error('expected a removal');
      return removal.snapshotId;
    };
    const replaceSnapshot = await removeFrom(replaced!.id);
    await removeFrom(userRemoved!.id);
    await lake.registry.client.execute({
      sql: "UPDATE table_snapshots SET operation = 'replace' WHERE snapshot_id = ?",
      args: [replaceSnapshot],
    });

    const later = lake.clock.now() + 10 * DAY;
    const candidates = await replacedDataFiles(lake.registry.client, lake.tableId, later - 3 * DAY);
    expect(candidates.map((c) => c.path)).toEqual([replaced!.path]);
    // Older snapshots still reach it: time travel must keep working, so it stays.
    const row = (await lake.registry.tableById(lake.tableId))!;
    const table = { keyPrefix: row.key_prefix, location: row.location };
    const early = await cleanupOrphans(lake.store, table, {
      nowMs: later,
      dryRun: true,
      replacedDataFiles: candidates.map((c) => ({ key: c.path, etag: c.etag })),
      deleteReplacedUserFiles: true,
    });
    expect(early.orphans.filter((o) => o.kind === 'data')).toEqual([]);

    lake.clock.advance(10 * DAY);
    const report = await snapshotterOf(lake).maintain(lake.tableId);
    expect(report.cleanup!.orphans.filter((o) => o.kind === 'data').map((o) => o.key)).toEqual([
      replaced!.path,
    ]);
    expect(await lake.store.head(replaced!.path)).toBeUndefined();
    expect(await lake.store.head(userRemoved!.path)).toBeDefined();
    expect(await lake.store.head(kept!.path)).toBeDefined();
    // The evidence survives the expiration of the replace snapshot.
    const evidence = await replacedDataFiles(lake.registry.client, lake.tableId, lake.clock.now());
    expect(evidence.map((c) => c.path)).toEqual([replaced!.path]);
    // Someone writes the key again: that object is new data, not the replaced version.
    await lake.store.put(replaced!.path, 'new data at an old key');
    const again = await cleanupOrphans(lake.store, table, {
      nowMs: lake.clock.now() + 10 * DAY,
      replacedDataFiles: evidence.map((c) => ({ key: c.path, etag: c.etag })),
      deleteReplacedUserFiles: true,
    });
    expect(again.orphans.filter((o) => o.kind === 'data')).toEqual([]);
    expect(await lake.store.head(replaced!.path)).toBeDefined();
  });
});
