import type { DataFile } from './dataFile.js';
import { partitionKey } from './dataFile.js';
import type { SnapshotOperation, SnapshotSummary } from './snapshot.js';

/**
 * Snapshot summaries (format spec, Appendix F). Totals are the parent's totals plus this
 * snapshot's changes, as Java computes them: when the parent summary lacks a total (an
 * engine that never wrote it), the total is left out rather than guessed.
 */
export interface SnapshotChanges {
  addedDataFiles: number;
  addedRecords: number;
  addedFilesSize: number;
  deletedDataFiles: number;
  deletedRecords: number;
  removedFilesSize: number;
  changedPartitionCount: number;
}

/** What adding `added` and removing `deleted` data files changes. */
export function changesOf(added: DataFile[], deleted: DataFile[] = []): SnapshotChanges {
  const sum = (files: DataFile[], pick: (f: DataFile) => number) => files.reduce((t, f) => t + pick(f), 0);
  const partitions = new Set([...added, ...deleted].map((f) => partitionKey(f.partition)));
  return {
    addedDataFiles: added.length,
    addedRecords: sum(added, (f) => f.recordCount),
    addedFilesSize: sum(added, (f) => f.fileSizeInBytes),
    deletedDataFiles: deleted.length,
    deletedRecords: sum(deleted, (f) => f.recordCount),
    removedFilesSize: sum(deleted, (f) => f.fileSizeInBytes),
    changedPartitionCount: partitions.size,
  };
}

/** Totals carried over unchanged by data-only snapshots (astha writes no delete files). */
const CARRIED_TOTALS = ['total-delete-files', 'total-position-deletes', 'total-equality-deletes'];

/**
 * The summary of a new snapshot. `parent` is the parent snapshot's summary, undefined for
 * the first snapshot of a branch. `extra` entries (e.g. engine name) are added last and
 * cannot override computed keys.
 */
export function buildSnapshotSummary(
  operation: SnapshotOperation,
  changes: SnapshotChanges,
  parent: SnapshotSummary | undefined,
  extra: Record<string, string> = {},
): SnapshotSummary {
  const summary: SnapshotSummary = { ...extra, operation };
  const set = (key: string, value: number, always = false) => {
    if (always || value !== 0) summary[key] = String(value);
  };
  set('added-data-files', changes.addedDataFiles);
  set('deleted-data-files', changes.deletedDataFiles);
  set('added-records', changes.addedRecords);
  set('deleted-records', changes.deletedRecords);
  set('added-files-size', changes.addedFilesSize);
  set('removed-files-size', changes.removedFilesSize);
  set('changed-partition-count', changes.changedPartitionCount, true);
  const totals: [string, number][] = [
    ['total-records', changes.addedRecords - changes.deletedRecords],
    ['total-files-size', changes.addedFilesSize - changes.removedFilesSize],
    ['total-data-files', changes.addedDataFiles - changes.deletedDataFiles],
    ...CARRIED_TOTALS.map((key): [string, number] => [key, 0]),
  ];
  for (const [key, delta] of totals) {
    const previous = parent === undefined ? 0 : parseTotal(parent[key]);
    if (previous !== undefined) summary[key] = String(previous + delta);
  }
  return summary;
}

function parseTotal(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}
