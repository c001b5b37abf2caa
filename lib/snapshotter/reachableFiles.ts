/**
 * Every object a table version still reaches: its own metadata file, the previous metadata
 * files its `metadata-log` lists, each remaining snapshot's manifest list, the manifests those
 * list, and the data files live in those manifests (ADDED or EXISTING). A DELETED entry only
 * records that a file left the table: no snapshot listing that manifest reads the file, and a
 * snapshot that does read it lists it live in a manifest of its own. Keys are store keys.
 */
import { ManifestEntryStatus } from '../iceberg/spec/dataFile.js';
import { readManifest } from '../iceberg/spec/manifest.js';
import { readManifestList } from '../iceberg/spec/manifestList.js';
import type { TableMetadata } from '../iceberg/spec/tableMetadata.js';
import { keyOfUri } from '../iceberg/tableLocation.js';
import type { ObjectStore } from '../store/objectStore.js';

export interface ReachableFiles {
  metadataFiles: Set<string>;
  manifestLists: Set<string>;
  manifests: Set<string>;
  dataFiles: Set<string>;
}

export function allReachable(files: ReachableFiles): Set<string> {
  return new Set([...files.metadataFiles, ...files.manifestLists, ...files.manifests, ...files.dataFiles]);
}

/** Walks `metadata` (read from `metadataLocation`) down to its data files. */
export async function reachableFiles(
  store: ObjectStore,
  metadata: TableMetadata,
  metadataLocation: string,
): Promise<ReachableFiles> {
  const key = (uri: string) => keyOfUri(store, uri);
  const reachable: ReachableFiles = {
    metadataFiles: new Set([key(metadataLocation), ...metadata.metadataLog.map((e) => key(e.metadataFile))]),
    manifestLists: new Set(metadata.snapshots.map((s) => key(s.manifestList))),
    manifests: new Set(),
    dataFiles: new Set(),
  };
  // Manifests are shared by many snapshots (fast appends carry them forward): read each once.
  for (const list of reachable.manifestLists) {
    for (const manifest of readManifestList(await store.get(list)).manifests) {
      reachable.manifests.add(key(manifest.manifestPath));
    }
  }
  for (const manifest of reachable.manifests) {
    for (const entry of readManifest(await store.get(manifest)).entries) {
      if (entry.status !== ManifestEntryStatus.DELETED) reachable.dataFiles.add(key(entry.dataFile.filePath));
    }
  }
  return reachable;
}
