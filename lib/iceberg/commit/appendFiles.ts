/**
 * A fast append of registered files as one snapshot: one new manifest (ADDED entries whose
 * sequence numbers are inherited, so it stays valid across retries), then a manifest list of
 * the parent's manifests plus the new one (merged when the list grows long), then the
 * `add-snapshot` + `set-snapshot-ref main` commit guarded by `assert-ref-snapshot-id`.
 *
 * The snapshot id is fixed by the caller (it was recorded in the registry before the commit,
 * DESIGN.md step 5): if a retry finds it already in the table, an earlier attempt whose
 * response was lost did commit, and the append is done.
 */
import type { ObjectStore } from '../../store/objectStore.js';
import { IcebergError } from '../icebergError.js';
import type { DataFile } from '../spec/dataFile.js';
import { type ManifestFile, type ManifestFileInput, writeManifestList } from '../spec/manifestList.js';
import { MAIN_BRANCH, type Snapshot } from '../spec/snapshot.js';
import { buildSnapshotSummary, changesOf } from '../spec/snapshotSummary.js';
import {
  currentSchema,
  currentSnapshot,
  defaultSpec,
  snapshotById,
  type TableMetadata,
} from '../spec/tableMetadata.js';
import type { TableCommit, TableUpdate } from '../spec/tableUpdate.js';
import { type Schema, sameSchemaFields } from '../spec/types.js';
import { keyOfUri, newManifestListKey, type TableRef, uriInTable } from '../tableLocation.js';
import { systemCommitClock } from './commitBackoff.js';
import { type CommitOptions, type CommitResult, commitTable, committedSnapshot } from './commitTable.js';
import { encodeAddedManifest, putManifest } from './addedManifest.js';
import { listedManifests, putManifestList } from './manifestLists.js';
import type { DataFileSource } from './dataFileFromRegistry.js';
import { managedProperties, type TableDefinitionInput } from './ensureTable.js';
import type { LoadedTable } from './loadTable.js';
import { mergeManifests, mergePolicy } from './mergeManifests.js';
import { pathsAlreadyAdded } from './foreignSnapshots.js';
import { takeOutOfManifests } from './rewriteSnapshot.js';

export interface AppendOptions extends CommitOptions {
  snapshotId: bigint;
  /**
   * The files to add, asked again before every attempt: a committer drops files it no longer
   * holds a claim on (fencing). An empty answer aborts the append.
   */
  files: () => Promise<DataFileSource[]>;
  /** The table definition the registry holds; schema and properties that differ are committed too. */
  definition?: TableDefinitionInput;
  /**
   * Snapshots whose files the registry already knows (astha's, and other writers' it adopted).
   * A newer snapshot in a base is another writer's commit that landed meanwhile: if it added one
   * of the files being appended, the append is refused (`already_in_table`) rather than adding it twice.
   */
  knownSnapshotIds?: ReadonlySet<bigint>;
  /**
   * `file_path`s of older versions of the keys being added (overwritten objects), asked before
   * every attempt: those still live leave the table in this same snapshot, an `overwrite`, so
   * readers never see the key's rows missing between a delete and an append.
   */
  replacing?: () => Promise<string[]>;
  /**
   * Snapshots to remove in the same commit, given the table as the append leaves it (the
   * retention ceiling, lib/snapshotter/expireSnapshots.ts `snapshotsOverCap`): a table that
   * commits every second keeps a bounded metadata.json without an extra metadata write.
   */
  expire?: (next: TableMetadata) => Promise<bigint[]>;
}

export interface AppendResult {
  commit: CommitResult;
  /** Registry ids of the files in the snapshot (those of the attempt that committed). */
  fileIds: number[];
  /** The snapshot, found in `commit.metadata` (also when an earlier attempt committed it). */
  snapshot: Snapshot;
}

interface WrittenManifest {
  signature: string;
  manifest: ManifestFileInput;
  dataFiles: DataFile[];
  /** Its PUT, started when it was encoded; the manifest list is written beside it. */
  stored: Promise<unknown>;
}

