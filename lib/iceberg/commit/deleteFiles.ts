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
import { type DataFile, type ManifestEntry, ManifestEntryStatus } from '../spec/dataFile.js';
import { inheritFromManifestFile, readManifest, writeManifest } from '../spec/manifest.js';
import {
  describeManifest,
  type ManifestFile,
  type ManifestFileInput,
  readManifestList,
  writeManifestList,
} from '../spec/manifestList.js';
import { MAIN_BRANCH, type Snapshot } from '../spec/snapshot.js';
import { buildSnapshotSummary, changesOf } from '../spec/snapshotSummary.js';
import { currentSnapshot, schemaById, snapshotById, specById } from '../spec/tableMetadata.js';
import type { TableCommit } from '../spec/tableUpdate.js';
import { keyOfUri, newManifestKey, newManifestListKey, type TableRef, uriInTable } from '../tableLocation.js';
import { systemCommitClock } from './commitBackoff.js';
import { type CommitOptions, type CommitResult, commitTable } from './commitTable.js';
import type { LoadedTable } from './loadTable.js';

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
  const commit = await commitTable(
    store,
    table,
    async (base) => {
      if (snapshotById(base.metadata, options.snapshotId)) return 'noop';
      const parent = currentSnapshot(base.metadata);
      if (!parent) return 'noop';
      const wanted = new Set(await options.paths());
      const change = await rewriteWithout(store, table, base, parent, wanted, options);
      deleted = change.deleted;
      return change.deleted.length === 0 ? 'noop' : change.commit;
    },
    options,
  );
  return { commit, deleted };
}

async function rewriteWithout(
  store: ObjectStore,
  table: TableRef,
  base: LoadedTable,
  parent: Snapshot,
  wanted: ReadonlySet<string>,
  options: DeleteOptions,
): Promise<{ commit: TableCommit; deleted: string[] }> {
  const list = readManifestList(await store.get(keyOfUri(store, parent.manifestList))).manifests;
  const manifests: ManifestFileInput[] = [];
  const removed: DataFile[] = [];
  for (const manifest of list) {
    const rewritten = await rewriteManifest(store, table, base, manifest, wanted, options.snapshotId);
    if (!rewritten) {
      manifests.push(manifest);
      continue;
    }
    removed.push(...rewritten.removed);
    if (rewritten.manifest) manifests.push(rewritten.manifest);
  }
  const metadata = base.metadata;
  const sequenceNumber = metadata.lastSequenceNumber + 1;
  const listKey = newManifestListKey(table, options.snapshotId);
  const listBytes = writeManifestList({
    snapshotId: options.snapshotId,
    parentSnapshotId: parent.snapshotId,
    sequenceNumber,
    manifests,
  });
  await store.put(listKey, listBytes, { contentType: 'application/octet-stream' });
  const snapshot: Snapshot = {
    snapshotId: options.snapshotId,
    parentSnapshotId: parent.snapshotId,
    sequenceNumber,
    timestampMs: Math.max((options.clock ?? systemCommitClock).now(), metadata.lastUpdatedMs),
    manifestList: uriInTable(table, listKey),
    summary: buildSnapshotSummary('delete', changesOf([], removed), parent.summary),
    schemaId: metadata.currentSchemaId,
  };
  return {
    deleted: removed.map((f) => f.filePath),
    commit: {
      updates: [
        { action: 'add-snapshot', snapshot },
        { action: 'set-snapshot-ref', refName: MAIN_BRANCH, type: 'branch', snapshotId: options.snapshotId },
      ],
      requirements: [{ type: 'assert-ref-snapshot-id', ref: MAIN_BRANCH, snapshotId: parent.snapshotId }],
    },
  };
}

/** Undefined when the manifest holds none of the files; otherwise its replacement (if any entry is left). */
async function rewriteManifest(
  store: ObjectStore,
  table: TableRef,
  base: LoadedTable,
  manifest: ManifestFile,
  wanted: ReadonlySet<string>,
  snapshotId: bigint,
): Promise<{ manifest?: ManifestFileInput; removed: DataFile[] } | undefined> {
  const read = readManifest(await store.get(keyOfUri(store, manifest.manifestPath)));
  const entries = inheritFromManifestFile(read.entries, manifest);
  const live = entries.filter((e) => e.status !== ManifestEntryStatus.DELETED);
  if (!live.some((e) => wanted.has(e.dataFile.filePath))) return undefined;
  const removed: DataFile[] = [];
  const next: ManifestEntry[] = live.map((entry) => {
    const keep: ManifestEntry = {
      ...entry,
      sequenceNumber: entry.sequenceNumber ?? manifest.sequenceNumber,
      fileSequenceNumber: entry.fileSequenceNumber ?? manifest.sequenceNumber,
    };
    if (!wanted.has(entry.dataFile.filePath)) return { ...keep, status: ManifestEntryStatus.EXISTING };
    removed.push(entry.dataFile);
    return { ...keep, status: ManifestEntryStatus.DELETED, snapshotId };
  });
  const schema = schemaById(base.metadata, read.schema['schema-id']) ?? read.schema;
  const spec = specById(base.metadata, manifest.partitionSpecId) ?? read.spec;
  const bytes = writeManifest({ schema, spec, entries: next, snapshotId });
  const key = newManifestKey(table);
  await store.put(key, bytes, { contentType: 'application/octet-stream' });
  const described = describeManifest({
    manifestPath: uriInTable(table, key),
    manifestLength: bytes.length,
    schema,
    spec,
    snapshotId,
    entries: next,
  });
  return { manifest: described, removed };
}
