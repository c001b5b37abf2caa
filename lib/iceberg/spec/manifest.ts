import { IcebergError } from '../icebergError.js';
import { type AvroCodec, type AvroSchema, decodeContainer, encodeContainer } from './avroContainer.js';
import { type ManifestEntry, ManifestEntryStatus } from './dataFile.js';
import {
  dataFileFromAvro,
  dataFileToAvro,
  type PartitionFieldWithAvroName,
  toNumber,
} from './dataFileAvro.js';
import { parseJson, stringifyJson } from './exactJson.js';
import { avroName, manifestEntryAvroSchema, partitionAvroSchema } from './manifestAvro.js';
import {
  bindPartitionSpec,
  type PartitionSpec,
  partitionFieldsToJson,
  partitionSpecFromJson,
} from './partitionSpec.js';
import { schemaFromJson, schemaToJson } from './schemaJson.js';
import type { Schema } from './types.js';

/**
 * Manifest files (format spec, "Manifests"): an Avro container of `manifest_entry` records
 * whose header carries the table schema and partition spec they were written with.
 */
export type ManifestContent = 'data' | 'deletes';

export interface WriteManifestOptions {
  /** The table schema the data files were written with. */
  schema: Schema;
  spec: PartitionSpec;
  entries: ManifestEntry[];
  /**
   * Written into entries that have no snapshot id. Leave undefined to write null, so the
   * entries inherit the manifest list's `added_snapshot_id` (a manifest that can be reused
   * by a retried commit with another snapshot id).
   */
  snapshotId?: bigint;
  /**
   * Written into ADDED entries that have no sequence numbers. Leave undefined for a fast
   * append: null means "inherit the manifest's sequence number", assigned at commit.
   */
  sequenceNumber?: number;
  content?: ManifestContent;
  codec?: AvroCodec;
  syncMarker?: Uint8Array;
}

export function writeManifest(options: WriteManifestOptions): Uint8Array {
  const { schema, spec } = options;
  const fields = withAvroNames(bindPartitionSpec(spec, schema));
  const records = options.entries.map((entry) => {
    const snapshotId = entry.snapshotId ?? options.snapshotId;
    const inherit = entry.status === ManifestEntryStatus.ADDED ? options.sequenceNumber : undefined;
    const sequenceNumber = entry.sequenceNumber ?? inherit;
    const fileSequenceNumber = entry.fileSequenceNumber ?? inherit;
    if (
      entry.status !== ManifestEntryStatus.ADDED &&
      (sequenceNumber === undefined || fileSequenceNumber === undefined)
    ) {
      // Only ADDED entries may inherit: an existing or deleted file keeps the numbers it was committed with.
      throw new IcebergError(
        'invalid_manifest',
        `${entry.dataFile.filePath}: status ${entry.status} entries need sequence numbers`,
      );
    }
    return {
      status: entry.status,
      snapshot_id: snapshotId ?? null,
      sequence_number: sequenceNumber === undefined ? null : BigInt(sequenceNumber),
      file_sequence_number: fileSequenceNumber === undefined ? null : BigInt(fileSequenceNumber),
      data_file: dataFileToAvro(entry.dataFile, fields),
    };
  });
  return encodeContainer(
    {
      schema: manifestEntryAvroSchema(partitionAvroSchema(fields)),
      metadata: {
        schema: stringifyJson(schemaToJson(schema), 0),
        'schema-id': String(schema['schema-id']),
        'partition-spec': stringifyJson(partitionFieldsToJson(spec.fields), 0),
        'partition-spec-id': String(spec.specId),
        'format-version': '2',
        content: options.content ?? 'data',
      },
      records,
    },
    {
      ...(options.codec ? { codec: options.codec } : {}),
      ...(options.syncMarker ? { syncMarker: options.syncMarker } : {}),
    },
  );
}

function withAvroNames(fields: ReturnType<typeof bindPartitionSpec>): PartitionFieldWithAvroName[] {
  return fields.map((f) => ({ ...f, avroName: avroName(f.name) }));
}

