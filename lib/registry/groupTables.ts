/**
 * The tables a registration group touches: loaded in one query, created on first sight, their
 * schema evolved when a file adds columns.
 */
import type { Transaction } from '@libsql/client';
import { parseJson } from '../iceberg/spec/exactJson.js';
import {
  type PartitionSpec,
  partitionSpecFromJson,
  partitionSpecToJson,
} from '../iceberg/spec/partitionSpec.js';
import { schemaFromJson } from '../iceberg/spec/schemaJson.js';
import { sortOrderToJson } from '../iceberg/spec/sortOrder.js';
import type { Schema } from '../iceberg/spec/types.js';
import type { FileLocation } from './planRegistration.js';
import type { TableDefinition } from './tableDefinition.js';

type Tx = Pick<Transaction, 'execute'>;

export const tableKey = (location: FileLocation) => `${location.key.namespace}.${location.key.table}`;

export interface TableState {
  id: number;
  bucket: string;
  state: string;
  schema: Schema;
  lastColumnId: number;
  spec: PartitionSpec;
  /** The stored texts of the schema and spec as read, to check later that they are unchanged. */
  schemaJson: string;
  specJson: string;
}

/** The group's existing tables by `tableKey`, with their current metadata. */
export async function loadTables(tx: Tx, locations: FileLocation[]): Promise<Map<string, TableState>> {
  const names = [...new Map(locations.map((l) => [tableKey(l), [l.key.namespace, l.key.table]])).values()];
  const tables = new Map<string, TableState>();
  if (names.length === 0) return tables;
  const result = await tx.execute({
    sql: `SELECT n.name AS ns, t.name AS tbl, t.id, t.bucket, t.state, m.schema_json, m.last_column_id, m.partition_spec_json
          FROM json_each(?) j
          JOIN namespaces n ON n.name = j.value ->> 0
          JOIN tables t ON t.namespace_id = n.id AND t.name = j.value ->> 1
          JOIN table_metadata m ON m.table_id = t.id`,
    args: [JSON.stringify(names)],
  });
  for (const row of result.rows) {
    tables.set(`${String(row.ns)}.${String(row.tbl)}`, {
      id: Number(row.id),
      bucket: String(row.bucket),
      state: String(row.state),
      schema: parsedSchema(String(row.schema_json)),
      lastColumnId: Number(row.last_column_id),
      spec: partitionSpecFromJson(parseJson(String(row.partition_spec_json))),
      schemaJson: String(row.schema_json),
      specJson: String(row.partition_spec_json),
    });
  }
  return tables;
}

// A batch of files for one table parses the same schema text again and again.
const schemaCache = new Map<string, Schema>();
function parsedSchema(text: string): Schema {
  let schema = schemaCache.get(text);
  if (!schema) {
    schema = schemaFromJson(parseJson(text));
    if (schemaCache.size > 256) schemaCache.clear();
    schemaCache.set(text, schema);
  }
  return schema;
}

/** Namespace (if new), table and metadata of a table seen for the first time. */
export async function createTable(
  tx: Tx,
  bucket: string,
  location: FileLocation,
  definition: TableDefinition,
): Promise<TableState> {
  const { namespace, table, tablePrefix } = location.key;
  await tx.execute({
    sql: 'INSERT INTO namespaces (name) VALUES (?) ON CONFLICT (name) DO NOTHING',
    args: [namespace],
  });
  const created = await tx.execute({
    sql: `INSERT INTO tables (namespace_id, name, bucket, key_prefix, location)
          SELECT id, ?, ?, ?, ? FROM namespaces WHERE name = ? RETURNING id`,
    args: [table, bucket, tablePrefix, location.tableLocation, namespace],
  });
  const id = Number(created.rows[0]?.id);
  const schemaJson = JSON.stringify(definition.schema);
  const specJson = JSON.stringify(partitionSpecToJson(definition.spec));
  await tx.execute({
    sql: `INSERT INTO table_metadata (table_id, schema_id, schema_json, last_column_id, partition_spec_json,
            sort_order_json, properties_json) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    args: [
      id,
      definition.schema['schema-id'],
      schemaJson,
      definition.lastColumnId,
      specJson,
      JSON.stringify(sortOrderToJson(definition.sortOrder)),
      JSON.stringify(definition.properties),
    ],
  });
  return {
    id,
    bucket,
    state: 'active',
    schema: definition.schema,
    lastColumnId: definition.lastColumnId,
    spec: definition.spec,
    schemaJson,
    specJson,
  };
}

/** The table's schema after a file added columns (the metadata orchestrator commits it); returns its stored text. */
export async function evolveSchema(
  tx: Tx,
  tableId: number,
  schema: Schema,
  lastColumnId: number,
): Promise<string> {
  const schemaJson = JSON.stringify(schema);
  await tx.execute({
    sql: 'UPDATE table_metadata SET schema_id = ?, schema_json = ?, last_column_id = ? WHERE table_id = ?',
    args: [schema['schema-id'], schemaJson, lastColumnId, tableId],
  });
  return schemaJson;
}
