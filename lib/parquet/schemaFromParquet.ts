/**
 * Parquet schema → Iceberg schema.
 *
 * | Parquet physical    | annotation (logical type / legacy converted type)       | Iceberg          |
 * |---------------------|----------------------------------------------------------|------------------|
 * | BOOLEAN             | –                                                        | boolean          |
 * | INT32               | –, INT(8/16/32, signed), INT_8/16/32, UINT_8/16, INT(8/16, unsigned) | int  |
 * | INT32               | UINT_32, INT(32, unsigned)                               | long             |
 * | INT32               | DATE                                                     | date             |
 * | INT32               | TIME(MILLIS), TIME_MILLIS                                | time (bounds ×1000) |
 * | INT32 / INT64       | DECIMAL(p,s), p ≤ 38                                     | decimal(p,s)     |
 * | INT64               | –, INT(64, signed), INT_64                               | long             |
 * | INT64               | TIME(MICROS), TIME_MICROS                                | time             |
 * | INT64               | TIMESTAMP(MILLIS/MICROS, UTC) / TIMESTAMP_MILLIS/_MICROS | timestamptz (millis bounds ×1000) |
 * | INT64               | TIMESTAMP(MILLIS/MICROS, not UTC)                        | timestamp        |
 * | INT64               | TIMESTAMP(NANOS, UTC / not UTC)                          | timestamptz_ns / timestamp_ns |
 * | INT96               | – (legacy Impala/Spark nanos)                            | timestamp, no bounds |
 * | FLOAT / DOUBLE      | –                                                        | float / double   |
 * | BYTE_ARRAY          | STRING, UTF8, ENUM, JSON                                 | string           |
 * | BYTE_ARRAY          | –, BSON                                                  | binary           |
 * | BYTE_ARRAY / FIXED  | DECIMAL(p,s), p ≤ 38                                     | decimal(p,s)     |
 * | FIXED_LEN_BYTE_ARRAY| –                                                        | fixed[L]         |
 * | FIXED_LEN_BYTE_ARRAY| UUID (L = 16)                                            | uuid             |
 * | group               | LIST (3-level, and the legacy 2-level forms)             | list             |
 * | group               | MAP, MAP_KEY_VALUE                                       | map              |
 * | group               | –                                                        | struct           |
 * | repeated field      | outside a LIST/MAP group                                 | list of it       |
 *
 * Refused (ParquetError `unsupported_type`, the reason names the column): UINT_64 / INT(64,
 * unsigned) (values above 2^63 have no lossless Iceberg type), INTERVAL (months/days/millis
 * has no Iceberg type), TIME(NANOS) (Iceberg time is microseconds), DECIMAL with p > 38,
 * FLOAT16, VARIANT, GEOMETRY, GEOGRAPHY, UNKNOWN (always-null) columns (no Iceberg v2 type
 * readers can read them as), a MAP without values, malformed LIST/MAP groups, and any
 * annotation this reader does not recognise.
 *
 * Every Iceberg field is optional (files from many writers must be able to join one table;
 * map keys stay required as Iceberg demands). Ids are the Parquet `field_id`s when every
 * Iceberg field (struct fields, list elements, map keys and values) has a distinct positive one;
 * otherwise all ids are assigned 1..n in pre-order and the table reads the file through its
 * name mapping.
 */
import type { IcebergType, NestedField, PrimitiveType, Schema } from '../iceberg/spec/types.js';
import type { SchemaElement } from './parquetFooter.js';
import { ParquetError } from './parquetError.js';

/** A Parquet leaf column (one column chunk per row group) and the Iceberg field it fills. */
export interface LeafColumn {
  /** Parquet `path_in_schema`, e.g. `["tags", "list", "element"]`. */
  path: string[];
  fieldId: number;
  element: SchemaElement;
  type: PrimitiveType;
  /** Inside a list or map: Parquet counts and bounds then describe flattened values. */
  repeated: boolean;
}

export interface ParquetSchemaMapping {
  schema: Schema;
  hasFieldIds: boolean;
  leaves: LeafColumn[];
}

interface Node {
  element: SchemaElement;
  path: string[];
  /** undefined for a primitive (leaf) node. */
  children?: Node[];
}

/** Returns an Iceberg id for a field slot; `fieldId` is the Parquet one when the slot has a node. */
type Assign = (fieldId: number | undefined) => number;

const MAX_DECIMAL_PRECISION = 38;

