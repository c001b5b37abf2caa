/**
 * Row types of the registry tables, exactly as stored (column names in snake_case, JSON
 * columns as their text). CDC images (`__cdc_log.before/after`) have the same shape, minus
 * the columns a table leaves out of its images (`IMAGE_EXCLUDED_COLUMNS`).
 */

/** UTC ISO-8601 with milliseconds, e.g. `2026-01-02T03:04:05.678Z`. Parse with `parseRegistryTime`. */
export type RegistryTime = string;
/** An Iceberg snapshot id (a 64-bit long) as a decimal string: JS numbers would lose bits. */
export type SnapshotId = string;

export const ICEBERG_STATES = ['pending', 'committing', 'committed', 'rejected', 'removed'] as const;
export type IcebergState = (typeof ICEBERG_STATES)[number];

export interface NamespaceRow {
  id: number;
  name: string;
  properties_json: string;
  created_at: RegistryTime;
  updated_at: RegistryTime;
}

export interface TableRow {
  id: number;
  namespace_id: number;
  name: string;
  /** Bucket the table's objects live in. */
  bucket: string;
  /** `<namespace>/<table>`: the table's key prefix in the warehouse store (keys below the warehouse prefix). */
  key_prefix: string;
  /** Iceberg table location URI, e.g. `s3://bucket/warehouse/ns/table`. */
  location: string;
  state: 'active' | 'dropped';
  /** Over files that are not rejected or removed. */
  row_count: number;
  total_size: number;
  file_count: number;
  last_modified: RegistryTime | null;
  metadata_location: string | null;
  metadata_version: number | null;
  current_snapshot_id: SnapshotId | null;
  created_at: RegistryTime;
  updated_at: RegistryTime;
}

export interface TableMetadataRow {
  table_id: number;
  format_version: number;
  /** Id of the current schema in `schema_json`; bumped when a file adds columns. */
  schema_id: number;
  /** Iceberg `Schema` JSON (lib/iceberg/spec/types.ts). */
  schema_json: string;
  /** Highest field id ever assigned, so evolution never reuses one. */
  last_column_id: number;
  /** Iceberg partition spec JSON: `{"spec-id": 0, "fields": [...]}`. */
  partition_spec_json: string;
  /** Iceberg sort order JSON: `{"order-id": 0, "fields": []}`. */
  sort_order_json: string;
  /** Table properties (string → string), commit policy included. */
  properties_json: string;
  created_at: RegistryTime;
  updated_at: RegistryTime;
}

export interface TableFileRow {
  id: number;
  table_id: number;
  /** The object's key in the warehouse store (its S3 key minus the warehouse prefix). */
  path: string;
  /** Full URI as an Iceberg data file path, e.g. `s3://bucket/<key>`. */
  uri: string;
  size: number;
  etag: string;
  /** Null when the file could not be read (then it is `rejected`). */
  row_count: number | null;
  checksum: string | null;
  /** Hive partition segments as in the key, `a=1/b=x`, or ''. */
  partition_path: string;
  /** `{"<column>": "<raw decoded value>" | null}`; null is `__HIVE_DEFAULT_PARTITION__`. */
  partition_values_json: string;
  file_format: string;
  /** Table schema id the file was registered against. */
  schema_id: number | null;
  iceberg_state: IcebergState;
  target_snapshot_id: SnapshotId | null;
  snapshot_id: SnapshotId | null;
  reject_reason: string | null;
  /** 1 when astha itself wrote the file (compaction output): registration must not re-add it. */
  astha_written: 0 | 1;
  /** A compaction-replaced file the user removed since: its rows still in outputs must go. */
  retracted_at: RegistryTime | null;
  /** A compaction-replaced file astha's cleanup deleted (its `ObjectRemoved` is not the user's). */
  purged_at: RegistryTime | null;
  registered_at: RegistryTime;
  updated_at: RegistryTime;
}

/** Per-column statistics of one file, keyed by the table's Iceberg field id. */
export interface ColumnStatsEntry {
  /** Bytes of the column chunk(s), compressed. */
  size?: number;
  values?: number;
  nulls?: number;
  nans?: number;
  /** Base64 of the Iceberg single-value binary of the lower bound. */
  lower?: string;
  upper?: string;
}
export type ColumnStatsJson = Record<string, ColumnStatsEntry>;

export interface FileStatisticsRow {
  file_id: number;
  table_id: number;
  record_count: number;
  file_size: number;
  column_count: number;
  /** `ColumnStatsJson` as text. Left out of CDC images: read it from the registry. */
  column_stats_json: string;
  /** JSON array of row-group start offsets, or null. */
  split_offsets_json: string | null;
  created_at: RegistryTime;
}

export interface TableSnapshotRow {
  table_id: number;
  snapshot_id: SnapshotId;
  sequence_number: number;
  parent_snapshot_id: SnapshotId | null;
  operation: 'append' | 'replace' | 'overwrite' | 'delete';
  manifest_list: string;
  summary_json: string;
  metadata_location: string | null;
  committed_at: RegistryTime;
  created_at: RegistryTime;
}

export interface RejectedObjectRow {
  id: number;
  bucket: string;
  key: string;
  etag: string;
  size: number;
  reason: string;
  at: RegistryTime;
}

/** Tables whose changes the CDC triggers capture, in dependency order. */
export const MONITORED_TABLES = [
  'tables',
  'table_metadata',
  'table_files',
  'file_statistics',
  'table_snapshots',
] as const;
export type MonitoredTable = (typeof MONITORED_TABLES)[number];

/** Bulky columns a table keeps out of its CDC images: an event says which row changed. */
export const IMAGE_EXCLUDED_COLUMNS: Readonly<Record<MonitoredTable, readonly string[]>> = {
  tables: [],
  table_metadata: [],
  table_files: [],
  file_statistics: ['column_stats_json'],
  table_snapshots: [],
};

/**
 * The row image type of each monitored table, as found in `__cdc_log.before/after` (JSON).
 * Images hold every column but `IMAGE_EXCLUDED_COLUMNS`; snapshot ids are strings, so all
 * 64 bits survive `JSON.parse`. (No monitored column holds a BLOB; if one ever did, its image
 * value would be `{"$hex": "<hex>"}`.)
 */
export interface MonitoredRows {
  tables: TableRow;
  table_metadata: TableMetadataRow;
  table_files: TableFileRow;
  file_statistics: Omit<FileStatisticsRow, 'column_stats_json'>;
  table_snapshots: TableSnapshotRow;
}

export type CdcOperation = 'INSERT' | 'UPDATE' | 'DELETE';

/** A `__cdc_log` row as stored; `before`/`after` are JSON images (`decodeImage`). */
export interface CdcLogRow {
  id: number;
  timestamp: RegistryTime;
  tablename: string;
  operation: CdcOperation;
  before: string | null;
  after: string | null;
  created_at: RegistryTime;
}

export function isMonitoredTable(name: string): name is MonitoredTable {
  return (MONITORED_TABLES as readonly string[]).includes(name);
}

/** Registry timestamps are UTC; `Date.parse` of the `Z` form is unambiguous. NaN if malformed. */
export function parseRegistryTime(value: RegistryTime): Date {
  return new Date(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) ? value : Number.NaN);
}
