/**
 * Fits a file's schema into a table's: the schema evolution a new file may cause.
 *
 * Columns are matched by name (case-sensitive, recursively through structs, list elements and
 * map keys/values); the table's field ids always win. What may change:
 * - a file column the table lacks becomes a new optional table field, with fresh ids above the
 *   table's highest id (its nested fields too, in pre-order);
 * - a type may widen, in either direction (the table takes the wider type, and a narrower file
 *   reads fine as the wider one): int → long, float → double, decimal(p,s) → decimal(p',s) with
 *   p' > p (same scale);
 * - a required table field the file lacks, or holds as optional, becomes optional (unless it
 *   is an identifier field).
 * Anything else (string vs long, struct vs primitive, another decimal scale, ...) is refused with
 * a reason naming the column and both types. Pure: no I/O.
 *
 * A new column keeps the file's own id when that id is above the table's highest and still free,
 * so a file written with Parquet field ids stays readable by id. Readers resolve such files by
 * their ids, not by name: a caller must refuse a file with field ids whose `fileToTable` is not
 * the identity (`fieldIdsAgree`).
 */
import {
  decimalParts,
  highestFieldId,
  type IcebergType,
  type NestedField,
  type Schema,
} from './spec/types.js';

export type ReconcileResult =
  | { ok: true; schema: Schema; changed: boolean; fileToTable: Map<number, number> }
  | { ok: false; reason: string };

class Incompatible extends Error {}

interface Context {
  /** Ids above this are new; ids in `used` are taken. */
  tableHighest: number;
  used: Set<number>;
  nextId: number;
  changed: boolean;
  fileToTable: Map<number, number>;
  identifierIds: Set<number>;
}

/**
 * `lastColumnId` is the table's `last-column-id` when known: new ids must stay above ids of
 * dropped columns too (defaults to the highest id in `table`).
 */
export function reconcileSchema(table: Schema, file: Schema, lastColumnId?: number): ReconcileResult {
  const highest = Math.max(highestFieldId(table), lastColumnId ?? 0);
  const context: Context = {
    tableHighest: highest,
    used: new Set(),
    nextId: highest + 1,
    changed: false,
    fileToTable: new Map(),
    identifierIds: new Set(table['identifier-field-ids'] ?? []),
  };
  try {
    const fields = mergeFields(table.fields, file.fields, [], context);
    if (!context.changed)
      return { ok: true, schema: table, changed: false, fileToTable: context.fileToTable };
    const schema: Schema = { ...table, 'schema-id': table['schema-id'] + 1, fields };
    return { ok: true, schema, changed: true, fileToTable: context.fileToTable };
  } catch (error) {
    if (error instanceof Incompatible) return { ok: false, reason: error.message };
    throw error;
  }
}

/** Iceberg's spelling of a type, for reasons: `long`, `struct<a: int>`, `list<string>`, `map<string, int>`. */
export function typeToString(type: IcebergType): string {
  if (typeof type === 'string') return type;
  if (type.type === 'struct')
    return `struct<${type.fields.map((f) => `${f.name}: ${typeToString(f.type)}`).join(', ')}>`;
  if (type.type === 'list') return `list<${typeToString(type.element)}>`;
  return `map<${typeToString(type.key)}, ${typeToString(type.value)}>`;
}

function incompatible(path: string[], table: IcebergType, file: IcebergType): never {
  throw new Incompatible(
    `column "${path.join('.')}": file type ${typeToString(file)} does not fit table type ${typeToString(table)}`,
  );
}

function mergeFields(
  table: NestedField[],
  file: NestedField[],
  path: string[],
  context: Context,
): NestedField[] {
  const fileByName = new Map(file.map((field) => [field.name, field]));
  const merged = table.map((tableField) => {
    const fileField = fileByName.get(tableField.name);
    const fieldPath = [...path, tableField.name];
    if (!fileField) return relaxed(tableField, fieldPath, context, 'missing');
    context.fileToTable.set(fileField.id, tableField.id);
    const type = mergeType(tableField.type, fileField.type, fieldPath, context);
    const field = type === tableField.type ? tableField : { ...tableField, type };
    return fileField.required ? field : relaxed(field, fieldPath, context, 'optional');
  });
  const tableNames = new Set(table.map((field) => field.name));
  for (const fileField of file) {
    if (tableNames.has(fileField.name)) continue;
    context.changed = true;
    const id = freshId(fileField.id, context);
    merged.push({ id, name: fileField.name, required: false, type: freshType(fileField.type, context) });
  }
  return merged;
}

