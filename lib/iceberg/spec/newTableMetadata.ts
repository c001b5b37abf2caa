import { randomUUID } from 'node:crypto';
import { NO_PARTITION_FIELD_ID, type PartitionSpec, UNPARTITIONED } from './partitionSpec.js';
import { type SortOrder, UNSORTED } from './sortOrder.js';
import type { TableMetadata } from './tableMetadata.js';
import { applyUpdates } from './tableMetadataBuilder.js';
import type { TableUpdate } from './tableUpdate.js';
import type { Schema } from './types.js';

/**
 * Creating a table is a commit like any other: `createTableUpdates` plus the requirement
 * `assert-create`, applied to the empty state below. `newTableMetadata` does exactly that.
 */
export interface NewTableOptions {
  location: string;
  schema: Schema;
  spec?: PartitionSpec;
  sortOrder?: SortOrder;
  properties?: Record<string, string>;
  /** Defaults to a random UUID: the only non-deterministic input, so pass one in tests. */
  uuid?: string;
  nowMs: number;
}

/** The updates that create a table; commit them with the requirement `assert-create`. */
export function createTableUpdates(options: NewTableOptions): TableUpdate[] {
  return [
    { action: 'assign-uuid', uuid: options.uuid ?? randomUUID() },
    { action: 'upgrade-format-version', formatVersion: 2 },
    { action: 'add-schema', schema: options.schema },
    { action: 'set-current-schema', schemaId: -1 },
    { action: 'add-spec', spec: options.spec ?? UNPARTITIONED },
    { action: 'set-default-spec', specId: -1 },
    { action: 'add-sort-order', sortOrder: options.sortOrder ?? UNSORTED },
    { action: 'set-default-sort-order', sortOrderId: -1 },
    { action: 'set-location', location: options.location },
    { action: 'set-properties', updates: options.properties ?? {} },
  ];
}

/** Metadata of a new, empty format-v2 table (schema id 0, spec id 0). */
export function newTableMetadata(options: NewTableOptions): TableMetadata {
  return applyUpdates(EMPTY_TABLE, createTableUpdates(options), { nowMs: options.nowMs });
}

/** The state before a table exists; `build` refuses it until schema, spec and order are set. */
const EMPTY_TABLE: TableMetadata = {
  formatVersion: 2,
  tableUuid: '',
  location: '',
  lastSequenceNumber: 0,
  lastUpdatedMs: 0,
  lastColumnId: 0,
  schemas: [],
  currentSchemaId: -1,
  partitionSpecs: [],
  defaultSpecId: -1,
  lastPartitionId: NO_PARTITION_FIELD_ID,
  properties: {},
  currentSnapshotId: undefined,
  snapshots: [],
  snapshotLog: [],
  metadataLog: [],
  sortOrders: [],
  defaultSortOrderId: -1,
  refs: {},
  statistics: [],
  partitionStatistics: [],
};
