/**
 * Snapshots another engine committed to a table astha also writes (Spark or PyIceberg through a
 * Hadoop or SQL catalog), and the data files each of them added. astha commits on top of them
 * like any newer base; what it must not do is add a file such a snapshot already holds (its
 * rows would be counted twice), e.g. the other engine's own data file that the watcher then
 * registered. Reads only the snapshot's own manifests (those it added), not the whole table.
 */
import { listedManifests } from './manifestLists.js';
import type { ObjectStore } from '../../store/objectStore.js';
import { type DataFile, ManifestEntryStatus } from '../spec/dataFile.js';
import { inheritFromManifestFile, readManifest } from '../spec/manifest.js';
import { ManifestContentType } from '../spec/manifestList.js';
import type { Snapshot } from '../spec/snapshot.js';
import { currentSnapshot, type TableMetadata } from '../spec/tableMetadata.js';
import { keyOfUri } from '../tableLocation.js';

/** Snapshots of main's history (oldest first) for which `known` says no: other writers'. */
export function unknownAncestors(metadata: TableMetadata, known: (id: bigint) => boolean): Snapshot[] {
  const found: Snapshot[] = [];
  const seen = new Set<bigint>();
  const byId = new Map(metadata.snapshots.map((s) => [s.snapshotId, s]));
  for (let s = currentSnapshot(metadata); s && !seen.has(s.snapshotId); ) {
    seen.add(s.snapshotId);
    if (!known(s.snapshotId)) found.push(s);
    s = s.parentSnapshotId === undefined ? undefined : byId.get(s.parentSnapshotId);
  }
  return found.reverse();
}

/**
 * A snapshot of astha's own maintenance (a compaction, a manifest rewrite; marked with
 * `astha.operation`): it adds only files astha wrote itself, never a registered one.
 */
export function isAsthaMaintenance(snapshot: Snapshot): boolean {
  return snapshot.summary['astha.operation'] !== undefined;
}

/** The data files `snapshot` itself added (ADDED entries of the manifests it wrote). */
export async function filesAddedBy(store: ObjectStore, snapshot: Snapshot): Promise<DataFile[]> {
  const list = await listedManifests(store, snapshot.manifestList);
  const added: DataFile[] = [];
  for (const manifest of list) {
    if (manifest.content !== ManifestContentType.DATA || manifest.addedSnapshotId !== snapshot.snapshotId)
      continue;
    if (manifest.addedFilesCount === 0) continue;
    const entries = inheritFromManifestFile(
      readManifest(await store.get(keyOfUri(store, manifest.manifestPath))).entries,
      manifest,
    );
    for (const entry of entries) {
      if (entry.status === ManifestEntryStatus.ADDED && entry.snapshotId === snapshot.snapshotId)
        added.push(entry.dataFile);
    }
  }
  return added;
}

/** `filePath` → id of the snapshot that added it, over `snapshots`. */
export async function pathsAddedBy(
  store: ObjectStore,
  snapshots: readonly Snapshot[],
): Promise<Map<string, bigint>> {
  const paths = new Map<string, bigint>();
  for (const snapshot of snapshots) {
    for (const file of await filesAddedBy(store, snapshot)) paths.set(file.filePath, snapshot.snapshotId);
  }
  return paths;
}

/**
 * Of `paths` (keys of files about to be added), those a snapshot newer than `known` already
 * added: another writer's commit that landed while astha was committing. Snapshots examined are
 * added to `known`, so a retry only looks at what is new again.
 */
export async function pathsAlreadyAdded(
  store: ObjectStore,
  metadata: TableMetadata,
  known: Set<bigint>,
  paths: ReadonlySet<string>,
): Promise<string[]> {
  const fresh = unknownAncestors(metadata, (id) => known.has(id));
  for (const snapshot of fresh) known.add(snapshot.snapshotId);
  const others = fresh.filter((snapshot) => !isAsthaMaintenance(snapshot));
  if (others.length === 0) return [];
  const added = await pathsAddedBy(store, others);
  const found: string[] = [];
  for (const uri of added.keys()) {
    try {
      const key = keyOfUri(store, uri);
      if (paths.has(key)) found.push(key);
    } catch {
      // Outside the warehouse: not one of astha's registered files.
    }
  }
  return found;
}
