import { IcebergError } from '../icebergError.js';
import { type JsonObject, type JsonValue, parseJson, stringifyJson } from './exactJson.js';
import { type PartitionSpec, partitionSpecFromJson, partitionSpecToJson } from './partitionSpec.js';
import { schemaFromJson, schemaToJson } from './schemaJson.js';
import {
  MAIN_BRANCH,
  type Snapshot,
  type SnapshotRef,
  snapshotFromJson,
  snapshotRefFromJson,
  snapshotRefToJson,
  snapshotToJson,
} from './snapshot.js';
import { type SortOrder, sortOrderFromJson, sortOrderToJson } from './sortOrder.js';
import type { Schema } from './types.js';
import { asArray, asInt, asLong, asObject, asString, asStringMap } from './wireReader.js';

/**
 * Table metadata, format version 2 (format spec, "Table Metadata").
 * Domain objects are treated as immutable: only tableMetadataBuilder.ts makes new ones.
 * The JSON wire shape differs in key names and in 64-bit ids (JSON integers there,
 * `bigint` here), so it is converted by `tableMetadataToJson`/`tableMetadataFromJson`.
 */
export interface SnapshotLogEntry {
  timestampMs: number;
  snapshotId: bigint;
}

export interface MetadataLogEntry {
  timestampMs: number;
  metadataFile: string;
}

export interface TableMetadata {
  formatVersion: 2;
  tableUuid: string;
  location: string;
  lastSequenceNumber: number;
  lastUpdatedMs: number;
  /** Highest column id ever assigned in any schema. */
  lastColumnId: number;
  schemas: Schema[];
  currentSchemaId: number;
  partitionSpecs: PartitionSpec[];
  defaultSpecId: number;
  /** Highest partition field id ever assigned (999 when none). */
  lastPartitionId: number;
  properties: Record<string, string>;
  /** The `main` branch's snapshot; undefined for a table without snapshots (-1 on the wire). */
  currentSnapshotId: bigint | undefined;
  snapshots: Snapshot[];
  snapshotLog: SnapshotLogEntry[];
  metadataLog: MetadataLogEntry[];
  sortOrders: SortOrder[];
  defaultSortOrderId: number;
  refs: Record<string, SnapshotRef>;
  /** Puffin statistics files, kept as their JSON (astha writes none). */
  statistics: JsonObject[];
  partitionStatistics: JsonObject[];
}

/** Property naming how many previous metadata files `metadata-log` keeps. */
export const PREVIOUS_VERSIONS_MAX = 'write.metadata.previous-versions-max';
export const PREVIOUS_VERSIONS_MAX_DEFAULT = 100;

export function currentSchema(metadata: TableMetadata): Schema {
  return schemaById(metadata, metadata.currentSchemaId);
}

export function schemaById(metadata: TableMetadata, id: number): Schema {
  const schema = metadata.schemas.find((s) => s['schema-id'] === id);
  if (!schema) throw new IcebergError('invalid_metadata', `schema ${id} is not in the table metadata`);
  return schema;
}

export function defaultSpec(metadata: TableMetadata): PartitionSpec {
  return specById(metadata, metadata.defaultSpecId);
}

export function specById(metadata: TableMetadata, id: number): PartitionSpec {
  const spec = metadata.partitionSpecs.find((s) => s.specId === id);
  if (!spec) throw new IcebergError('invalid_metadata', `partition spec ${id} is not in the table metadata`);
  return spec;
}

export function snapshotById(metadata: TableMetadata, id: bigint): Snapshot | undefined {
  return metadata.snapshots.find((s) => s.snapshotId === id);
}

export function currentSnapshot(metadata: TableMetadata): Snapshot | undefined {
  return metadata.currentSnapshotId === undefined
    ? undefined
    : snapshotById(metadata, metadata.currentSnapshotId);
}

/** The snapshot a branch or tag points at, undefined when the ref does not exist. */
export function refSnapshot(metadata: TableMetadata, ref = MAIN_BRANCH): Snapshot | undefined {
  const target = metadata.refs[ref];
  return target === undefined ? undefined : snapshotById(metadata, target.snapshotId);
}

export function tableMetadataToJson(metadata: TableMetadata): JsonObject {
  const refs: JsonObject = {};
  for (const [name, ref] of Object.entries(metadata.refs)) refs[name] = snapshotRefToJson(ref);
  return {
    'format-version': metadata.formatVersion,
    'table-uuid': metadata.tableUuid,
    location: metadata.location,
    'last-sequence-number': metadata.lastSequenceNumber,
    'last-updated-ms': metadata.lastUpdatedMs,
    'last-column-id': metadata.lastColumnId,
    'current-schema-id': metadata.currentSchemaId,
    schemas: metadata.schemas.map(schemaToJson),
    'default-spec-id': metadata.defaultSpecId,
    'partition-specs': metadata.partitionSpecs.map(partitionSpecToJson),
    'last-partition-id': metadata.lastPartitionId,
    'default-sort-order-id': metadata.defaultSortOrderId,
    'sort-orders': metadata.sortOrders.map(sortOrderToJson),
    properties: { ...metadata.properties },
    // Java writes -1 for "no snapshot" and every reader accepts it; null trips some.
    'current-snapshot-id': metadata.currentSnapshotId ?? -1,
    refs,
    snapshots: metadata.snapshots.map(snapshotToJson),
    statistics: metadata.statistics,
    'partition-statistics': metadata.partitionStatistics,
    'snapshot-log': metadata.snapshotLog.map((e) => ({
      'timestamp-ms': e.timestampMs,
      'snapshot-id': e.snapshotId,
    })),
    'metadata-log': metadata.metadataLog.map((e) => ({
      'timestamp-ms': e.timestampMs,
      'metadata-file': e.metadataFile,
    })),
  };
}

