/**
 * `write.metadata.delete-after-commit.enabled` (Iceberg's table property, default false): after
 * a commit, the metadata files that fell off `metadata-log` (which keeps the newest
 * `write.metadata.previous-versions-max`) are deleted at once instead of waiting for the
 * snapshotter's cleanup and its 3-day safety age. Worth setting on a table that commits every
 * second: otherwise some 260,000 old metadata files wait out those three days. Only astha's own
 * `v<N>.metadata.json` names under the table are deleted, and never the versions the new one
 * still lists; a failed delete is left to cleanup.
 */
import type { ObjectStore } from '../../store/objectStore.js';
import type { TableMetadata } from '../spec/tableMetadata.js';
import { metadataKey, metadataUri, type TableRef, versionOfMetadataFile } from '../tableLocation.js';
import type { LoadedTable } from './loadTable.js';

export const DELETE_AFTER_COMMIT = 'write.metadata.delete-after-commit.enabled';

/** Versions `base` listed (itself included) that `next` no longer lists, when the property is on. */
export function droppedVersions(table: TableRef, base: LoadedTable, next: TableMetadata): number[] {
  if ((next.properties[DELETE_AFTER_COMMIT] ?? '').toLowerCase() !== 'true') return [];
  const kept = new Set(next.metadataLog.map((entry) => entry.metadataFile));
  const listed = [...base.metadata.metadataLog.map((entry) => entry.metadataFile), base.metadataLocation];
  return (
    listed
      .filter((file) => !kept.has(file))
      .map((file) => versionOfMetadataFile(file))
      .filter((version): version is number => version !== undefined)
      // Only the name astha gives version N under this table (not another engine's file).
      .filter((version) => listed.includes(metadataUri(table, version)))
  );
}

/** Best effort: whatever is not deleted here, cleanup deletes once it is old enough. */
export async function deleteDroppedVersions(
  store: ObjectStore,
  table: TableRef,
  base: LoadedTable,
  next: TableMetadata,
): Promise<void> {
  for (const version of droppedVersions(table, base, next)) {
    try {
      await store.delete(metadataKey(table, version));
    } catch {
      // Left for the snapshotter's cleanup.
    }
  }
}
