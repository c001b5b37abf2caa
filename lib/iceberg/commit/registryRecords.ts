/**
 * How a committed table version and snapshot are described to the registry
 * (`lib/registry/commitState.ts`): 64-bit ids as decimal strings, summaries as JSON.
 */
import type { CommittedSnapshot, TablePointer } from '../../registry/commitState.js';
import type { Snapshot } from '../spec/snapshot.js';
import type { LoadedTable } from './loadTable.js';

export function tablePointer(tableId: number, loaded: LoadedTable): TablePointer {
  const current = loaded.metadata.currentSnapshotId;
  return {
    tableId,
    metadataLocation: loaded.metadataLocation,
    metadataVersion: loaded.version,
    currentSnapshotId: current === undefined ? null : current.toString(),
  };
}

export function snapshotRecord(snapshot: Snapshot, metadataLocation: string): CommittedSnapshot {
  return {
    snapshotId: snapshot.snapshotId.toString(),
    sequenceNumber: snapshot.sequenceNumber,
    parentSnapshotId: snapshot.parentSnapshotId === undefined ? null : snapshot.parentSnapshotId.toString(),
    operation: snapshot.summary.operation,
    manifestList: snapshot.manifestList,
    summaryJson: JSON.stringify(snapshot.summary),
    metadataLocation,
    timestampMs: snapshot.timestampMs,
  };
}
