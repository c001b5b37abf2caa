/**
 * Data files and manifest entries as astha handles them (format spec, "Manifests").
 * The Avro shape (maps as `k<id>_v<id>` arrays, nullable unions) lives in manifestAvro.ts;
 * here maps are `Map`s keyed by column id and optional metrics are simply absent.
 */

/**
 * A partition value in its Iceberg form, matching the partition field's result type:
 * boolean → boolean; int, date (days) → number; long, time (µs), timestamp* (µs or ns) → bigint;
 * float, double → number; decimal → bigint unscaled value; string → string;
 * uuid → string (canonical 8-4-4-4-12 form); fixed, binary → Uint8Array; null when absent.
 */
export type PartitionValue = null | boolean | number | bigint | string | Uint8Array;

export const DataFileContent = { DATA: 0, POSITION_DELETES: 1, EQUALITY_DELETES: 2 } as const;
export type DataFileContent = (typeof DataFileContent)[keyof typeof DataFileContent];

export type FileFormat = 'PARQUET' | 'AVRO' | 'ORC';

export interface DataFile {
  content: DataFileContent;
  /** Full URI with scheme, e.g. `s3://bucket/warehouse/db/t/data/a.parquet`. */
  filePath: string;
  fileFormat: FileFormat;
  /** One value per field of the partition spec, in the spec's field order. Empty when unpartitioned. */
  partition: PartitionValue[];
  recordCount: number;
  fileSizeInBytes: number;
  /** Column id → bytes on disk. */
  columnSizes?: Map<number, number>;
  /** Column id → values, nulls and NaNs included. */
  valueCounts?: Map<number, number>;
  nullValueCounts?: Map<number, number>;
  nanValueCounts?: Map<number, number>;
  /** Column id → single-value binary bound (Appendix D). */
  lowerBounds?: Map<number, Uint8Array>;
  upperBounds?: Map<number, Uint8Array>;
  keyMetadata?: Uint8Array;
  /** Row group start offsets, ascending. */
  splitOffsets?: number[];
  /** Only for equality delete files. */
  equalityIds?: number[];
  sortOrderId?: number;
}

export const ManifestEntryStatus = { EXISTING: 0, ADDED: 1, DELETED: 2 } as const;
export type ManifestEntryStatus = (typeof ManifestEntryStatus)[keyof typeof ManifestEntryStatus];

export interface ManifestEntry {
  status: ManifestEntryStatus;
  /** Snapshot that added (or deleted) the file; absent = inherited from the manifest list entry. */
  snapshotId?: bigint;
  /** Data sequence number; absent = inherited (only allowed for ADDED entries). */
  sequenceNumber?: number;
  /** File sequence number; absent = inherited (only allowed for ADDED entries). */
  fileSequenceNumber?: number;
  dataFile: DataFile;
}

/** A stable string key for a partition tuple, to group files by partition. */
export function partitionKey(values: PartitionValue[]): string {
  return JSON.stringify(
    values.map((v) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex')}`;
      return v;
    }),
  );
}
