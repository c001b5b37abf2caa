/**
 * The data files maintenance may delete, on a real registry: replaced files astha wrote always,
 * replaced user files only when the table sets `astha.cleanup.delete-replaced-user-files`;
 * compaction-replaced files are
 * marked `purged_at` before their object goes (a crash in between leaves the mark, the next
 * run deletes), young ones are neither marked nor deleted; compaction outputs nobody committed
 * (`_astha-compacted-<uuid>.parq`, unreachable, no registry row, past the safety age) are
 * deleted and listed by the dry run, and no other data file is ever touched.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { appendFiles } from '../../lib/iceberg/commit/appendFiles.js';
import type { DataFileSource } from '../../lib/iceberg/commit/dataFileFromRegistry.js';
import { commitRemovals } from '../../lib/iceberg/commitRemovals.js';
import { commitPending } from '../../lib/iceberg/commitPending.js';
import { newSnapshotId } from '../../lib/iceberg/spec/snapshot.js';
import { uriOfKey } from '../../lib/iceberg/tableLocation.js';
import { silentLogger } from '../../lib/log.js';
import { updateTableProperties } from '../../lib/registry/tableProperties.js';
import { DELETE_REPLACED_USER_FILES, type Orphan } from '../../lib/snapshotter/cleanupOrphans.js';
import { createSnapshotter } from '../../lib/snapshotter/snapshotter.js';
import type { ObjectStore } from '../../lib/store/objectStore.js';
import { ordersParquet } from '../registry/parquetFiles.js';
import { crashingStore, InjectedCrash } from './crashingStore.js';
import { type PolicyLake, policyLake } from './policyFixture.js';

const DAY = 24 * 60 * 60 * 1000;
let lake: PolicyLake | undefined;
afterEach(() => lake?.remove());

function snapshotterOf(l: PolicyLake, store: ObjectStore = l.store) {
  return createSnapshotter({ registry: l.registry, store, logger: silentLogger(), clock: l.clock });
}

interface FileRow {
  id: number;
  path: string;
}

async function fileRows(l: PolicyLake): Promise<FileRow[]> {
  const result = await l.registry.client.execute({
    sql: 'SELECT id, path FROM table_files WHERE table_id = ? ORDER BY id',
    args: [l.tableId],
  });
  return result.rows.map((r) => ({ id: Number(r.id), path: String(r.path) }));
}

async function purgedAt(l: PolicyLake, fileId: number): Promise<string | null> {
  const result = await l.registry.client.execute({
    sql: 'SELECT purged_at FROM table_files WHERE id = ?',
    args: [fileId],
  });
  const value = result.rows[0]!.purged_at;
  return value == null ? null : String(value);
}

/** Takes `file` out of the table in a snapshot of its own; `replace` labels it as compaction does. */
async function removeFrom(l: PolicyLake, file: FileRow, operation: 'replace' | 'delete'): Promise<void> {
  await l.registry.client.execute({
    sql: "UPDATE table_files SET iceberg_state = 'removed' WHERE id = ?",
    args: [file.id],
  });
  const removal = await commitRemovals(l.tableId, { registry: l.registry, store: l.store, clock: l.clock });
  if (removal === 'nothing removed' || removal.snapshotId === null) throw new Error('expected a removal');
  if (operation === 'replace') {
    await l.registry.client.execute({
      sql: "UPDATE table_snapshots SET operation = 'replace' WHERE snapshot_id = ?",
      args: [removal.snapshotId],
    });
  }
}

const dataOrphans = (orphans: readonly Orphan[] | undefined) =>
  (orphans ?? []).filter((o) => o.kind === 'data');

describe('replaced user files stay unless the table hands them over', () => {
  it("by default only replaced files astha wrote go; with the property set, users' files go too", async () => {
    lake = await policyLake({});
    const deps = { registry: lake.registry, store: lake.store, clock: lake.clock };
    await commitPending(lake.tableId, deps);
    await lake.land(1);
    await commitPending(lake.tableId, deps);
    const [user, output] = await fileRows(lake);
    await lake.registry.client.execute({
      sql: 'UPDATE table_files SET astha_written = 1 WHERE id = ?',
      args: [output!.id],
    });
    await removeFrom(lake, user!, 'replace');
    await removeFrom(lake, output!, 'replace');
    lake.clock.advance(10 * DAY);

    const dry = await snapshotterOf(lake).maintain(lake.tableId, { dryRun: true });
    expect(dataOrphans(dry.cleanup?.orphans).map((o) => o.key)).toEqual([output!.path]);
    const real = await snapshotterOf(lake).maintain(lake.tableId);
    expect(dataOrphans(real.cleanup?.orphans).map((o) => o.key)).toEqual([output!.path]);
    expect(await lake.store.head(output!.path)).toBeUndefined();
    expect(await lake.store.head(user!.path)).toBeDefined();
    expect(await purgedAt(lake, user!.id)).toBeNull();

    await updateTableProperties(lake.registry.client, lake.tableId, { [DELETE_REPLACED_USER_FILES]: 'true' });
    const handedOver = await snapshotterOf(lake).maintain(lake.tableId);
    expect(dataOrphans(handedOver.cleanup?.orphans).map((o) => o.key)).toEqual([user!.path]);
    expect(await lake.store.head(user!.path)).toBeUndefined();
    expect(await purgedAt(lake, user!.id)).not.toBeNull();
  });

  it('the property takes true or false only', async () => {
    lake = await policyLake({});
    await expect(
      updateTableProperties(lake.registry.client, lake.tableId, { [DELETE_REPLACED_USER_FILES]: 'yes' }),
    ).rejects.toThrow(/must be true or false/);
  });
});

