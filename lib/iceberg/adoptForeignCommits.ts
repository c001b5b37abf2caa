/**
 * Before astha appends to a table, the snapshots other engines committed to it are adopted: each
 * one's added data files become committed rows of the registry (lib/registry/foreignFiles.ts),
 * so astha never adds such a file a second time and the registry agrees with the table. A
 * snapshot is examined once: afterwards the registry records it like one of astha's own.
 */
import { normalizeEtag } from '../registry/planRegistration.js';
import { adoptForeignSnapshot, type ForeignFile } from '../registry/foreignFiles.js';
import { recordedSnapshotIds } from '../registry/recordedSnapshots.js';
import type { Registry } from '../registry/registry.js';
import { parseWarehouseKey } from '../layout/warehousePath.js';
import type { ObjectStore } from '../store/objectStore.js';
import type { LoadedTable } from './commit/loadTable.js';
import { filesAddedBy, isAsthaMaintenance, unknownAncestors } from './commit/foreignSnapshots.js';
import { snapshotRecord } from './commit/registryRecords.js';
import type { DataFile } from './spec/dataFile.js';
import { keyOfUri } from './tableLocation.js';

/** Adopts every snapshot of main's history the registry has not recorded; returns the files it added rows for. */
export async function adoptForeignCommits(
  registry: Registry,
  store: ObjectStore,
  tableId: number,
  loaded: LoadedTable,
): Promise<number> {
  const ids = loaded.metadata.snapshots.map((s) => s.snapshotId.toString());
  const recorded = await recordedSnapshotIds(registry.client, tableId, ids);
  // The compactor marks its snapshots and records them itself (recovering them after a crash,
  // with their lineage): an unrecorded one of those is not another engine's.
  const foreign = unknownAncestors(loaded.metadata, (id) => recorded.has(id.toString())).filter(
    (s) => !isAsthaMaintenance(s),
  );
  let adopted = 0;
  for (const snapshot of foreign) {
    const files: ForeignFile[] = [];
    for (const dataFile of await filesAddedBy(store, snapshot)) {
      const file = await foreignFile(store, dataFile);
      if (file) files.push(file);
    }
    const record = snapshotRecord(snapshot, loaded.metadataLocation);
    adopted += await adoptForeignSnapshot(registry.client, tableId, record, files);
  }
  return adopted;
}

/** The registry's view of another engine's data file; undefined when it is outside the warehouse or gone. */
async function foreignFile(store: ObjectStore, dataFile: DataFile): Promise<ForeignFile | undefined> {
  let path: string;
  try {
    path = keyOfUri(store, dataFile.filePath);
  } catch {
    // Outside the warehouse: no notification can ever register it, so there is nothing to guard.
    return undefined;
  }
  const info = await store.head(path);
  if (!info) return undefined;
  const parsed = parseWarehouseKey(path, '');
  const partitions = parsed.kind === 'data' ? parsed.key.partitions : [];
  return {
    path,
    uri: dataFile.filePath,
    size: info.size,
    etag: normalizeEtag(info.etag),
    rowCount: dataFile.recordCount,
    partitionPath: parsed.kind === 'data' ? parsed.key.partitionPath : '',
    partitionValuesJson: JSON.stringify(Object.fromEntries(partitions.map((p) => [p.column, p.value]))),
  };
}
