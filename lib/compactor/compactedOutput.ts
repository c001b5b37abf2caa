/**
 * A compaction output as the registry stores it and as the replace snapshot's manifest lists it.
 * Its column ids are the table's (compaction writes them as Parquet field ids), so its footer
 * statistics key straight into `file_statistics`.
 */
import type { DataFileSource } from '../iceberg/commit/dataFileFromRegistry.js';
import { columnStatsJson } from '../registry/columnStatsJson.js';
import type { CompactedOutput } from '../registry/compactionState.js';
import type { ObjectStore } from '../store/objectStore.js';
import type { RewrittenFile } from './rewriteFiles.js';

/** Marks astha's compaction snapshots, so recovery never mistakes another engine's replace. */
export const COMPACTION_SUMMARY = { 'astha.operation': 'compaction' } as const;

export function compactedOutput(
  store: ObjectStore,
  file: Pick<RewrittenFile, 'path' | 'size' | 'etag' | 'rowCount' | 'inspection'>,
  partitionPath: string,
  partitionValuesJson: string,
  schemaId: number,
): CompactedOutput {
  const identity = new Map(file.inspection.columns.map((c) => [c.fieldId, c.fieldId]));
  return {
    path: file.path,
    uri: `${store.url.replace(/\/+$/, '')}/${file.path}`,
    size: file.size,
    etag: file.etag,
    rowCount: file.rowCount,
    partitionPath,
    partitionValuesJson,
    schemaId,
    columnCount: file.inspection.columns.length,
    columnStatsJson: JSON.stringify(columnStatsJson(file.inspection.columns, identity)),
    splitOffsetsJson: JSON.stringify(file.inspection.splitOffsets),
  };
}

export function dataFileSource(output: CompactedOutput): DataFileSource {
  return {
    file: {
      id: 0,
      uri: output.uri,
      size: output.size,
      file_format: 'parquet',
      partition_values_json: output.partitionValuesJson,
    },
    stats: {
      record_count: output.rowCount,
      file_size: output.size,
      column_stats_json: output.columnStatsJson,
      split_offsets_json: output.splitOffsetsJson,
    },
  };
}
