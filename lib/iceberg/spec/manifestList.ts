import { IcebergError } from '../icebergError.js';
import { type AvroCodec, decodeContainer, encodeContainer } from './avroContainer.js';
import type { DataFile, ManifestEntry, ManifestEntryStatus } from './dataFile.js';
import { toNumber } from './dataFileAvro.js';
import { MANIFEST_FILE_AVRO_SCHEMA } from './manifestAvro.js';
import type { PartitionSpec } from './partitionSpec.js';
import { type FieldSummary, summarizePartitions } from './partitionSummary.js';
import type { Schema } from './types.js';

/**
 * Manifest lists (format spec, "Manifest Lists"): one `manifest_file` record per manifest
 * of a snapshot, with counts and partition summaries so readers can skip manifests.
 */
export const ManifestContentType = { DATA: 0, DELETES: 1 } as const;
export type ManifestContentType = (typeof ManifestContentType)[keyof typeof ManifestContentType];

export interface ManifestFile {
  manifestPath: string;
  manifestLength: number;
  partitionSpecId: number;
  content: ManifestContentType;
  /** Sequence number of the snapshot that added the manifest. */
  sequenceNumber: number;
  /** Lowest data sequence number of any live entry in the manifest. */
  minSequenceNumber: number;
  addedSnapshotId: bigint;
  addedFilesCount: number;
  existingFilesCount: number;
  deletedFilesCount: number;
  addedRowsCount: number;
  existingRowsCount: number;
  deletedRowsCount: number;
  /** One summary per partition field, in spec order. */
  partitions?: FieldSummary[];
  keyMetadata?: Uint8Array;
}

/** A manifest about to be listed: sequence numbers left out are assigned the list's (this commit's). */
export type ManifestFileInput = Omit<ManifestFile, 'sequenceNumber' | 'minSequenceNumber'> & {
  sequenceNumber?: number;
  minSequenceNumber?: number;
};

export interface WriteManifestListOptions {
  snapshotId: bigint;
  parentSnapshotId?: bigint;
  /** The new snapshot's sequence number. */
  sequenceNumber: number;
  manifests: ManifestFileInput[];
  codec?: AvroCodec;
  syncMarker?: Uint8Array;
}

export function writeManifestList(options: WriteManifestListOptions): Uint8Array {
  const records = options.manifests.map((m) => {
    const sequenceNumber = m.sequenceNumber ?? options.sequenceNumber;
    return {
      manifest_path: m.manifestPath,
      manifest_length: m.manifestLength,
      partition_spec_id: m.partitionSpecId,
      content: m.content,
      sequence_number: BigInt(sequenceNumber),
      min_sequence_number: BigInt(m.minSequenceNumber ?? sequenceNumber),
      added_snapshot_id: m.addedSnapshotId,
      added_files_count: m.addedFilesCount,
      existing_files_count: m.existingFilesCount,
      deleted_files_count: m.deletedFilesCount,
      added_rows_count: m.addedRowsCount,
      existing_rows_count: m.existingRowsCount,
      deleted_rows_count: m.deletedRowsCount,
      partitions:
        m.partitions?.map((s) => ({
          contains_null: s.containsNull,
          contains_nan: s.containsNan ?? null,
          lower_bound: s.lowerBound === undefined ? null : Buffer.from(s.lowerBound),
          upper_bound: s.upperBound === undefined ? null : Buffer.from(s.upperBound),
        })) ?? null,
      key_metadata: m.keyMetadata === undefined ? null : Buffer.from(m.keyMetadata),
    };
  });
  return encodeContainer(
    {
      schema: MANIFEST_FILE_AVRO_SCHEMA,
      metadata: {
        'snapshot-id': options.snapshotId.toString(),
        // Java writes the string "null" for a first snapshot; readers expect the key to exist.
        'parent-snapshot-id': options.parentSnapshotId?.toString() ?? 'null',
        'sequence-number': String(options.sequenceNumber),
        'format-version': '2',
      },
      records,
    },
    {
      ...(options.codec ? { codec: options.codec } : {}),
      ...(options.syncMarker ? { syncMarker: options.syncMarker } : {}),
    },
  );
}

export interface ManifestList {
  snapshotId?: bigint;
  parentSnapshotId?: bigint;
  sequenceNumber?: number;
  formatVersion: number;
  manifests: ManifestFile[];
}

export function readManifestList(bytes: Uint8Array): ManifestList {
  const file = decodeContainer(bytes);
  const meta = file.metadata;
  const id = (value: string | undefined) =>
    value === undefined || value === 'null' ? undefined : BigInt(value);
  const list: ManifestList = {
    formatVersion: Number(meta['format-version'] ?? 1),
    manifests: file.records.map((r) => manifestFileFromAvro(r as Record<string, unknown>)),
  };
  const snapshotId = id(meta['snapshot-id']);
  const parentSnapshotId = id(meta['parent-snapshot-id']);
  if (snapshotId !== undefined) list.snapshotId = snapshotId;
  if (parentSnapshotId !== undefined) list.parentSnapshotId = parentSnapshotId;
  if (meta['sequence-number'] !== undefined) list.sequenceNumber = Number(meta['sequence-number']);
  return list;
}