export async function appendFiles(
  store: ObjectStore,
  table: TableRef,
  options: AppendOptions,
): Promise<AppendResult> {
  let fileIds: number[] = [];
  let written: WrittenManifest | undefined;
  const known = options.knownSnapshotIds ? new Set(options.knownSnapshotIds) : undefined;
  const commit = await commitTable(
    store,
    table,
    async (base) => {
      if (snapshotById(base.metadata, options.snapshotId)) return 'noop';
      const sources = await options.files();
      if (sources.length === 0) {
        throw new IcebergError(
          'requirement_failed',
          `no claimed files left for snapshot ${options.snapshotId}`,
          {
            retryable: false,
            details: { reason: 'claims_lost', snapshotId: String(options.snapshotId) },
          },
        );
      }
      if (known) await refuseFilesAlreadyAdded(store, base.metadata, known, sources);
      fileIds = sources.map((s) => s.file.id);
      const schemaChange = schemaUpdates(base.metadata, options.definition);
      const schema = schemaChange.schema;
      const signature = `${schema['schema-id']}:${base.metadata.defaultSpecId}:${fileIds.join(',')}`;
      // Independent round trips side by side: the new manifest's PUT, the files it replaces and
      // the parent's manifest list (read before it is needed; an overwrite does not use it).
      const parent = currentSnapshot(base.metadata);
      const carried = parent ? listedManifests(store, parent.manifestList) : Promise.resolve([]);
      carried.catch(() => undefined);
      const manifest =
        written?.signature === signature
          ? written
          : startManifest(store, table, base, schema, options, sources, signature);
      written = manifest;
      // A failed PUT is written afresh (under a new name) by the next attempt.
      manifest.stored.catch(() => {
        if (written === manifest) written = undefined;
      });
      const replacing = (await options.replacing?.()) ?? [];
      return snapshotCommit(store, table, base, options, schemaChange, manifest, new Set(replacing), carried);
    },
    options,
  );
  const snapshot = committedSnapshot(commit, options.snapshotId);
  return { commit, fileIds, snapshot };
}

async function refuseFilesAlreadyAdded(
  store: ObjectStore,
  metadata: TableMetadata,
  known: Set<bigint>,
  sources: DataFileSource[],
): Promise<void> {
  const paths = new Set(sources.map((s) => keyOfUri(store, s.file.uri)));
  const already = await pathsAlreadyAdded(store, metadata, known, paths);
  if (already.length === 0) return;
  throw new IcebergError(
    'requirement_failed',
    `${already.length} file(s) were committed by another writer meanwhile`,
    {
      retryable: false,
      details: { reason: 'already_in_table', paths: already.slice(0, 10) },
    },
  );
}

function startManifest(
  store: ObjectStore,
  table: TableRef,
  base: LoadedTable,
  schema: Schema,
  options: AppendOptions,
  sources: DataFileSource[],
  signature: string,
): WrittenManifest {
  const spec = defaultSpec(base.metadata);
  const { key, bytes, manifest, dataFiles } = encodeAddedManifest(
    table,
    schema,
    spec,
    sources,
    options.snapshotId,
  );
  return { signature, manifest, dataFiles, stored: putManifest(store, key, bytes) };
}