/**
 * The field made optional if it was required (the file may hold nulls for it, or lack it).
 * Identifier fields stay required: a file lacking one is refused; one the file merely declares
 * optional (every column of an inspected Parquet file is) is trusted to hold no nulls.
 */
function relaxed(
  field: NestedField,
  path: string[],
  context: Context,
  why: 'missing' | 'optional',
): NestedField {
  if (!field.required) return field;
  if (context.identifierIds.has(field.id)) {
    if (why === 'optional') return field;
    throw new Incompatible(`column "${path.join('.')}": identifier field is missing from the file`);
  }
  context.changed = true;
  return { ...field, required: false };
}

function mergeType(table: IcebergType, file: IcebergType, path: string[], context: Context): IcebergType {
  if (typeof table === 'string' || typeof file === 'string') {
    if (typeof table !== 'string' || typeof file !== 'string') return incompatible(path, table, file);
    const wider = widerPrimitive(table, file);
    if (wider === undefined) return incompatible(path, table, file);
    if (wider !== table) context.changed = true;
    return wider;
  }
  if (table.type === 'struct' && file.type === 'struct') {
    const fields = mergeFields(table.fields, file.fields, path, context);
    const same = fields.length === table.fields.length && fields.every((f, i) => f === table.fields[i]);
    return same ? table : { ...table, fields };
  }
  if (table.type === 'list' && file.type === 'list') {
    const elementPath = [...path, 'element'];
    context.fileToTable.set(file['element-id'], table['element-id']);
    const element = mergeType(table.element, file.element, elementPath, context);
    const relax = table['element-required'] && !file['element-required'];
    if (relax) context.changed = true;
    if (element === table.element && !relax) return table;
    return { ...table, element, 'element-required': table['element-required'] && !relax };
  }
  if (table.type === 'map' && file.type === 'map') {
    context.fileToTable.set(file['key-id'], table['key-id']);
    context.fileToTable.set(file['value-id'], table['value-id']);
    const key = mergeType(table.key, file.key, [...path, 'key'], context);
    const value = mergeType(table.value, file.value, [...path, 'value'], context);
    const relax = table['value-required'] && !file['value-required'];
    if (relax) context.changed = true;
    if (key === table.key && value === table.value && !relax) return table;
    return { ...table, key, value, 'value-required': table['value-required'] && !relax };
  }
  return incompatible(path, table, file);
}

/** The type both can be read as, or undefined when neither widens to the other. */
function widerPrimitive(table: string, file: string): IcebergType | undefined {
  if (table === file) return table as IcebergType;
  const pair = `${table}|${file}`;
  if (pair === 'int|long' || pair === 'long|int') return 'long';
  if (pair === 'float|double' || pair === 'double|float') return 'double';
  const a = decimalParts(table as IcebergType);
  const b = decimalParts(file as IcebergType);
  if (a && b && a.scale === b.scale) {
    // `decimal(9, 2)` and `decimal(9,2)` are the same type spelled two ways: keep the table's.
    return b.precision > a.precision ? `decimal(${b.precision},${b.scale})` : (table as IcebergType);
  }
  return undefined;
}

/** True when every file id maps to the same table id: a file with Parquet field ids reads correctly. */
export function fieldIdsAgree(fileToTable: Map<number, number>): boolean {
  for (const [fileId, tableId] of fileToTable) if (fileId !== tableId) return false;
  return true;
}

function freshId(fileId: number, context: Context): number {
  let id = fileId;
  if (id <= context.tableHighest || context.used.has(id)) {
    while (context.used.has(context.nextId)) context.nextId++;
    id = context.nextId++;
  }
  context.used.add(id);
  context.fileToTable.set(fileId, id);
  return id;
}

/** A copy of a file type with fresh table ids (pre-order), everything optional. */
function freshType(type: IcebergType, context: Context): IcebergType {
  if (typeof type === 'string') return type;
  if (type.type === 'struct') {
    return {
      type: 'struct',
      fields: type.fields.map((field) => {
        const id = freshId(field.id, context);
        return { id, name: field.name, required: false, type: freshType(field.type, context) };
      }),
    };
  }
  if (type.type === 'list') {
    const elementId = freshId(type['element-id'], context);
    return {
      type: 'list',
      'element-id': elementId,
      element: freshType(type.element, context),
      'element-required': false,
    };
  }
  const keyId = freshId(type['key-id'], context);
  const key = freshType(type.key, context);
  const valueId = freshId(type['value-id'], context);
  return {
    type: 'map',
    'key-id': keyId,
    key,
    'value-id': valueId,
    value: freshType(type.value, context),
    'value-required': false,
  };
}