describe('replaced data files are marked purged before they are deleted', () => {
  it('marks, then deletes; a crash between leaves the mark and the next run deletes; young ones stay unmarked', async () => {
    lake = await policyLake({ [DELETE_REPLACED_USER_FILES]: 'true' });
    const deps = { registry: lake.registry, store: lake.store, clock: lake.clock };
    for (let i = 0; i < 3; i++) {
      await commitPending(lake.tableId, deps);
      await lake.land(1);
    }
    await commitPending(lake.tableId, deps);
    const [old, userRemoved, kept, young] = await fileRows(lake);
    await removeFrom(lake, old!, 'replace');
    await removeFrom(lake, userRemoved!, 'delete');
    lake.clock.advance(10 * DAY);
    // Replaced just now: within the safety age (and older snapshots still read it).
    await removeFrom(lake, young!, 'replace');

    const dry = await snapshotterOf(lake).maintain(lake.tableId, { dryRun: true });
    expect(dataOrphans(dry.cleanup?.orphans)).toEqual([
      expect.objectContaining({ key: old!.path, cause: 'replaced', fileId: old!.id }),
    ]);
    expect(await purgedAt(lake, old!.id)).toBeNull();

    // The run dies at the data file's delete: marked, object still there.
    const crashing = crashingStore(lake.store, (key) => key === old!.path);
    await expect(snapshotterOf(lake, crashing).maintain(lake.tableId)).rejects.toBeInstanceOf(InjectedCrash);
    const mark = await purgedAt(lake, old!.id);
    expect(mark).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(mark!) - lake.clock.now())).toBeLessThan(60_000);
    expect(await lake.store.head(old!.path)).toBeDefined();

    // Every delete of the next run finds its file already marked.
    const checked: string[] = [];
    const checking = new Proxy(lake.store, {
      get(target, property) {
        if (property !== 'delete') {
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return async (key: string) => {
          if (key === old!.path) {
            expect(await purgedAt(lake!, old!.id)).not.toBeNull();
            checked.push(key);
          }
          await target.delete(key);
        };
      },
    });
    const real = await snapshotterOf(lake, checking).maintain(lake.tableId);
    expect(dataOrphans(real.cleanup?.orphans).map((o) => o.key)).toEqual([old!.path]);
    expect(checked).toEqual([old!.path]);
    expect(await lake.store.head(old!.path)).toBeUndefined();
    // The first mark stands.
    expect(await purgedAt(lake, old!.id)).toBe(mark);

    for (const file of [userRemoved!, kept!, young!]) {
      expect(await purgedAt(lake, file.id)).toBeNull();
      expect(await lake.store.head(file.path)).toBeDefined();
    }

    // Later runs find it gone in their listing of data/: no request for it each run.
    const heads: string[] = [];
    const counting = new Proxy(lake.store, {
      get(target, property) {
        if (property === 'head') {
          return (key: string) => {
            heads.push(key);
            return target.head(key);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const later = await snapshotterOf(lake, counting).maintain(lake.tableId, { dryRun: true });
    expect(dataOrphans(later.cleanup?.orphans)).toEqual([]);
    expect(heads).not.toContain(old!.path);
  });
});

describe('a compaction output a retraction rewrote', () => {
  it('is deleted once unreachable and past the safety age; a user file taken out the same way is not', async () => {
    lake = await policyLake({});
    const deps = { registry: lake.registry, store: lake.store, clock: lake.clock };
    await commitPending(lake.tableId, deps);
    await lake.land(1);
    await commitPending(lake.tableId, deps);
    const [output, user] = await fileRows(lake);
    await lake.registry.client.execute({
      sql: 'UPDATE table_files SET astha_written = 1 WHERE id = ?',
      args: [output!.id],
    });
    // Both leave the table by a snapshot labelled `overwrite`, as a retraction's is.
    for (const file of [output!, user!]) {
      await removeFrom(lake, file, 'delete');
      await lake.registry.client.execute({
        sql: "UPDATE table_snapshots SET operation = 'overwrite' WHERE snapshot_id = (SELECT target_snapshot_id FROM table_files WHERE id = ?)",
        args: [file.id],
      });
    }
    lake.clock.advance(10 * DAY);
    const report = await snapshotterOf(lake).maintain(lake.tableId);
    expect(dataOrphans(report.cleanup?.orphans).map((o) => o.key)).toEqual([output!.path]);
    expect(await lake.store.head(output!.path)).toBeUndefined();
    expect(await purgedAt(lake, output!.id)).not.toBeNull();
    expect(await lake.store.head(user!.path)).toBeDefined();
  });
});

describe('compaction outputs nobody committed', () => {
  it('are deleted once past the safety age when no snapshot reaches them and no registry row names them; nothing else is', async () => {
    lake = await policyLake({});
    const deps = { registry: lake.registry, store: lake.store, clock: lake.clock };
    await commitPending(lake.tableId, deps);
    await lake.land(1);
    await commitPending(lake.tableId, deps);
    const output = (dir = '') => `sales/orders/data/${dir}_astha-compacted-${randomUUID()}.parq`;
    const bytes = ordersParquet(2, { firstId: 1000 });

    const orphans = [output(), output('region=eu/')];
    const registered = output();
    const reachable = output();
    const lookalikes = [
      `sales/orders/data/_astha-compacted-${randomUUID()}.parquet`,
      `sales/orders/data/x_astha-compacted-${randomUUID()}.parq`,
      'sales/orders/data/_astha-compacted-not-a-uuid.parq',
      `sales/orders/other/_astha-compacted-${randomUUID()}.parq`,
    ];
    for (const key of [...orphans, registered, reachable, ...lookalikes]) await lake.store.put(key, bytes);

    // A row names it (an output the compactor registered, since compacted again): not an orphan.
    const [first] = await fileRows(lake);
    await lake.registry.client.execute({
      sql: `INSERT INTO table_files (table_id, path, uri, size, etag, row_count, partition_path,
              partition_values_json, file_format, schema_id, iceberg_state, astha_written, registered_at, updated_at)
            SELECT table_id, ?, ?, size, 'etag-of-output', row_count, partition_path, partition_values_json,
              file_format, schema_id, 'removed', 1, registered_at, updated_at FROM table_files WHERE id = ?`,
      args: [registered, uriOfKey(lake.store, registered), first!.id],
    });
    // A snapshot reaches it although no row names it (a commit whose registry step was lost).
    const stats = await lake.registry.client.execute({
      sql: 'SELECT record_count, file_size, column_stats_json, split_offsets_json FROM file_statistics WHERE file_id = ?',
      args: [first!.id],
    });
    const s = stats.rows[0]!;
    const source: DataFileSource = {
      file: {
        id: 0,
        uri: uriOfKey(lake.store, reachable),
        size: bytes.length,
        file_format: 'parquet',
        partition_values_json: '{}',
      },
      stats: {
        record_count: Number(s.record_count),
        file_size: Number(s.file_size),
        column_stats_json: String(s.column_stats_json),
        split_offsets_json: s.split_offsets_json == null ? null : String(s.split_offsets_json),
      },
    };
    const row = (await lake.registry.tableById(lake.tableId))!;
    await appendFiles(
      lake.store,
      { keyPrefix: row.key_prefix, location: row.location },
      {
        snapshotId: newSnapshotId(),
        files: async () => [source],
        clock: lake.clock,
      },
    );

    // Within the safety age: nothing listed.
    const young = await snapshotterOf(lake).maintain(lake.tableId, { dryRun: true });
    expect(dataOrphans(young.cleanup?.orphans)).toEqual([]);

    lake.clock.advance(10 * DAY);
    const dry = await snapshotterOf(lake).maintain(lake.tableId, { dryRun: true });
    const expected = [...orphans]
      .sort()
      .map((key) => ({ key, kind: 'data', size: bytes.length, cause: 'uncommitted-output' }));
    expect(dataOrphans(dry.cleanup?.orphans)).toEqual(expected);
    for (const key of orphans) expect(await lake.store.head(key)).toBeDefined();

    const real = await snapshotterOf(lake).maintain(lake.tableId);
    expect(dataOrphans(real.cleanup?.orphans)).toEqual(expected);
    for (const key of orphans) expect(await lake.store.head(key)).toBeUndefined();
    for (const key of [registered, reachable, ...lookalikes])
      expect(await lake.store.head(key), key).toBeDefined();
    // Every registered data file is still there too.
    for (const file of await fileRows(lake)) {
      if (file.path !== registered) expect(await lake.store.head(file.path), file.path).toBeDefined();
    }
  });
});