function refuse(path: string[], reason: string): never {
  const column = path.join('.');
  throw new ParquetError('unsupported_type', `column "${column}": ${reason}`, { details: { column } });
}

/** Rebuilds the tree from the flattened pre-order list (each group says how many children follow). */
function buildTree(elements: SchemaElement[]): Node {
  let next = 0;
  const visit = (path: string[]): Node => {
    const element = elements[next++];
    if (!element) {
      throw new ParquetError('corrupt_footer', 'corrupt Parquet footer: schema ends inside a group');
    }
    // Some writers put num_children = 0 on leaves: a physical type is what makes a leaf.
    if (element.type !== undefined && !(element.numChildren! > 0)) return { element, path };
    const children: Node[] = [];
    for (let i = 0; i < (element.numChildren ?? 0); i++) {
      const child = elements[next];
      children.push(visit(child ? [...path, child.name] : path));
    }
    return { element, path, children };
  };
  const root = visit([]);
  if (next !== elements.length) {
    throw new ParquetError(
      'corrupt_footer',
      `corrupt Parquet footer: schema has ${elements.length} elements but the root covers ${next}`,
    );
  }
  return root;
}

export function schemaFromParquet(elements: SchemaElement[]): ParquetSchemaMapping {
  const root = buildTree(elements);
  // First try the file's own field ids; fall back to fresh pre-order ids if any is missing or repeated.
  const seen = new Set<number>();
  let usable = true;
  const fromFile = convert(root, (fieldId) => {
    if (fieldId === undefined || fieldId <= 0 || seen.has(fieldId)) usable = false;
    else seen.add(fieldId);
    return fieldId ?? 0;
  });
  if (usable && seen.size > 0) return { ...fromFile, hasFieldIds: true };
  let counter = 0;
  return { ...convert(root, () => ++counter), hasFieldIds: false };
}

function convert(root: Node, assign: Assign): Omit<ParquetSchemaMapping, 'hasFieldIds'> {
  const leaves: LeafColumn[] = [];
  const fields = structFields(root, assign, leaves, false);
  return { schema: { type: 'struct', 'schema-id': 0, fields }, leaves };
}

function structFields(node: Node, assign: Assign, leaves: LeafColumn[], repeated: boolean): NestedField[] {
  const names = new Set<string>();
  return (node.children ?? []).map((child) => {
    if (names.has(child.element.name)) refuse(child.path, 'duplicate column name');
    names.add(child.element.name);
    return field(child, assign, leaves, repeated);
  });
}

function field(node: Node, assign: Assign, leaves: LeafColumn[], repeated: boolean): NestedField {
  const id = assign(node.element.fieldId);
  const name = node.element.name;
  if (node.element.repetition === 'REPEATED') {
    // A repeated field outside a LIST/MAP group is a list of its values (Parquet compat rules).
    const elementId = assign(undefined);
    const element = typeOf(node, elementId, assign, leaves, true);
    return {
      id,
      name,
      required: false,
      type: { type: 'list', 'element-id': elementId, element, 'element-required': false },
    };
  }
  return { id, name, required: false, type: typeOf(node, id, assign, leaves, repeated) };
}

/** The Iceberg type of a node's values, ignoring its own repetition; `slotId` is the id holding it. */
function typeOf(
  node: Node,
  slotId: number,
  assign: Assign,
  leaves: LeafColumn[],
  repeated: boolean,
): IcebergType {
  if (!node.children) {
    const type = icebergPrimitiveType(node.element, node.path);
    leaves.push({ path: node.path, fieldId: slotId, element: node.element, type, repeated });
    return type;
  }
  const annotation = groupAnnotation(node);
  if (annotation === 'LIST') return listType(node, assign, leaves);
  if (annotation === 'MAP') return mapType(node, assign, leaves);
  return { type: 'struct', fields: structFields(node, assign, leaves, repeated) };
}

function groupAnnotation(node: Node): 'LIST' | 'MAP' | undefined {
  const { logicalType, convertedType } = node.element;
  if (logicalType?.type === 'LIST' || convertedType === 'LIST') return 'LIST';
  if (logicalType?.type === 'MAP' || convertedType === 'MAP' || convertedType === 'MAP_KEY_VALUE')
    return 'MAP';
  if (logicalType) refuse(node.path, `group annotated ${logicalType.type} has no Iceberg type`);
  if (convertedType) refuse(node.path, `group annotated ${convertedType} has no Iceberg type`);
  return undefined;
}

