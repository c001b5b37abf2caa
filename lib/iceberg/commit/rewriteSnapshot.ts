/**
 * What `delete` and `replace` snapshots share: taking files out of the parent's manifests (each
 * manifest holding one is rewritten once: those files DELETED by the new snapshot, the rest
 * EXISTING with explicit sequence numbers; earlier DELETED entries dropped; other manifests
 * carried as they are), and the commit that adds the snapshot on top of the parent.
 */
import type { ObjectStore } from '../../store/objectStore.js';
import { type DataFile, type ManifestEntry, ManifestEntryStatus } from '../spec/dataFile.js';
import { inheritFromManifestFile, readManifest, writeManifest } from '../spec/manifest.js';
import {
  describeManifest,
  type ManifestFile,
  type ManifestFileInput,
  writeManifestList,
} from '../spec/manifestList.js';
import { MAIN_BRANCH, type Snapshot, type SnapshotOperation } from '../spec/snapshot.js';
import { buildSnapshotSummary, changesOf } from '../spec/snapshotSummary.js';
import { schemaById, specById } from '../spec/tableMetadata.js';
import type { TableCommit } from '../spec/tableUpdate.js';
import { keyOfUri, newManifestKey, newManifestListKey, type TableRef, uriInTable } from '../tableLocation.js';
import { type CommitClock, systemCommitClock } from './commitBackoff.js';
import { mapInFlight } from '../../inFlight.js';
import type { LoadedTable } from './loadTable.js';
import { listedManifests, putManifestList } from './manifestLists.js';

export interface FilesTakenOut {
  /** The parent's manifests, with those that held a taken-out file replaced by their rewrite. */
  manifests: ManifestFileInput[];
  /** The data files taken out (those of `paths` the parent still had live). */
  removed: DataFile[];
}

/** A manifest's rewrite without the files taken out; null when it held none of them. */
type Rewrite = { manifest?: ManifestFileInput; removed: DataFile[] } | null;

/**
 * The rewrites one commit made, kept across its attempts. A manifest never changes once
 * written, so after a lost race only the manifests the winners added are read again: the
 * retry costs about what an append does, instead of a read of every manifest of the table
 * (which lost every race against a stream of appends). Valid for one snapshot id and one set
 * of paths; a new set starts afresh.
 */
export class ManifestRewrites {
  private paths = '';
  private readonly byManifest = new Map<string, Rewrite>();

  forPaths(paths: ReadonlySet<string>): Map<string, Rewrite> {
    const key = [...paths].sort().join('\n');
    if (key !== this.paths) {
      this.paths = key;
      this.byManifest.clear();
    }
    return this.byManifest;
  }
}

export async function takeOutOfManifests(
  store: ObjectStore,
  table: TableRef,
  base: LoadedTable,
  parent: Snapshot,
  paths: ReadonlySet<string>,
  snapshotId: bigint,
  rewrites: ManifestRewrites = new ManifestRewrites(),
): Promise<FilesTakenOut> {
  const list = await listedManifests(store, parent.manifestList);
  const known = rewrites.forPaths(paths);
  const manifests: ManifestFileInput[] = [];
  const removed: DataFile[] = [];
  // The manifests not seen by an earlier attempt are read (and rewritten) side by side.
  const unseen = list.filter((manifest) => !known.has(manifest.manifestPath));
  await mapInFlight(unseen, MANIFESTS_IN_FLIGHT, async (manifest) => {
    const rewritten = await rewriteWithout(store, table, base, manifest, paths, snapshotId);
    known.set(manifest.manifestPath, rewritten ?? null);
  });
  for (const manifest of list) {
    const rewritten = known.get(manifest.manifestPath);
    if (!rewritten) {
      manifests.push(manifest);
      continue;
    }
    removed.push(...rewritten.removed);
    if (rewritten.manifest) manifests.push(rewritten.manifest);
  }
  return { manifests, removed };
}

/** Manifests read at once (each a small GET; a table has tens to hundreds of them). */
const MANIFESTS_IN_FLIGHT = 16;

/** Undefined when the manifest holds none of the files; otherwise its rewrite. */
async function rewriteWithout(
  store: ObjectStore,
  table: TableRef,
  base: LoadedTable,
  manifest: ManifestFile,
  paths: ReadonlySet<string>,
  snapshotId: bigint,
): Promise<{ manifest?: ManifestFileInput; removed: DataFile[] } | undefined> {
  const read = readManifest(await store.get(keyOfUri(store, manifest.manifestPath)));
  const entries = inheritFromManifestFile(read.entries, manifest);
  const live = entries.filter((e) => e.status !== ManifestEntryStatus.DELETED);
  if (!live.some((e) => paths.has(e.dataFile.filePath))) return undefined;
  const removed: DataFile[] = [];
  const next: ManifestEntry[] = live.map((entry) => {
    const keep: ManifestEntry = {
      ...entry,
      sequenceNumber: entry.sequenceNumber ?? manifest.sequenceNumber,
      fileSequenceNumber: entry.fileSequenceNumber ?? manifest.sequenceNumber,
    };
    if (!paths.has(entry.dataFile.filePath)) return { ...keep, status: ManifestEntryStatus.EXISTING };
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

export interface SnapshotOnParent {
  snapshotId: bigint;
  operation: SnapshotOperation;
  manifests: ManifestFileInput[];
  added: DataFile[];
  removed: DataFile[];
  clock?: CommitClock;
  /** Extra summary entries. */
  summary?: Record<string, string>;
}

/** Writes the manifest list and returns the commit adding the snapshot on top of `parent`. */
export async function snapshotOnParent(
  store: ObjectStore,
  table: TableRef,
  base: LoadedTable,
  parent: Snapshot,
  change: SnapshotOnParent,
): Promise<TableCommit> {
  const metadata = base.metadata;
  const sequenceNumber = metadata.lastSequenceNumber + 1;
  const listKey = newManifestListKey(table, change.snapshotId);
  const listBytes = writeManifestList({
    snapshotId: change.snapshotId,
    parentSnapshotId: parent.snapshotId,
    sequenceNumber,
    manifests: change.manifests,
  });
  await putManifestList(store, listKey, listBytes);
  const snapshot: Snapshot = {
    snapshotId: change.snapshotId,
    parentSnapshotId: parent.snapshotId,
    sequenceNumber,
    // Never before the base's last update: readers order history by these timestamps.
    timestampMs: Math.max((change.clock ?? systemCommitClock).now(), metadata.lastUpdatedMs),
    manifestList: uriInTable(table, listKey),
    summary: buildSnapshotSummary(
      change.operation,
      changesOf(change.added, change.removed),
      parent.summary,
      change.summary,
    ),
    schemaId: metadata.currentSchemaId,
  };
  return {
    updates: [
      { action: 'add-snapshot', snapshot },
      { action: 'set-snapshot-ref', refName: MAIN_BRANCH, type: 'branch', snapshotId: change.snapshotId },
    ],
    requirements: [{ type: 'assert-ref-snapshot-id', ref: MAIN_BRANCH, snapshotId: parent.snapshotId }],
  };
}
