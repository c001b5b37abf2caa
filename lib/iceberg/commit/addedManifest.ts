/**
 * The manifest of a snapshot's new files (appends and compaction outputs): registered files
 * as ADDED entries with inherited sequence numbers, so the manifest stays valid on whatever
 * base a retried commit lands on.
 */
import type { ObjectStore } from '../../store/objectStore.js';
import { type DataFile, ManifestEntryStatus } from '../spec/dataFile.js';
import { writeManifest } from '../spec/manifest.js';
import { describeManifest, type ManifestFileInput } from '../spec/manifestList.js';
import { bindPartitionSpec, type PartitionSpec } from '../spec/partitionSpec.js';
import type { Schema } from '../spec/types.js';
import { newManifestKey, type TableRef, uriInTable } from '../tableLocation.js';
import { type DataFileSource, dataFileFromRegistry } from './dataFileFromRegistry.js';

export interface AddedManifest {
  manifest: ManifestFileInput;
  dataFiles: DataFile[];
}

/** The manifest encoded under a fresh key, not yet stored. */
export interface EncodedManifest extends AddedManifest {
  key: string;
  bytes: Uint8Array;
}

export async function writeAddedManifest(
  store: ObjectStore,
  table: TableRef,
  schema: Schema,
  spec: PartitionSpec,
  sources: readonly DataFileSource[],
  snapshotId: bigint,
): Promise<AddedManifest> {
  const { key, bytes, manifest, dataFiles } = encodeAddedManifest(table, schema, spec, sources, snapshotId);
  await putManifest(store, key, bytes);
  return { manifest, dataFiles };
}

export function putManifest(store: ObjectStore, key: string, bytes: Uint8Array): Promise<unknown> {
  return store.put(key, bytes, { contentType: 'application/octet-stream' });
}

/** The manifest's bytes and its manifest-list entry, computed before any write. */
export function encodeAddedManifest(
  table: TableRef,
  schema: Schema,
  spec: PartitionSpec,
  sources: readonly DataFileSource[],
  snapshotId: bigint,
): EncodedManifest {
  const fields = bindPartitionSpec(spec, schema);
  const dataFiles = sources.map((s) => dataFileFromRegistry(s.file, s.stats, schema, fields));
  const entries = dataFiles.map((dataFile) => ({ status: ManifestEntryStatus.ADDED, dataFile }));
  const bytes = writeManifest({ schema, spec, entries, snapshotId });
  const key = newManifestKey(table);
  const manifest = describeManifest({
    manifestPath: uriInTable(table, key),
    manifestLength: bytes.length,
    schema,
    spec,
    snapshotId,
    entries,
  });
  return { key, bytes, manifest, dataFiles };
}