export interface Manifest {
  schema: Schema;
  spec: PartitionSpec;
  formatVersion: number;
  content: ManifestContent;
  /** Entries as stored: absent snapshot id / sequence numbers are still to be inherited (see `inheritFromManifestFile`). */
  entries: ManifestEntry[];
}

export function readManifest(bytes: Uint8Array): Manifest {
  const file = decodeContainer(bytes);
  const meta = file.metadata;
  const need = (key: string): string => {
    const value = meta[key];
    if (value === undefined) throw new IcebergError('invalid_manifest', `manifest has no ${key} metadata`);
    return value;
  };
  const schema = schemaFromJson(parseJson(need('schema')));
  if (meta['schema-id'] !== undefined) schema['schema-id'] = Number(meta['schema-id']);
  const spec = partitionSpecFromJson({
    'spec-id': Number(meta['partition-spec-id'] ?? 0),
    fields: parseJson(need('partition-spec')),
  });
  const names = partitionNamesById(file.schema);
  const fields = bindPartitionSpec(spec, schema).map((f) => ({
    ...f,
    avroName: names.get(f.fieldId) ?? avroName(f.name),
  }));
  const content = meta.content ?? 'data';
  if (content !== 'data' && content !== 'deletes')
    throw new IcebergError('invalid_manifest', `manifest content ${content}`);
  return {
    schema,
    spec,
    formatVersion: Number(meta['format-version'] ?? 1),
    content,
    entries: file.records.map((r) => entryFromAvro(r as Record<string, unknown>, fields)),
  };
}

function entryFromAvro(record: Record<string, unknown>, fields: PartitionFieldWithAvroName[]): ManifestEntry {
  const status = toNumber(record.status, 'status');
  if (status !== 0 && status !== 1 && status !== 2)
    throw new IcebergError('invalid_manifest', `manifest entry status ${status}`);
  const entry: ManifestEntry = {
    status,
    dataFile: dataFileFromAvro(record.data_file as Record<string, unknown>, fields),
  };
  if (typeof record.snapshot_id === 'bigint') entry.snapshotId = record.snapshot_id;
  if (record.sequence_number != null)
    entry.sequenceNumber = toNumber(record.sequence_number, 'sequence_number');
  if (record.file_sequence_number != null) {
    entry.fileSequenceNumber = toNumber(record.file_sequence_number, 'file_sequence_number');
  }
  return entry;
}

/** Field id → Avro field name in the writer's `r102`, since other engines may name fields differently. */
function partitionNamesById(schema: AvroSchema): Map<number, string> {
  const names = new Map<number, string>();
  const entry = schema as { fields?: { name: string; type: unknown }[] };
  const dataFile = entry.fields?.find((f) => f.name === 'data_file')?.type as {
    fields?: { name: string; type: unknown }[];
  };
  const partition = dataFile?.fields?.find((f) => f.name === 'partition')?.type as {
    fields?: { name: string; 'field-id'?: number }[];
  };
  for (const field of partition?.fields ?? [])
    if (field['field-id'] !== undefined) names.set(field['field-id'], field.name);
  return names;
}

/**
 * Entries with inherited values filled in from their manifest list entry (spec,
 * "Sequence Number Inheritance"): snapshot id from `added_snapshot_id`, sequence numbers
 * from the manifest's `sequence_number` for ADDED entries.
 */
export function inheritFromManifestFile(
  entries: ManifestEntry[],
  manifest: { addedSnapshotId: bigint; sequenceNumber: number },
): ManifestEntry[] {
  return entries.map((entry) => {
    const added = entry.status === ManifestEntryStatus.ADDED;
    return {
      ...entry,
      snapshotId: entry.snapshotId ?? manifest.addedSnapshotId,
      ...(added ? { sequenceNumber: entry.sequenceNumber ?? manifest.sequenceNumber } : {}),
      ...(added ? { fileSequenceNumber: entry.fileSequenceNumber ?? manifest.sequenceNumber } : {}),
    };
  });
}
