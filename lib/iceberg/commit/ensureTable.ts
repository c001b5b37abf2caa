/**
 * Creating a table's first metadata version, `v1.metadata.json`, from its definition in the
 * registry. Creation is a race like any commit: `putIfAbsent` decides, and the loser simply
 * loads what the winner wrote.
 */
import { StoreError } from '../../errors.js';
import type { TableMetadataRow } from '../../registry/rows.js';
import type { ObjectStore } from '../../store/objectStore.js';
import { NAME_MAPPING_PROPERTY, nameMappingFromSchema } from '../nameMapping.js';
import { parseJson } from '../spec/exactJson.js';
import { newTableMetadata } from '../spec/newTableMetadata.js';
import { type PartitionSpec, partitionSpecFromJson } from '../spec/partitionSpec.js';
import { schemaFromJson } from '../spec/schemaJson.js';
import { type SortOrder, sortOrderFromJson } from '../spec/sortOrder.js';
import type { Schema } from '../spec/types.js';
import type { TableRef } from '../tableLocation.js';
import { type CommitClock, systemCommitClock } from './commitBackoff.js';
import { writeVersion } from './commitTable.js';
import { type LoadedTable, type LoadOptions, loadTable } from './loadTable.js';

/** What a new Iceberg table is made of. */
export interface TableDefinitionInput {
  schema: Schema;
  spec: PartitionSpec;
  sortOrder: SortOrder;
  properties: Record<string, string>;
}

export interface EnsureTableOptions {
  knownVersion?: number | null;
  /** See `LoadOptions.trustKnown` (a committer only). */
  trustKnown?: LoadOptions['trustKnown'];
  clock?: CommitClock;
  /** Table UUID for v1 (random by default). */
  uuid?: string;
}

export interface EnsuredTable extends LoadedTable {
  created: boolean;
}

/** The definition stored in `table_metadata`, parsed. */
export function definitionFromRegistry(row: TableMetadataRow): TableDefinitionInput {
  return {
    schema: schemaFromJson(parseJson(row.schema_json)),
    spec: partitionSpecFromJson(parseJson(row.partition_spec_json)),
    sortOrder: sortOrderFromJson(parseJson(row.sort_order_json)),
    properties: JSON.parse(row.properties_json) as Record<string, string>,
  };
}

/**
 * Table properties astha always sets: format v2 data files and a name mapping, because files
 * users drop in usually carry no Parquet field ids and readers then match columns by name.
 */
export function managedProperties(schema: Schema): Record<string, string> {
  return { [NAME_MAPPING_PROPERTY]: JSON.stringify(nameMappingFromSchema(schema)) };
}

/** The table's newest metadata, creating v1 from `definition` when it has none yet. */
export async function ensureTable(
  store: ObjectStore,
  table: TableRef,
  definition: TableDefinitionInput,
  options: EnsureTableOptions = {},
): Promise<EnsuredTable> {
  const existing = await loadTable(store, table, {
    knownVersion: options.knownVersion ?? null,
    ...(options.trustKnown ? { trustKnown: options.trustKnown } : {}),
  });
  if (existing) return { ...existing, created: false };
  const clock = options.clock ?? systemCommitClock;
  const metadata = newTableMetadata({
    location: table.location,
    schema: definition.schema,
    spec: definition.spec,
    sortOrder: definition.sortOrder,
    properties: { ...definition.properties, ...managedProperties(definition.schema) },
    nowMs: clock.now(),
    ...(options.uuid ? { uuid: options.uuid } : {}),
  });
  try {
    return { ...(await writeVersion(store, table, 1, metadata)), created: true };
  } catch (error) {
    if (!(error instanceof StoreError && error.code === 'conflict')) throw error;
    const winner = await loadTable(store, table, { knownVersion: 1 });
    if (!winner) throw error;
    return { ...winner, created: false };
  }
}