function manifestFileFromAvro(r: Record<string, unknown>): ManifestFile {
  const n = (key: string, fallback?: number) =>
    r[key] === undefined || r[key] === null ? (fallback ?? toNumber(r[key], key)) : toNumber(r[key], key);
  const content = n('content', 0);
  if (content !== 0 && content !== 1)
    throw new IcebergError('invalid_manifest', `manifest_file content ${content}`);
  if (typeof r.added_snapshot_id !== 'bigint')
    throw new IcebergError('invalid_manifest', 'manifest_file has no added_snapshot_id');
  const manifest: ManifestFile = {
    manifestPath: String(r.manifest_path),
    manifestLength: n('manifest_length'),
    partitionSpecId: n('partition_spec_id'),
    content,
    // v1 lists have no sequence numbers: the spec says to read them as 0.
    sequenceNumber: n('sequence_number', 0),
    minSequenceNumber: n('min_sequence_number', 0),
    addedSnapshotId: r.added_snapshot_id,
    // v1 names the counts added_data_files_count etc.
    addedFilesCount: n(r.added_files_count === undefined ? 'added_data_files_count' : 'added_files_count', 0),
    existingFilesCount: n(
      r.existing_files_count === undefined ? 'existing_data_files_count' : 'existing_files_count',
      0,
    ),
    deletedFilesCount: n(
      r.deleted_files_count === undefined ? 'deleted_data_files_count' : 'deleted_files_count',
      0,
    ),
    addedRowsCount: n('added_rows_count', 0),
    existingRowsCount: n('existing_rows_count', 0),
    deletedRowsCount: n('deleted_rows_count', 0),
  };
  if (Array.isArray(r.partitions)) manifest.partitions = r.partitions.map(summaryFromAvro);
  if (r.key_metadata instanceof Uint8Array) manifest.keyMetadata = new Uint8Array(r.key_metadata);
  return manifest;
}

function summaryFromAvro(s: Record<string, unknown>): FieldSummary {
  const summary: FieldSummary = { containsNull: s.contains_null === true };
  if (typeof s.contains_nan === 'boolean') summary.containsNan = s.contains_nan;
  if (s.lower_bound instanceof Uint8Array) summary.lowerBound = new Uint8Array(s.lower_bound);
  if (s.upper_bound instanceof Uint8Array) summary.upperBound = new Uint8Array(s.upper_bound);
  return summary;
}

export interface DescribeManifestOptions {
  manifestPath: string;
  /** Size of the written manifest file in bytes. */
  manifestLength: number;
  schema: Schema;
  spec: PartitionSpec;
  /** The snapshot committing the manifest. */
  snapshotId: bigint;
  entries: ManifestEntry[];
  content?: ManifestContentType;
}

/**
 * The manifest list entry for a manifest written with `writeManifest`: counts per status,
 * partition summaries over the live files, and the lowest explicit sequence number (an
 * entry that inherits gets this commit's, so it is left to `writeManifestList`).
 */
export function describeManifest(options: DescribeManifestOptions): ManifestFileInput {
  const by = (status: ManifestEntryStatus) => options.entries.filter((e) => e.status === status);
  const rows = (entries: ManifestEntry[]) => entries.reduce((sum, e) => sum + e.dataFile.recordCount, 0);
  const [added, existing, deleted] = [by(1), by(0), by(2)];
  const live: DataFile[] = [...added, ...existing].map((e) => e.dataFile);
  const explicit = [...added, ...existing]
    .map((e) => e.sequenceNumber)
    .filter((s): s is number => s !== undefined);
  const input: ManifestFileInput = {
    manifestPath: options.manifestPath,
    manifestLength: options.manifestLength,
    partitionSpecId: options.spec.specId,
    content: options.content ?? ManifestContentType.DATA,
    addedSnapshotId: options.snapshotId,
    addedFilesCount: added.length,
    existingFilesCount: existing.length,
    deletedFilesCount: deleted.length,
    addedRowsCount: rows(added),
    existingRowsCount: rows(existing),
    deletedRowsCount: rows(deleted),
    partitions: summarizePartitions(options.spec, options.schema, live),
  };
  // Explicit numbers belong to earlier commits, so they are below the one inheriting entries will get.
  if (explicit.length > 0) input.minSequenceNumber = explicit.reduce((min, s) => Math.min(min, s));
  return input;
}
