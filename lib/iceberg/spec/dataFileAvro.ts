import { IcebergError } from '../icebergError.js';
import type { DataFile, DataFileContent, FileFormat } from './dataFile.js';
import type { BoundPartitionField } from './partitionSpec.js';
import { partitionValueFromAvro, partitionValueToAvro } from './partitionValueAvro.js';

/**
 * `DataFile` ↔ the Avro record of the `data_file` struct. Absent optional metrics become
 * Avro nulls; maps become arrays of `{key, value}` records.
 */
type AvroRecord = Record<string, unknown>;

function mapToAvro<V>(map: Map<number, V> | undefined, convert: (v: V) => unknown): unknown {
  if (map === undefined) return null;
  return [...map.entries()].sort(([a], [b]) => a - b).map(([key, value]) => ({ key, value: convert(value) }));
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function dataFileToAvro(file: DataFile, partitionFields: PartitionFieldWithAvroName[]): AvroRecord {
  if (file.partition.length !== partitionFields.length) {
    throw new IcebergError(
      'invalid_manifest',
      `${file.filePath}: ${file.partition.length} partition values for a spec of ${partitionFields.length} fields`,
    );
  }
  const partition: AvroRecord = {};
  partitionFields.forEach((field, i) => {
    partition[field.avroName] = partitionValueToAvro(field.resultType, file.partition[i] ?? null);
  });
  return {
    content: file.content,
    file_path: file.filePath,
    file_format: file.fileFormat,
    partition,
    record_count: file.recordCount,
    file_size_in_bytes: file.fileSizeInBytes,
    column_sizes: mapToAvro(file.columnSizes, BigInt),
    value_counts: mapToAvro(file.valueCounts, BigInt),
    null_value_counts: mapToAvro(file.nullValueCounts, BigInt),
    nan_value_counts: mapToAvro(file.nanValueCounts, BigInt),
    lower_bounds: mapToAvro(file.lowerBounds, asBuffer),
    upper_bounds: mapToAvro(file.upperBounds, asBuffer),
    key_metadata: file.keyMetadata === undefined ? null : asBuffer(file.keyMetadata),
    split_offsets: file.splitOffsets?.map(BigInt) ?? null,
    equality_ids: file.equalityIds ?? null,
    sort_order_id: file.sortOrderId ?? null,
    referenced_data_file: null,
  };
}

export interface PartitionFieldWithAvroName extends BoundPartitionField {
  /** The name of this field in the file's `r102` record (found by field id when reading). */
  avroName: string;
}

export function dataFileFromAvro(
  record: AvroRecord,
  partitionFields: PartitionFieldWithAvroName[],
): DataFile {
  const partitionRecord = (record.partition ?? {}) as AvroRecord;
  const file: DataFile = {
    content: Number(record.content ?? 0) as DataFileContent,
    filePath: String(record.file_path),
    fileFormat: String(record.file_format).toUpperCase() as FileFormat,
    partition: partitionFields.map((f) => partitionValueFromAvro(f.resultType, partitionRecord[f.avroName])),
    recordCount: toNumber(record.record_count, 'record_count'),
    fileSizeInBytes: toNumber(record.file_size_in_bytes, 'file_size_in_bytes'),
  };
  const counts = (name: string) => mapFromAvro(record[name], (v) => toNumber(v, name));
  const bounds = (name: string) => mapFromAvro(record[name], (v) => new Uint8Array(v as Uint8Array));
  setIf(file, 'columnSizes', counts('column_sizes'));
  setIf(file, 'valueCounts', counts('value_counts'));
  setIf(file, 'nullValueCounts', counts('null_value_counts'));
  setIf(file, 'nanValueCounts', counts('nan_value_counts'));
  setIf(file, 'lowerBounds', bounds('lower_bounds'));
  setIf(file, 'upperBounds', bounds('upper_bounds'));
  if (record.key_metadata instanceof Uint8Array) file.keyMetadata = new Uint8Array(record.key_metadata);
  if (Array.isArray(record.split_offsets))
    file.splitOffsets = record.split_offsets.map((v) => toNumber(v, 'split_offsets'));
  if (Array.isArray(record.equality_ids))
    file.equalityIds = record.equality_ids.map((v) => toNumber(v, 'equality_ids'));
  if (record.sort_order_id !== null && record.sort_order_id !== undefined) {
    file.sortOrderId = toNumber(record.sort_order_id, 'sort_order_id');
  }
  return file;
}

function setIf<K extends keyof DataFile>(file: DataFile, key: K, value: DataFile[K] | undefined): void {
  if (value !== undefined) file[key] = value;
}

function mapFromAvro<V>(raw: unknown, convert: (v: unknown) => V): Map<number, V> | undefined {
  if (!Array.isArray(raw)) return undefined;
  return new Map(raw.map((kv: AvroRecord) => [toNumber(kv.key, 'map key'), convert(kv.value)]));
}

/** Counts and sizes are Avro longs (bigint here) but always far below 2^53. */
export function toNumber(value: unknown, what: string): number {
  if (typeof value === 'number') return value;
  if (
    typeof value === 'bigint' &&
    value <= BigInt(Number.MAX_SAFE_INTEGER) &&
    value >= -BigInt(Number.MAX_SAFE_INTEGER)
  ) {
    return Number(value);
  }
  throw new IcebergError('invalid_manifest', `${what}: expected an integer, got ${String(value)}`);
}