/** The `v<N>.metadata.json` text: pretty JSON with exact 64-bit ids. */
export function serializeTableMetadata(metadata: TableMetadata): string {
  return stringifyJson(tableMetadataToJson(metadata));
}

export function parseTableMetadata(text: string): TableMetadata {
  return tableMetadataFromJson(parseJson(text));
}

export function tableMetadataFromJson(json: JsonValue): TableMetadata {
  const o = asObject(json, 'table metadata');
  const version = o['format-version'];
  if (version !== 2) {
    throw new IcebergError(
      'unsupported',
      `table metadata format-version ${String(version)}: only 2 is supported`,
    );
  }
  const snapshots = asArray(o.snapshots ?? [], 'snapshots').map(snapshotFromJson);
  const currentSnapshotId = readCurrentSnapshotId(o['current-snapshot-id']);
  const metadata: TableMetadata = {
    formatVersion: 2,
    tableUuid: asString(o['table-uuid'], 'table-uuid'),
    location: asString(o.location, 'location'),
    lastSequenceNumber: asInt(o['last-sequence-number'], 'last-sequence-number'),
    lastUpdatedMs: asInt(o['last-updated-ms'], 'last-updated-ms'),
    lastColumnId: asInt(o['last-column-id'], 'last-column-id'),
    schemas: asArray(o.schemas, 'schemas').map(schemaFromJson),
    currentSchemaId: asInt(o['current-schema-id'], 'current-schema-id'),
    partitionSpecs: asArray(o['partition-specs'], 'partition-specs').map(partitionSpecFromJson),
    defaultSpecId: asInt(o['default-spec-id'], 'default-spec-id'),
    lastPartitionId: asInt(o['last-partition-id'], 'last-partition-id'),
    properties: asStringMap(o.properties ?? {}, 'properties'),
    currentSnapshotId,
    snapshots,
    snapshotLog: asArray(o['snapshot-log'] ?? [], 'snapshot-log').map((e) => {
      const entry = asObject(e, 'snapshot-log entry');
      return {
        timestampMs: asInt(entry['timestamp-ms'], 'snapshot-log timestamp-ms'),
        snapshotId: asLong(entry['snapshot-id'], 'snapshot-log snapshot-id'),
      };
    }),
    metadataLog: asArray(o['metadata-log'] ?? [], 'metadata-log').map((e) => {
      const entry = asObject(e, 'metadata-log entry');
      return {
        timestampMs: asInt(entry['timestamp-ms'], 'metadata-log timestamp-ms'),
        metadataFile: asString(entry['metadata-file'], 'metadata-log metadata-file'),
      };
    }),
    sortOrders: asArray(o['sort-orders'], 'sort-orders').map(sortOrderFromJson),
    defaultSortOrderId: asInt(o['default-sort-order-id'], 'default-sort-order-id'),
    refs: readRefs(o.refs, currentSnapshotId),
    statistics: asArray(o.statistics ?? [], 'statistics').map((s) => asObject(s, 'statistics file')),
    partitionStatistics: asArray(o['partition-statistics'] ?? [], 'partition-statistics').map((s) =>
      asObject(s, 'partition statistics file'),
    ),
  };
  validateTableMetadata(metadata);
  return metadata;
}

function readCurrentSnapshotId(value: JsonValue | undefined): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  const id = asLong(value, 'current-snapshot-id');
  return id === -1n ? undefined : id;
}

/** Metadata written before refs existed has only `current-snapshot-id`: it is the main branch. */
function readRefs(
  value: JsonValue | undefined,
  currentSnapshotId: bigint | undefined,
): Record<string, SnapshotRef> {
  const refs: Record<string, SnapshotRef> = {};
  if (value !== undefined) {
    for (const [name, ref] of Object.entries(asObject(value, 'refs')))
      refs[name] = snapshotRefFromJson(ref, name);
  }
  if (refs[MAIN_BRANCH] === undefined && currentSnapshotId !== undefined) {
    refs[MAIN_BRANCH] = { snapshotId: currentSnapshotId, type: 'branch' };
  }
  return refs;
}

/** Cross-references the spec requires; a file that breaks them is not a table we can safely extend. */
function validateTableMetadata(m: TableMetadata): void {
  const fail = (why: string): never => {
    throw new IcebergError('invalid_metadata', `table metadata ${m.tableUuid}: ${why}`);
  };
  schemaById(m, m.currentSchemaId);
  specById(m, m.defaultSpecId);
  if (!m.sortOrders.some((o) => o.orderId === m.defaultSortOrderId)) {
    fail(`default sort order ${m.defaultSortOrderId} is not in sort-orders`);
  }
  if (m.currentSnapshotId !== undefined && !snapshotById(m, m.currentSnapshotId)) {
    fail(`current snapshot ${m.currentSnapshotId} is not in snapshots`);
  }
  const main = m.refs[MAIN_BRANCH];
  if (main !== undefined && main.snapshotId !== m.currentSnapshotId) {
    fail(`main branch ${main.snapshotId} differs from current-snapshot-id ${String(m.currentSnapshotId)}`);
  }
  for (const snapshot of m.snapshots) {
    if (snapshot.sequenceNumber > m.lastSequenceNumber) {
      fail(
        `snapshot ${snapshot.snapshotId} has sequence number ${snapshot.sequenceNumber} > ${m.lastSequenceNumber}`,
      );
    }
  }
}
