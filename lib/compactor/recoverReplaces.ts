/**
 * Finishes compactions whose `replace` snapshot is in the table but not in the registry (the
 * compactor died, or the registry failed, between the commit and `recordCompaction`). The
 * snapshot's own manifests say what it did: entries it ADDED are the outputs (their footers
 * give the statistics and the lineage again), entries it DELETED are the inputs. Recording is
 * idempotent. A retraction (rows left out) is the same commit as an `overwrite` or `delete`.
 */
import { listedManifests } from '../iceberg/commit/manifestLists.js';
import { parquetMetadataAsync } from 'hyparquet';
import type { CommitClock } from '../iceberg/commit/commitBackoff.js';
import type { LoadedTable } from '../iceberg/commit/loadTable.js';
import { snapshotRecord, tablePointer } from '../iceberg/commit/registryRecords.js';
import { ManifestEntryStatus } from '../iceberg/spec/dataFile.js';
import { inheritFromManifestFile, readManifest } from '../iceberg/spec/manifest.js';
import type { Snapshot } from '../iceberg/spec/snapshot.js';
import { keyOfUri } from '../iceberg/tableLocation.js';
import { inspectParquet } from '../parquet/inspectParquet.js';
import { storeAsyncBuffer } from '../parquet/storeAsyncBuffer.js';
import type { RowSegment } from '../registry/compactionLineage.js';
import { type CompactedOutput, partitionOfFiles, recordCompaction } from '../registry/compactionState.js';
import { recordCommit } from '../registry/commitState.js';
import { recordedSnapshotIds } from '../registry/recordedSnapshots.js';
import type { Registry } from '../registry/registry.js';
import type { ObjectStore } from '../store/objectStore.js';
import { COMPACTION_SUMMARY, compactedOutput } from './compactedOutput.js';
import { LINEAGE_KEY } from './rewriteFiles.js';
import { REWRITE_MANIFESTS_SUMMARY } from './rewriteManifests.js';

const COMPACTION = COMPACTION_SUMMARY['astha.operation'];
const REWRITE_MANIFESTS = REWRITE_MANIFESTS_SUMMARY['astha.operation'];

/** Compactions (replace, or overwrite/delete when rows were retracted) and manifest rewrites. */
function isOurs(snapshot: Snapshot): boolean {
  const marker = snapshot.summary['astha.operation'];
  const operation = snapshot.summary.operation;
  if (marker === COMPACTION)
    return operation === 'replace' || operation === 'overwrite' || operation === 'delete';
  return marker === REWRITE_MANIFESTS && operation === 'replace';
}

export interface RecoverContext {
  registry: Registry;
  store: ObjectStore;
  clock: CommitClock;
  tableId: number;
  loaded: LoadedTable;
}

/** The ids of the snapshots whose registry update was finished now. */
export async function recoverReplaces(context: RecoverContext): Promise<string[]> {
  const ours = context.loaded.metadata.snapshots.filter(isOurs);
  if (ours.length === 0) return [];
  const recorded = await recordedSnapshotIds(
    context.registry.client,
    context.tableId,
    ours.map((s) => s.snapshotId.toString()),
  );
  const finished: string[] = [];
  for (const snapshot of ours) {
    if (recorded.has(snapshot.snapshotId.toString())) continue;
    if (snapshot.summary['astha.operation'] === COMPACTION) {
      await recoverOne(context, snapshot);
    } else {
      // A manifest rewrite changes no file: only the snapshot row is missing.
      await recordCommit(context.registry.client, {
        pointer: tablePointer(context.tableId, context.loaded),
        snapshot: snapshotRecord(snapshot, context.loaded.metadataLocation),
        fileIds: [],
        nowMs: context.clock.now(),
      });
    }
    finished.push(snapshot.snapshotId.toString());
  }
  return finished;
}

async function recoverOne(context: RecoverContext, snapshot: Snapshot): Promise<void> {
  const { store, loaded, tableId } = context;
  const { inputs, outputs } = await changesOf(store, snapshot);
  const partition = await partitionOfFiles(context.registry.client, tableId, inputs);
  const schemaId = snapshot.schemaId ?? loaded.metadata.currentSchemaId;
  const registered: CompactedOutput[] = [];
  for (const uri of outputs) {
    const path = keyOfUri(store, uri);
    const info = await store.head(path);
    // An output of a committed snapshot is never deleted while the snapshot lives.
    if (!info) continue;
    const inspection = await inspectParquet(store, path, info.size);
    const file = {
      path,
      size: info.size,
      etag: info.etag.replace(/^"(.*)"$/, '$1'),
      rowCount: inspection.recordCount,
      inspection,
    };
    const segments = await lineageOf(store, path, info.size);
    registered.push({
      ...compactedOutput(store, file, partition.partitionPath, partition.partitionValuesJson, schemaId),
      ...(segments ? { segments } : {}),
    });
  }
  await recordCompaction(context.registry.client, {
    tableId,
    pointer: tablePointer(tableId, loaded),
    snapshot: snapshotRecord(snapshot, loaded.metadataLocation),
    inputUris: inputs,
    outputs: registered,
    nowMs: context.clock.now(),
  });
}

/** The data files a snapshot added and deleted, from the manifests it wrote. */
async function changesOf(
  store: ObjectStore,
  snapshot: Snapshot,
): Promise<{ inputs: string[]; outputs: string[] }> {
  const inputs: string[] = [];
  const outputs: string[] = [];
  const list = await listedManifests(store, snapshot.manifestList);
  for (const manifest of list) {
    if (manifest.addedSnapshotId !== snapshot.snapshotId) continue;
    const read = readManifest(await store.get(keyOfUri(store, manifest.manifestPath)));
    for (const entry of inheritFromManifestFile(read.entries, manifest)) {
      if (entry.snapshotId !== snapshot.snapshotId) continue;
      if (entry.status === ManifestEntryStatus.ADDED) outputs.push(entry.dataFile.filePath);
      if (entry.status === ManifestEntryStatus.DELETED) inputs.push(entry.dataFile.filePath);
    }
  }
  return { inputs, outputs };
}

/** The segments stamped in an output's footer, if it has them (outputs before lineage do not). */
async function lineageOf(store: ObjectStore, path: string, size: number): Promise<RowSegment[] | undefined> {
  const metadata = await parquetMetadataAsync(storeAsyncBuffer(store, path, size));
  const stamp = metadata.key_value_metadata?.find((kv) => kv.key === LINEAGE_KEY)?.value;
  if (!stamp) return undefined;
  const rows = JSON.parse(stamp) as [number, number, number, number][];
  return rows.map(([inputFileId, inputRowStart, outputRowStart, rowCount]) => ({
    inputFileId,
    inputRowStart,
    outputRowStart,
    rowCount,
  }));
}
