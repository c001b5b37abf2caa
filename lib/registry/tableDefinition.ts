/**
 * How a file's schema and Hive partitions become a table definition (first file of a table),
 * and whether a later file fits the table (possibly evolving its schema). Pure: no I/O.
 */
import { errorMessage } from '../errors.js';
import { inferPartitionType, partitionValueFromPath } from '../iceberg/partitionValues.js';
import { fieldIdsAgree, reconcileSchema } from '../iceberg/reconcileSchema.js';
import { type PartitionSpec, partitionSpecFor } from '../iceberg/spec/partitionSpec.js';
import { type SortOrder, UNSORTED } from '../iceberg/spec/sortOrder.js';
import { highestFieldId, indexFieldsById, type NestedField, type Schema } from '../iceberg/spec/types.js';
import type { PartitionSegment } from '../layout/warehousePath.js';

/** Properties of a table astha creates (no commit policy: files commit as they arrive). */
export const DEFAULT_TABLE_PROPERTIES: Readonly<Record<string, string>> = {
  'write.format.default': 'parquet',
};

export interface TableDefinition {
  schema: Schema;
  lastColumnId: number;
  spec: PartitionSpec;
  sortOrder: SortOrder;
  properties: Record<string, string>;
}

export type Refusal = { ok: false; reason: string };

export interface FileFit {
  ok: true;
  /** The table schema after this file (same object as before when unchanged). */
  schema: Schema;
  changed: boolean;
  lastColumnId: number;
  /** File field id → table field id, to key the file's stats by the table's ids. */
  fileToTable: Map<number, number>;
}

const EMPTY_SCHEMA: Schema = { type: 'struct', 'schema-id': 0, fields: [] };

/**
 * The definition of a new table from its first file: the file's columns (fresh ids), then any
 * Hive partition column the file lacks (typed from its value), identity-partitioned on those.
 */
export function defineTable(
  fileSchema: Schema,
  partitions: readonly PartitionSegment[],
  hasFieldIds = false,
): { ok: true; definition: TableDefinition; fileToTable: Map<number, number> } | Refusal {
  const reconciled = reconcileSchema(EMPTY_SCHEMA, fileSchema);
  if (!reconciled.ok) return reconciled;
  const ids = hasFieldIds ? fieldIdProblem(fileSchema, reconciled.schema, reconciled.fileToTable) : undefined;
  if (ids) return { ok: false, reason: ids };
  const fields: NestedField[] = [...reconciled.schema.fields];
  let nextId = highestFieldId(reconciled.schema) + 1;
  for (const partition of partitions) {
    if (fields.some((f) => f.name === partition.column)) continue;
    const type = inferPartitionType(partition.raw);
    fields.push({ id: nextId++, name: partition.column, required: false, type });
  }
  const schema: Schema = { type: 'struct', 'schema-id': 0, fields };
  let spec: PartitionSpec;
  try {
    spec = partitionSpecFor(
      schema,
      partitions.map((p) => ({ column: p.column })),
    );
  } catch (error) {
    return { ok: false, reason: `cannot partition the table: ${errorMessage(error)}` };
  }
  const definition: TableDefinition = {
    schema,
    lastColumnId: highestFieldId(schema),
    spec,
    sortOrder: UNSORTED,
    properties: { ...DEFAULT_TABLE_PROPERTIES },
  };
  const valuesProblem = partitionValuesProblem(schema, spec, partitions);
  if (valuesProblem) return { ok: false, reason: valuesProblem };
  return { ok: true, definition, fileToTable: reconciled.fileToTable };
}

/** Whether a later file fits the table: same partition columns, compatible schema, typed values. */
export function fitFile(
  table: { schema: Schema; lastColumnId: number; spec: PartitionSpec },
  fileSchema: Schema,
  partitions: readonly PartitionSegment[],
  hasFieldIds = false,
): FileFit | Refusal {
  const expected = table.spec.fields.map((f) => columnName(table.schema, f.sourceId));
  const actual = partitions.map((p) => p.column);
  if (expected.join('/') !== actual.join('/')) {
    const show = (names: string[]) => (names.length === 0 ? '(none)' : names.join(', '));
    return {
      ok: false,
      reason: `partition columns ${show(actual)} do not match the table's partitioning ${show(expected)}`,
    };
  }
  const reconciled = reconcileSchema(table.schema, fileSchema);
  if (!reconciled.ok)
    return { ok: false, reason: `schema incompatible with the table: ${reconciled.reason}` };
  const ids = hasFieldIds ? fieldIdProblem(fileSchema, reconciled.schema, reconciled.fileToTable) : undefined;
  if (ids) return { ok: false, reason: ids };
  const valuesProblem = partitionValuesProblem(table.schema, table.spec, partitions);
  if (valuesProblem) return { ok: false, reason: valuesProblem };
  if (!reconciled.changed) {
    return {
      ok: true,
      schema: table.schema,
      changed: false,
      lastColumnId: table.lastColumnId,
      fileToTable: reconciled.fileToTable,
    };
  }
  const schema: Schema = { ...reconciled.schema, 'schema-id': table.schema['schema-id'] + 1 };
  return {
    ok: true,
    schema,
    changed: true,
    lastColumnId: Math.max(table.lastColumnId, highestFieldId(schema)),
    fileToTable: reconciled.fileToTable,
  };
}

/**
 * A file written with Parquet field ids is read by id, not by name: every id must be the id the
 * table gives the column of that name, or readers would put one column's values in another.
 */
function fieldIdProblem(
  fileSchema: Schema,
  tableSchema: Schema,
  fileToTable: Map<number, number>,
): string | undefined {
  if (fieldIdsAgree(fileToTable)) return undefined;
  const fileFields = indexFieldsById(fileSchema);
  const tableFields = indexFieldsById(tableSchema);
  const wrong = [...fileToTable]
    .filter(([fileId, tableId]) => fileId !== tableId)
    .map(([fileId, tableId]) => {
      const name = fileFields.get(fileId)?.name ?? tableFields.get(tableId)?.name ?? '?';
      const holder = tableFields.get(fileId)?.name;
      return `"${name}" has field id ${fileId} in the file but ${tableId} in the table${holder ? ` (${fileId} is "${holder}")` : ''}`;
    });
  return `Parquet field ids disagree with the table, so readers matching columns by id would read the wrong column: ${wrong.slice(0, 5).join('; ')}`;
}

function columnName(schema: Schema, id: number): string {
  return schema.fields.find((f) => f.id === id)?.name ?? `#${id}`;
}

/** Each partition value must parse as its column's type (`day=abc` for a date column does not). */
function partitionValuesProblem(
  schema: Schema,
  spec: PartitionSpec,
  partitions: readonly PartitionSegment[],
): string | undefined {
  for (const [i, field] of spec.fields.entries()) {
    const partition = partitions[i];
    const column = schema.fields.find((f) => f.id === field.sourceId);
    if (!partition || !column) return `partition field ${field.name} has no value in the path`;
    try {
      partitionValueFromPath(column.type, partition.raw);
    } catch (error) {
      return `partition value ${partition.column}=${partition.raw} does not fit ${String(column.type)}: ${errorMessage(error)}`;
    }
  }
  return undefined;
}
