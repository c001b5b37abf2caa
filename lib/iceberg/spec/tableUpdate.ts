import type { PartitionSpec } from './partitionSpec.js';
import type { Snapshot, SnapshotRefType } from './snapshot.js';
import type { SortOrder } from './sortOrder.js';
import type { Schema } from './types.js';

/**
 * One change to table metadata, named and shaped after the Iceberg REST catalog's
 * `TableUpdate` actions. A commit is a list of these plus requirements: plain data, so the
 * commit protocol can re-apply the same list to a fresh base after losing a race.
 */
export type TableUpdate =
  | { action: 'assign-uuid'; uuid: string }
  | { action: 'upgrade-format-version'; formatVersion: number }
  /** The schema's id is reassigned by the builder (an identical existing schema is reused). */
  | { action: 'add-schema'; schema: Schema; lastColumnId?: number }
  /** -1 = the schema added last in this list of updates. */
  | { action: 'set-current-schema'; schemaId: number }
  /** The spec's id is reassigned by the builder; its partition field ids are kept. */
  | { action: 'add-spec'; spec: PartitionSpec }
  /** -1 = the spec added last in this list of updates. */
  | { action: 'set-default-spec'; specId: number }
  /** The order's id is reassigned by the builder (0 stays reserved for unsorted). */
  | { action: 'add-sort-order'; sortOrder: SortOrder }
  /** -1 = the sort order added last in this list of updates. */
  | { action: 'set-default-sort-order'; sortOrderId: number }
  | { action: 'add-snapshot'; snapshot: Snapshot }
  | {
      action: 'set-snapshot-ref';
      refName: string;
      type: SnapshotRefType;
      snapshotId: bigint;
      maxRefAgeMs?: number;
      maxSnapshotAgeMs?: number;
      minSnapshotsToKeep?: number;
    }
  | { action: 'remove-snapshots'; snapshotIds: bigint[] }
  | { action: 'remove-snapshot-ref'; refName: string }
  | { action: 'set-location'; location: string }
  | { action: 'set-properties'; updates: Record<string, string> }
  | { action: 'remove-properties'; removals: string[] };

/**
 * A condition the base metadata must meet for a commit to apply (REST `TableRequirement`).
 * They guard against concurrent writers: if one fails after a conflict, the change was
 * computed from a state that no longer exists and must be recomputed, not re-applied.
 */
export type TableRequirement =
  /** The table must not exist yet. */
  | { type: 'assert-create' }
  | { type: 'assert-table-uuid'; uuid: string }
  /** `snapshotId: null` = the ref must not exist. */
  | { type: 'assert-ref-snapshot-id'; ref: string; snapshotId: bigint | null }
  | { type: 'assert-last-assigned-field-id'; lastAssignedFieldId: number }
  | { type: 'assert-current-schema-id'; currentSchemaId: number }
  | { type: 'assert-last-assigned-partition-id'; lastAssignedPartitionId: number }
  | { type: 'assert-default-spec-id'; defaultSpecId: number }
  | { type: 'assert-default-sort-order-id'; defaultSortOrderId: number };

/** A commit as data: apply `updates` to a base on which all `requirements` hold. */
export interface TableCommit {
  requirements: TableRequirement[];
  updates: TableUpdate[];
}
