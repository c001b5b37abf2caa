/**
 * A table with a long history for the snapshotter tests: a real libSQL registry file, a
 * filesystem warehouse, and `commits` append snapshots of one tiny Parquet file each.
 *
 * The files are registered in one batch and claimed in one transaction; each snapshot is then
 * an `appendFiles` commit on the previous version followed by the iceberg_updater's own
 * `recordCommit`, so the registry ends as `commitPending` leaves it (files committed, one
 * `table_snapshots` row each, the pointer on the newest version). Going through
 * `commitPending` per snapshot cost about twice as much: every call re-reads the table row and
 * definition, probes the store for the newest version, looks for open claims and claims its
 * file in a transaction of its own (each a synced libSQL write).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { appendFiles } from '../../lib/iceberg/commit/appendFiles.js';
import { loadTable, type LoadedTable } from '../../lib/iceberg/commit/loadTable.js';
import { snapshotRecord, tablePointer } from '../../lib/iceberg/commit/registryRecords.js';
import { ensureIcebergTable } from '../../lib/iceberg/commitPending.js';
import { newSnapshotId } from '../../lib/iceberg/spec/snapshot.js';
import type { TableRef } from '../../lib/iceberg/tableLocation.js';
import { claimedFiles, claimPendingFiles, recordCommit } from '../../lib/registry/commitState.js';
import type { Registry } from '../../lib/registry/registry.js';
import { FsStore } from '../../lib/store/fsStore.js';
import type { ObjectStore } from '../../lib/store/objectStore.js';
import type { S3Access } from '../conformance/readers.js';
import { addOrderFiles, tempDir, tempRegistry } from '../iceberg/commit/commitFixtures.js';

export const ROWS_PER_FILE = 2;

export interface HistoryTable {
  registry: Registry;
  store: ObjectStore;
  tableId: number;
  table: TableRef;
  /** Snapshot id (decimal) of commit k (0-based) → rows and id sum it holds. */
  expected: Map<string, { rows: number; sum: number }>;
  remove(): void;
}

/** Builds `commits` snapshots; `properties` are set on the table before the first commit. */
export async function historyTable(
  commits: number,
  properties: Record<string, string>,
): Promise<HistoryTable> {
  const dir = tempDir('astha-snapshotter-');
  const registry = await tempRegistry(dir.path);
  const store = new FsStore(join(dir.path, 'warehouse'));
  const expected = new Map<string, { rows: number; sum: number }>();
  let rows = 0;
  let sum = 0;
  // All files registered up front (one batch), then committed one per snapshot.
  const files = await addOrderFiles(registry, store, { count: commits, rows: ROWS_PER_FILE });
  const tableId = (await registry.tableByName('sales', 'orders'))!.id;
  await registry.client.execute({
    sql: 'UPDATE table_metadata SET properties_json = ? WHERE table_id = ?',
    args: [JSON.stringify(properties), tableId],
  });
  let base: LoadedTable = await ensureIcebergTable(tableId, { registry, store });
  const claim = newSnapshotId().toString();
  await claimPendingFiles(registry.client, {
    tableId,
    targetSnapshotId: claim,
    limit: commits,
    nowMs: Date.now(),
  });
  const sources = await claimedFiles(registry.client, tableId, claim);
  if (sources.length !== files.length) throw new Error(`claimed ${sources.length} of ${files.length} files`);
  const row = (await registry.tableById(tableId))!;
  const table = { keyPrefix: row.key_prefix, location: row.location };
  let recorded: Promise<unknown> = Promise.resolve();
  for (const [k, file] of files.entries()) {
    const source = sources[k]!;
    if (!source.file.uri.endsWith(file.key)) throw new Error(`claimed ${source.file.uri} for ${file.key}`);
    const { commit, snapshot, fileIds } = await appendFiles(store, table, {
      snapshotId: newSnapshotId(),
      files: async () => [source],
      base,
    });
    // Recorded in order, while the next snapshot is written: the registry's synced write and
    // the store's overlap instead of adding up.
    const record = {
      pointer: tablePointer(tableId, commit),
      snapshot: snapshotRecord(snapshot, commit.metadataLocation),
      fileIds,
      nowMs: Date.now(),
    };
    recorded = recorded.then(() => recordCommit(registry.client, record));
    // Marked handled at once; a failure still surfaces from the `await recorded` below.
    recorded.catch(() => undefined);
    base = commit;
    rows += file.rows;
    sum += file.idSum;
    expected.set(snapshot.snapshotId.toString(), { rows, sum });
  }
  await recorded;
  return {
    registry,
    store,
    tableId,
    table,
    expected,
    remove: () => {
      registry.close();
      dir.remove();
    },
  };
}

export async function newest(history: HistoryTable): Promise<LoadedTable> {
  const loaded = await loadTable(history.store, history.table);
  if (!loaded) throw new Error('table has no metadata');
  return loaded;
}

/** Every key under the table's `metadata/` with its size. */
export async function metadataObjects(store: ObjectStore, table: TableRef): Promise<Map<string, number>> {
  const objects = new Map<string, number>();
  for await (const object of store.list(`${table.keyPrefix}/metadata/`)) objects.set(object.key, object.size);
  return objects;
}

export interface SnapshotRead {
  id: string;
  rows: number;
  sum: number;
}

/** Every snapshot of the table read by PyIceberg (time travel), in one Python process. */
export async function readAllSnapshots(
  metadataLocation: string,
  s3?: S3Access,
): Promise<{ snapshots: SnapshotRead[]; current: string | null }> {
  const python = join(process.cwd(), '.venv/bin/python');
  const script = join(process.cwd(), 'test/snapshotter/read_snapshots.py');
  const { stdout } = await promisify(execFile)(
    python,
    [script, metadataLocation, ...(s3 ? [JSON.stringify(s3)] : [])],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout) as { snapshots: SnapshotRead[]; current: string | null };
}