async function snapshotCommit(
  store: ObjectStore,
  table: TableRef,
  base: LoadedTable,
  options: AppendOptions,
  schemaChange: SchemaChange,
  added: WrittenManifest,
  replacing: ReadonlySet<string>,
  carried: Promise<ManifestFile[]>,
): Promise<TableCommit> {
  const metadata = base.metadata;
  const parent = currentSnapshot(metadata);
  const overwrite =
    parent && replacing.size > 0
      ? await takeOutOfManifests(store, table, base, parent, replacing, options.snapshotId)
      : undefined;
  const removed = overwrite?.removed ?? [];
  // An overwrite carries the parent's manifests as they are (bar the rewritten ones): merging
  // waits for the next append.
  const merged: ManifestFileInput[] =
    overwrite && removed.length > 0
      ? overwrite.manifests
      : await mergeManifests({
          store,
          table,
          metadata,
          snapshotId: options.snapshotId,
          carried: await carried,
          addedCount: 1,
          // The registry's properties when known: the table's copy may lag a change.
          policy: mergePolicy(options.definition?.properties ?? metadata.properties),
        });
  // Re-derived on every attempt: the base's last sequence number moves with each lost race.
  const sequenceNumber = metadata.lastSequenceNumber + 1;
  const listKey = newManifestListKey(table, options.snapshotId);
  const listBytes = writeManifestList({
    snapshotId: options.snapshotId,
    ...(parent ? { parentSnapshotId: parent.snapshotId } : {}),
    sequenceNumber,
    manifests: [added.manifest, ...merged],
  });
  // The list names the manifest by path and length, both known before its PUT ends: the two
  // PUTs go side by side, and both are done before the metadata that publishes them.
  await Promise.all([added.stored, putManifestList(store, listKey, listBytes)]);
  const snapshot: Snapshot = {
    snapshotId: options.snapshotId,
    sequenceNumber,
    // Never before the base's last update: readers order history by these timestamps.
    timestampMs: Math.max((options.clock ?? systemCommitClock).now(), metadata.lastUpdatedMs),
    manifestList: uriInTable(table, listKey),
    summary: buildSnapshotSummary(
      removed.length > 0 ? 'overwrite' : 'append',
      changesOf(added.dataFiles, removed),
      parent?.summary,
    ),
    schemaId: schemaChange.schema['schema-id'],
  };
  if (parent) snapshot.parentSnapshotId = parent.snapshotId;
  const updates: TableUpdate[] = [
    ...schemaChange.updates,
    { action: 'add-snapshot', snapshot },
    { action: 'set-snapshot-ref', refName: MAIN_BRANCH, type: 'branch', snapshotId: options.snapshotId },
  ];
  const expired = (await options.expire?.(withAppended(metadata, snapshot))) ?? [];
  if (expired.length > 0) updates.push({ action: 'remove-snapshots', snapshotIds: expired });
  return {
    updates,
    requirements: [
      {
        type: 'assert-ref-snapshot-id',
        ref: MAIN_BRANCH,
        snapshotId: metadata.refs[MAIN_BRANCH]?.snapshotId ?? null,
      },
    ],
  };
}

/** The snapshots and refs of `metadata` once `snapshot` is appended to main (enough for retention). */
function withAppended(metadata: TableMetadata, snapshot: Snapshot): TableMetadata {
  const main = { ...metadata.refs[MAIN_BRANCH], type: 'branch' as const, snapshotId: snapshot.snapshotId };
  return {
    ...metadata,
    snapshots: [...metadata.snapshots, snapshot],
    refs: { ...metadata.refs, [MAIN_BRANCH]: main },
    currentSnapshotId: snapshot.snapshotId,
  };
}

interface SchemaChange {
  /** The schema the snapshot is written with (the current one after `updates`). */
  schema: Schema;
  updates: TableUpdate[];
}

/**
 * Brings the Iceberg schema and the table's properties up to the registry's definition in the same
 * commit, so files registered against an evolved schema are never described by an older one.
 */
export function schemaUpdates(
  metadata: TableMetadata,
  definition: TableDefinitionInput | undefined,
): SchemaChange {
  const current = currentSchema(metadata);
  if (!definition) return { schema: current, updates: [] };
  const updates: TableUpdate[] = [];
  let schema = current;
  if (!sameSchemaFields(current, definition.schema)) {
    const existing = metadata.schemas.find((s) => sameSchemaFields(s, definition.schema));
    if (existing) {
      schema = existing;
      updates.push({ action: 'set-current-schema', schemaId: existing['schema-id'] });
    } else {
      // The builder gives a new schema the next free id; the snapshot must name the same one.
      const schemaId = metadata.schemas.reduce((max, s) => Math.max(max, s['schema-id'] + 1), 0);
      schema = { ...definition.schema, 'schema-id': schemaId };
      updates.push({ action: 'add-schema', schema }, { action: 'set-current-schema', schemaId: -1 });
    }
  }
  // The registry holds the properties (lib/registry/tableProperties.ts): the table's copy gets
  // what is missing or different, and loses what the registry no longer has.
  const wanted = { ...definition.properties, ...managedProperties(schema) };
  const changed = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => metadata.properties[k] !== v));
  if (Object.keys(changed).length > 0) updates.push({ action: 'set-properties', updates: changed });
  const removals = Object.keys(metadata.properties).filter((key) => !(key in wanted));
  if (removals.length > 0) updates.push({ action: 'remove-properties', removals });
  return { schema, updates };
}
