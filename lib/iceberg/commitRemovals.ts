/**
 * Takes files that were removed from the warehouse (S3 `ObjectRemoved`) out of their Iceberg
 * table with one `delete` snapshot. Idempotent: a file the table no longer holds (an earlier
 * attempt committed but crashed before the registry heard of it) is only marked.
 */
import { recordCommit } from '../registry/commitState.js';
import { markRemovedFromTable, removedStillInTable } from '../registry/removalState.js';
import { systemCommitClock } from './commit/commitBackoff.js';
import { deleteFiles } from './commit/deleteFiles.js';
import { snapshotRecord, tablePointer } from './commit/registryRecords.js';
import type { UpdaterDeps } from './commitPending.js';
import { newSnapshotId } from './spec/snapshot.js';
import { snapshotById } from './spec/tableMetadata.js';
import type { TableRef } from './tableLocation.js';

export interface CommittedRemoval {
  snapshotId: string | null;
  filesRemoved: number;
  metadataLocation: string;
}

export async function commitRemovals(
  tableId: number,
  deps: UpdaterDeps,
): Promise<CommittedRemoval | 'nothing removed'> {
  const { registry, store } = deps;
  const clock = deps.clock ?? systemCommitClock;
  const row = await registry.tableById(tableId);
  if (row?.state !== 'active' || row.metadata_version === null) return 'nothing removed';
  const files = await removedStillInTable(registry.client, tableId);
  if (files.length === 0) return 'nothing removed';
  const table: TableRef = { keyPrefix: row.key_prefix, location: row.location };
  const snapshotId = newSnapshotId();
  const { commit, deleted } = await deleteFiles(store, table, {
    snapshotId,
    paths: async () => files.map((f) => f.uri),
    knownVersion: row.metadata_version,
    clock,
    ...(deps.limits ? { limits: deps.limits } : {}),
  });
  const snapshot = commit.committed ? snapshotById(commit.metadata, snapshotId) : undefined;
  if (snapshot) {
    await recordCommit(registry.client, {
      pointer: tablePointer(tableId, commit),
      snapshot: snapshotRecord(snapshot, commit.metadataLocation),
      fileIds: [],
      nowMs: clock.now(),
    });
  }
  // Files not deleted by this snapshot were already gone from the table: marked all the same.
  const marker = snapshot ? snapshotId.toString() : (commit.metadata.currentSnapshotId?.toString() ?? 'gone');
  await markRemovedFromTable(
    registry.client,
    files.map((f) => f.id),
    marker,
  );
  return {
    snapshotId: snapshot ? snapshotId.toString() : null,
    filesRemoved: deleted.length,
    metadataLocation: commit.metadataLocation,
  };
}