function listType(node: Node, assign: Assign, leaves: LeafColumn[]): IcebergType {
  const [repeatedNode, extra] = node.children ?? [];
  if (!repeatedNode || extra || repeatedNode.element.repetition !== 'REPEATED') {
    refuse(node.path, 'LIST group must have exactly one repeated child');
  }
  // Backward-compatibility rules of the Parquet LogicalTypes spec: the repeated node is itself
  // the element when it is primitive, has several fields, or uses a legacy 2-level name.
  const repeatedIsElement =
    repeatedNode.children?.length !== 1 ||
    repeatedNode.element.name === 'array' ||
    repeatedNode.element.name === `${node.element.name}_tuple`;
  const elementNode = repeatedIsElement ? repeatedNode : repeatedNode.children![0]!;
  if (!repeatedIsElement && elementNode.element.repetition === 'REPEATED') {
    refuse(elementNode.path, 'list element must not be repeated');
  }
  const elementId = assign(elementNode.element.fieldId);
  const element = repeatedIsElement
    ? typeOf(repeatedNode, elementId, assign, leaves, true)
    : typeOf(elementNode, elementId, assign, leaves, true);
  return { type: 'list', 'element-id': elementId, element, 'element-required': false };
}

function mapType(node: Node, assign: Assign, leaves: LeafColumn[]): IcebergType {
  const [keyValue, extra] = node.children ?? [];
  if (!keyValue || extra || keyValue.element.repetition !== 'REPEATED' || !keyValue.children) {
    refuse(node.path, 'MAP group must have exactly one repeated key/value group');
  }
  const [keyNode, valueNode, more] = keyValue.children;
  if (!keyNode || more) refuse(keyValue.path, 'MAP key/value group must have a key and a value');
  if (!valueNode) refuse(keyValue.path, 'MAP without values (a set) has no Iceberg type');
  const keyId = assign(keyNode.element.fieldId);
  const key = typeOf(keyNode, keyId, assign, leaves, true);
  const valueId = assign(valueNode.element.fieldId);
  const value = typeOf(valueNode, valueId, assign, leaves, true);
  return { type: 'map', 'key-id': keyId, key, 'value-id': valueId, value, 'value-required': false };
}

/** The Iceberg type of a Parquet primitive column; throws `unsupported_type` with the reason. */
export function icebergPrimitiveType(element: SchemaElement, path: string[] = [element.name]): PrimitiveType {
  const { type, logicalType: logical, convertedType: converted } = element;
  if (logical?.type === 'UNRECOGNISED') refuse(path, `unrecognised logical type (union id ${logical.id})`);
  if (converted?.startsWith('UNRECOGNISED_')) refuse(path, `unrecognised converted type ${converted}`);
  if (logical?.type === 'DECIMAL' || converted === 'DECIMAL') return decimalType(element, path);
  switch (type) {
    case 'BOOLEAN':
      return annotated(path, element) ?? 'boolean';
    case 'INT32':
      return int32Type(element, path);
    case 'INT64':
      return int64Type(element, path);
    case 'INT96':
      return annotated(path, element) ?? 'timestamp';
    case 'FLOAT':
      return annotated(path, element) ?? 'float';
    case 'DOUBLE':
      return annotated(path, element) ?? 'double';
    case 'BYTE_ARRAY':
      return byteArrayType(element, path);
    case 'FIXED_LEN_BYTE_ARRAY':
      return fixedType(element, path);
    default:
      return refuse(path, 'primitive column without a physical type');
  }
}

/** undefined when the column carries no annotation; refuses any annotation at all otherwise. */
function annotated(path: string[], element: SchemaElement): undefined {
  const name = element.logicalType?.type ?? element.convertedType;
  if (name === undefined) return undefined;
  if (name === 'INTERVAL') refuse(path, 'INTERVAL (months, days, millis) has no Iceberg type');
  if (name === 'UNKNOWN') refuse(path, 'UNKNOWN (an always-null column) has no Iceberg type');
  return refuse(path, `${name} on ${element.type} has no Iceberg type`);
}

