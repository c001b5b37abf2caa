/**
 * A registered file as an Iceberg `data_file`: its statistics row (keyed by the table's field
 * ids, bounds already in single-value binary) becomes the metric maps, and its Hive partition
 * values are typed by the spec's source columns, exactly as registration validated them.
 */
import { decodeColumnStats } from '../../registry/columnStatsJson.js';
import type { FileStatisticsRow, TableFileRow } from '../../registry/rows.js';
import { IcebergError } from '../icebergError.js';
import { partitionValueFromPath } from '../partitionValues.js';
import { type DataFile, DataFileContent, type FileFormat, type PartitionValue } from '../spec/dataFile.js';
import type { BoundPartitionField } from '../spec/partitionSpec.js';
import { toSingleValue } from '../spec/singleValue.js';
import type { Schema } from '../spec/types.js';

/** The columns of `file_statistics` a data file needs. */
export type FileStats = Pick<
  FileStatisticsRow,
  'record_count' | 'file_size' | 'column_stats_json' | 'split_offsets_json'
>;

export type RegisteredFile = Pick<
  TableFileRow,
  'id' | 'uri' | 'size' | 'file_format' | 'partition_values_json'
>;

/** A claimed file with its statistics: what one data file is built from. */
export interface DataFileSource {
  file: RegisteredFile;
  stats: FileStats;
}

export function dataFileFromRegistry(
  file: RegisteredFile,
  stats: FileStats,
  schema: Schema,
  partitionFields: readonly BoundPartitionField[],
): DataFile {
  const dataFile: DataFile = {
    content: DataFileContent.DATA,
    filePath: file.uri,
    fileFormat: fileFormat(file.file_format),
    partition: partitionOf(file, schema, partitionFields),
    recordCount: stats.record_count,
    fileSizeInBytes: file.size,
  };
  const sizes = new Map<number, number>();
  const values = new Map<number, number>();
  const nulls = new Map<number, number>();
  const nans = new Map<number, number>();
  const lower = new Map<number, Uint8Array>();
  const upper = new Map<number, Uint8Array>();
  for (const column of decodeColumnStats(stats.column_stats_json)) {
    const id = column.fieldId;
    if (column.size !== undefined) sizes.set(id, column.size);
    if (column.values !== undefined) values.set(id, column.values);
    if (column.nulls !== undefined) nulls.set(id, column.nulls);
    if (column.nans !== undefined) nans.set(id, column.nans);
    if (column.lower !== undefined) lower.set(id, column.lower);
    if (column.upper !== undefined) upper.set(id, column.upper);
  }
  // An identity partition column the file does not hold is constant in it: its counts and
  // bounds are known exactly. Readers that treat missing metrics as zero (DuckDB) would
  // otherwise prune every file on `col IS NULL` / `IS NOT NULL`.
  partitionFields.forEach((field, i) => {
    if (field.transform !== 'identity' || values.has(field.sourceId)) return;
    const value = dataFile.partition[i];
    values.set(field.sourceId, stats.record_count);
    nulls.set(field.sourceId, value === null ? stats.record_count : 0);
    if (value === null || value === undefined) return;
    const bound = toSingleValue(field.sourceType, value);
    lower.set(field.sourceId, bound);
    upper.set(field.sourceId, bound);
  });
  // Empty maps are left out: "no metrics" must not read as "zero values".
  if (sizes.size > 0) dataFile.columnSizes = sizes;
  if (values.size > 0) dataFile.valueCounts = values;
  if (nulls.size > 0) dataFile.nullValueCounts = nulls;
  if (nans.size > 0) dataFile.nanValueCounts = nans;
  if (lower.size > 0) dataFile.lowerBounds = lower;
  if (upper.size > 0) dataFile.upperBounds = upper;
  const offsets = stats.split_offsets_json === null ? [] : (JSON.parse(stats.split_offsets_json) as number[]);
  if (offsets.length > 0) dataFile.splitOffsets = [...offsets].sort((a, b) => a - b);
  return dataFile;
}

function fileFormat(format: string): FileFormat {
  const upper = format.toUpperCase();
  if (upper === 'PARQUET' || upper === 'AVRO' || upper === 'ORC') return upper;
  throw new IcebergError('unsupported', `file format ${format} is not an Iceberg data file format`);
}

/**
 * One value per spec field, from `partition_values_json` (`{"col": decoded value | null}`).
 * Values are re-escaped so `partitionValueFromPath` decodes them exactly once, as it did when
 * the file was registered.
 */
function partitionOf(
  file: RegisteredFile,
  schema: Schema,
  fields: readonly BoundPartitionField[],
): PartitionValue[] {
  if (fields.length === 0) return [];
  const raw = JSON.parse(file.partition_values_json) as Record<string, string | null>;
  return fields.map((field) => {
    if (field.transform !== 'identity') {
      throw new IcebergError(
        'unsupported',
        `partition transform ${field.transform} is not derived from paths`,
      );
    }
    const column = schema.fields.find((f) => f.id === field.sourceId);
    const value = column ? raw[column.name] : undefined;
    if (!column || value === undefined) {
      throw new IcebergError(
        'invalid_update',
        `file ${file.uri} has no value for partition field ${field.name}`,
        {
          details: { fileId: file.id, field: field.name },
        },
      );
    }
    if (value === null) return null;
    const typed = partitionValueFromPath(field.sourceType, encodeURIComponent(value));
    // Longs are bigints in the manifest model, whatever their size.
    if (field.resultType === 'long' && typeof typed === 'number') return BigInt(typed);
    return typed as PartitionValue;
  });
}
