/**
 * A table with a long history for the snapshotter tests: a real libSQL registry file, a
 * filesystem warehouse, and `commits` append snapshots of one tiny Parquet file each, made
 * through the iceberg_updater's own `commitPending` (so the registry rows are real too).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadTable, type LoadedTable } from '../../lib/iceberg/commit/loadTable.js';
import { commitPending } from '../../lib/iceberg/icebergUpdater.js';
import type { TableRef } from '../../lib/iceberg/tableLocation.js';
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
  for (const file of files) {
    const result = await commitPending(tableId, { registry, store, limits: { maxFilesPerCommit: 1 } });
    if (result === 'nothing pending') throw new Error(`commit of ${file.key} found nothing pending`);
    rows += file.rows;
    sum += file.idSum;
    expected.set(result.snapshotId, { rows, sum });
  }
  const row = (await registry.tableById(tableId))!;
  return {
    registry,
    store,
    tableId,
    table: { keyPrefix: row.key_prefix, location: row.location },
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
