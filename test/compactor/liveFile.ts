/** A committed small file as compaction planning sees it, for tests of the planner alone. */
import type { LiveFile } from '../../lib/registry/compactionState.js';

export function liveFile(id: number, partitionPath: string, size: number): LiveFile {
  return {
    id,
    path: `ns/t/data/${partitionPath}/f${id}.parquet`,
    uri: `file:///w/ns/t/data/${partitionPath}/f${id}.parquet`,
    size,
    rowCount: 10,
    partitionPath,
    partitionValuesJson: '{}',
    asthaWritten: false,
  };
}