function decimalType(element: SchemaElement, path: string[]): PrimitiveType {
  const logical = element.logicalType?.type === 'DECIMAL' ? element.logicalType : undefined;
  const precision = logical?.precision ?? element.precision;
  const scale = logical?.scale ?? element.scale ?? 0;
  if (!['INT32', 'INT64', 'BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY'].includes(element.type ?? '')) {
    refuse(path, `DECIMAL on ${element.type} is not valid Parquet`);
  }
  if (precision === undefined || precision < 1) refuse(path, 'DECIMAL without a precision');
  if (precision > MAX_DECIMAL_PRECISION) {
    refuse(
      path,
      `decimal(${precision},${scale}) exceeds Iceberg's maximum precision ${MAX_DECIMAL_PRECISION}`,
    );
  }
  if (scale < 0 || scale > precision) refuse(path, `decimal scale ${scale} outside 0..${precision}`);
  return `decimal(${precision},${scale})`;
}

function integerAnnotation(element: SchemaElement): { bits: number; signed: boolean } | undefined {
  const logical = element.logicalType;
  if (logical?.type === 'INTEGER') return { bits: logical.bitWidth, signed: logical.isSigned };
  const match = /^(U?)INT_(8|16|32|64)$/.exec(element.convertedType ?? '');
  return match ? { bits: Number(match[2]), signed: match[1] === '' } : undefined;
}

function timeUnitOf(element: SchemaElement): 'MILLIS' | 'MICROS' | 'NANOS' | undefined {
  const logical = element.logicalType;
  if (logical?.type === 'TIME' || logical?.type === 'TIMESTAMP') return logical.unit;
  if (element.convertedType?.endsWith('_MILLIS')) return 'MILLIS';
  if (element.convertedType?.endsWith('_MICROS')) return 'MICROS';
  return undefined;
}

function int32Type(element: SchemaElement, path: string[]): PrimitiveType {
  const integer = integerAnnotation(element);
  if (integer) {
    if (integer.bits > 32) refuse(path, `INT(${integer.bits}) on INT32 is not valid Parquet`);
    return !integer.signed && integer.bits === 32 ? 'long' : 'int';
  }
  if (element.logicalType?.type === 'DATE' || element.convertedType === 'DATE') return 'date';
  if (element.logicalType?.type === 'TIME' || element.convertedType === 'TIME_MILLIS') {
    if (timeUnitOf(element) !== 'MILLIS') refuse(path, 'TIME on INT32 must be MILLIS');
    return 'time';
  }
  return annotated(path, element) ?? 'int';
}

function int64Type(element: SchemaElement, path: string[]): PrimitiveType {
  const integer = integerAnnotation(element);
  if (integer) {
    if (!integer.signed && integer.bits === 64) {
      refuse(path, 'UINT_64 has no lossless Iceberg type (values above 2^63-1 do not fit a long)');
    }
    return 'long';
  }
  const logical = element.logicalType;
  const unit = timeUnitOf(element);
  if (logical?.type === 'TIME' || element.convertedType === 'TIME_MICROS') {
    if (unit === 'NANOS')
      refuse(path, 'TIME(NANOS) has no lossless Iceberg type (Iceberg time is microseconds)');
    if (unit !== 'MICROS') refuse(path, 'TIME on INT64 must be MICROS or NANOS');
    return 'time';
  }
  if (logical?.type === 'TIMESTAMP' || element.convertedType?.startsWith('TIMESTAMP_')) {
    // The legacy TIMESTAMP_MILLIS/MICROS converted types mean UTC-adjusted instants.
    const utc = logical?.type === 'TIMESTAMP' ? logical.isAdjustedToUTC : true;
    if (unit === 'NANOS') return utc ? 'timestamptz_ns' : 'timestamp_ns';
    return utc ? 'timestamptz' : 'timestamp';
  }
  return annotated(path, element) ?? 'long';
}

function byteArrayType(element: SchemaElement, path: string[]): PrimitiveType {
  const name = element.logicalType?.type ?? element.convertedType;
  if (name === 'STRING' || name === 'UTF8' || name === 'ENUM' || name === 'JSON') return 'string';
  if (name === 'BSON') return 'binary';
  return annotated(path, element) ?? 'binary';
}

function fixedType(element: SchemaElement, path: string[]): PrimitiveType {
  const length = element.typeLength;
  if (length === undefined || length < 0) refuse(path, 'FIXED_LEN_BYTE_ARRAY without a type_length');
  if (element.logicalType?.type === 'UUID') {
    if (length !== 16) refuse(path, `UUID must be 16 bytes, got ${length}`);
    return 'uuid';
  }
  if (element.logicalType?.type === 'FLOAT16') {
    refuse(path, 'FLOAT16 has no Iceberg type readers can read (Iceberg float is 32-bit)');
  }
  return annotated(path, element) ?? `fixed[${length}]`;
}
