/**
 * Removes data files from a table as one `delete` snapshot (S3 `ObjectRemoved` of a committed
 * file). Manifests that hold none of the files are carried over as they are; each manifest that
 * holds one is rewritten once: the removed files as DELETED entries of this snapshot, the rest
 * as EXISTING with their sequence numbers made explicit. Entries deleted by earlier snapshots
 * are dropped, as the spec allows. Like appends, the snapshot id is fixed by the caller and
 * the change is rebuilt on a fresh base after every lost race: a file already gone from the
 * new base is simply not deleted again.
 */
import type { ObjectStore } from '../../store/objectStore.js';
import { currentSnapshot, snapshotById } from '../spec/tableMetadata.js';
import type { TableRef } from '../tableLocation.js';
import { type CommitOptions, type CommitResult, commitTable } from './commitTable.js';
import { ManifestRewrites, snapshotOnParent, takeOutOfManifests } from './rewriteSnapshot.js';

export interface DeleteOptions extends CommitOptions {
  snapshotId: bigint;
  /** `file_path` URIs of the data files to remove, asked again before every attempt. */
  paths: () => Promise<string[]>;
}

export interface DeleteResult {
  commit: CommitResult;
  /** The paths the committed snapshot deleted (empty when none was still in the table). */
  deleted: string[];
}

export async function deleteFiles(
  store: ObjectStore,
  table: TableRef,
  options: DeleteOptions,
): Promise<DeleteResult> {
  let deleted: string[] = [];
  const rewrites = new ManifestRewrites();
  const commit = await commitTable(
    store,
    table,
    async (base) => {
      if (snapshotById(base.metadata, options.snapshotId)) return 'noop';
      const parent = currentSnapshot(base.metadata);
      if (!parent) return 'noop';
      const wanted = new Set(await options.paths());
      const { manifests, removed } = await takeOutOfManifests(
        store,
        table,
        base,
        parent,
        wanted,
        options.snapshotId,
        rewrites,
      );
      deleted = removed.map((f) => f.filePath);
      if (removed.length === 0) return 'noop';
      return snapshotOnParent(store, table, base, parent, {
        snapshotId: options.snapshotId,
        operation: 'delete',
        manifests,
        added: [],
        removed,
        ...(options.clock ? { clock: options.clock } : {}),
      });
    },
    options,
  );
  return { commit, deleted };
}
