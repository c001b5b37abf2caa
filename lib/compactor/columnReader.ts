/**
 * How one input file's column becomes the values of one output (table) column, nested ones
 * included. hyparquet reads each leaf column of a row group into "leveled" values (its
 * `onPage` data, before its own nested assembly): per row, one array level for every optional
 * or repeated group on the leaf's path (an optional level holds 0 or 1 entries, a repeated one
 * n), and at the leaf the value, null, or an array for a repeated leaf. This module walks those
 * levels along the input's own Parquet shape and builds the table type's value directly:
 * structs as objects, lists as arrays, maps as `{ key, value }` entries, every leaf through the
 * same conversion as a top-level column. hyparquet's assembly is not used: it turns map keys
 * into object property names (bytes and numbers become strings) and takes some legacy list
 * shapes for structs.
 *
 * Input shapes are matched by name and follow the rules registration applies
 * (lib/parquet/schemaFromParquet.ts): 3-level and legacy 2-level LIST groups, a repeated field
 * outside a LIST as a list of its values, MAP / MAP_KEY_VALUE groups (key first, value second),
 * unannotated groups as structs. A struct field the input lacks reads as null.
 */
import type { SchemaTree } from 'hyparquet';
import { IcebergError } from '../iceberg/icebergError.js';
import type { IcebergType, ListType, MapType, StructType } from '../iceberg/spec/types.js';
import { type Convert, converter, type OutputValue, type RawValue } from './columnConversion.js';

/**
 * Reads one output value from the leveled values of the input node's leaves at one row:
 * `views[base + i]` is the node's i-th leaf (pre-order) at the node's depth.
 */
export type LevelReader = (views: unknown[], base: number) => OutputValue;

export interface ColumnReader {
  /** The input leaves the column is made of (hyparquet `path_in_schema`), in pre-order. */
  leaves: string[][];
  /** A flat column: the one leaf's conversion, applied value by value (the fast path). */
  convert?: Convert;
  read: LevelReader;
}

/** The reader of table column `type` (named `column`) from input node `node`. */
export function columnReader(node: SchemaTree, type: IcebergType, column: string): ColumnReader {
  const leaves = leafPaths(node);
  if (typeof type === 'string' && isLeaf(node) && node.element.repetition_type !== 'REPEATED') {
    const convert = converter(node.element, type, column);
    return { leaves, convert, read: (views, base) => convert(views[base] as RawValue) };
  }
  return { leaves, read: nodeReader(node, type, column) };
}

function isLeaf(node: SchemaTree): boolean {
  return node.children.length === 0;
}

function leafPaths(node: SchemaTree): string[][] {
  return isLeaf(node) ? [node.path] : node.children.flatMap(leafPaths);
}

function leafCount(node: SchemaTree): number {
  return isLeaf(node) ? 1 : node.children.reduce((n, child) => n + leafCount(child), 0);
}

function mismatch(column: string, node: SchemaTree, expected: string): IcebergError {
  const found = isLeaf(node) ? `a ${node.element.type ?? 'primitive'} column` : 'a group';
  return new IcebergError(
    'unsupported',
    `column ${column}: expected ${expected} in the file, found ${found}`,
    {
      details: { reason: 'shape_mismatch', column },
    },
  );
}

/** The node's value including its own level (optional: present or null; repeated: a list). */
function nodeReader(node: SchemaTree, type: IcebergType, column: string): LevelReader {
  const repetition = node.element.repetition_type;
  if (repetition === 'REPEATED') {
    // A repeated field outside a LIST group is a list of its values, never null.
    if (typeof type === 'string' || type.type !== 'list') throw mismatch(column, node, describe(type));
    return repeated(leafCount(node), contentReader(node, type.element, `${column}.element`));
  }
  const content = contentReader(node, type, column);
  // hyparquet gives every group that is not REQUIRED a level (a missing repetition included).
  if (repetition === 'REQUIRED' || isLeaf(node)) return content;
  return optional(leafCount(node), content);
}

/** The node's value without its own level. */
function contentReader(node: SchemaTree, type: IcebergType, column: string): LevelReader {
  if (typeof type === 'string') {
    if (!isLeaf(node)) throw mismatch(column, node, `a ${type} column`);
    const convert = converter(node.element, type, column);
    return (views, base) => convert(views[base] as RawValue);
  }
  if (isLeaf(node)) throw mismatch(column, node, `a ${type.type} group`);
  const annotation = groupAnnotation(node);
  if (type.type === 'struct') {
    if (annotation) throw mismatch(column, node, 'a struct (unannotated) group');
    return structReader(node, type, column);
  }
  if (type.type === 'list') {
    if (annotation !== 'LIST') throw mismatch(column, node, 'a LIST group');
    return listReader(node, type, column);
  }
  if (annotation !== 'MAP') throw mismatch(column, node, 'a MAP group');
  return mapReader(node, type, column);
}

function describe(type: IcebergType): string {
  return typeof type === 'string' ? `a ${type} column` : `a ${type.type}`;
}

function groupAnnotation(node: SchemaTree): 'LIST' | 'MAP' | undefined {
  const { logical_type: logical, converted_type: converted } = node.element;
  if (logical?.type === 'LIST' || converted === 'LIST') return 'LIST';
  if (logical?.type === 'MAP' || converted === 'MAP' || converted === 'MAP_KEY_VALUE') return 'MAP';
  return undefined;
}

function structReader(node: SchemaTree, type: StructType, column: string): LevelReader {
  let offset = 0;
  const offsets = new Map<string, { child: SchemaTree; offset: number }>();
  for (const child of node.children) {
    offsets.set(child.element.name, { child, offset });
    offset += leafCount(child);
  }
  const fields = type.fields.map((field) => {
    const found = offsets.get(field.name);
    const read = found ? nodeReader(found.child, field.type, `${column}.${field.name}`) : undefined;
    return { name: field.name, read, offset: found?.offset ?? 0 };
  });
  return (views, base) => {
    const struct: { [name: string]: OutputValue } = {};
    for (const field of fields)
      struct[field.name] = field.read ? field.read(views, base + field.offset) : null;
    return struct;
  };
}

/**
 * A LIST group's values. Parquet's backward-compatibility rules (as registration applies them):
 * the repeated child is itself the element when it is primitive, has several fields, or has a
 * legacy 2-level name (`array`, `<list>_tuple`); otherwise its one child is the element.
 */
function listReader(node: SchemaTree, type: ListType, column: string): LevelReader {
  const [repeatedNode, extra] = node.children;
  if (!repeatedNode || extra || repeatedNode.element.repetition_type !== 'REPEATED') {
    throw mismatch(column, node, 'a LIST group with exactly one repeated child');
  }
  const name = repeatedNode.element.name;
  const repeatedIsElement =
    repeatedNode.children.length !== 1 || name === 'array' || name === `${node.element.name}_tuple`;
  const elementColumn = `${column}.element`;
  const element = repeatedIsElement
    ? contentReader(repeatedNode, type.element, elementColumn)
    : nodeReader(repeatedNode.children[0]!, type.element, elementColumn);
  return repeated(leafCount(node), element);
}

function mapReader(node: SchemaTree, type: MapType, column: string): LevelReader {
  const [keyValue, extra] = node.children;
  const [keyNode, valueNode, more] = keyValue?.children ?? [];
  if (
    !keyValue ||
    extra ||
    keyValue.element.repetition_type !== 'REPEATED' ||
    !keyNode ||
    !valueNode ||
    more
  ) {
    throw mismatch(column, node, 'a MAP group with one repeated key/value group');
  }
  const key = nodeReader(keyNode, type.key, `${column}.key`);
  const value = nodeReader(valueNode, type.value, `${column}.value`);
  const valueOffset = leafCount(keyNode);
  const entry: LevelReader = (views, base) => {
    const k = key(views, base);
    // Iceberg map keys are required: a null in an optional key column has no output.
    if (k === null) {
      throw new IcebergError('unsupported', `column ${column}.key: the file holds a null map key`, {
        details: { reason: 'null_map_key', column },
      });
    }
    return { key: k, value: value(views, base + valueOffset) };
  };
  return repeated(leafCount(node), entry);
}

/**
 * The levels below are read through one scratch array per reader, refilled for each entry:
 * readers are synchronous, read their views before returning and never re-enter themselves
 * (each sits at one depth of the tree), so no entry needs its own array (nested rows are many).
 */

/** An optional group's level: no entry is null, one entry holds the content. */
function optional(leaves: number, content: LevelReader): LevelReader {
  const scratch = new Array<unknown>(leaves);
  return (views, base) => {
    const level = views[base] as unknown[];
    if (level.length === 0) return null;
    return content(descend(views, base, scratch, 0), 0);
  };
}

/** A repeated node's level: one value per entry, in order (an empty level is an empty list). */
function repeated(leaves: number, content: LevelReader): LevelReader {
  const scratch = new Array<unknown>(leaves);
  return (views, base) => {
    const level = views[base] as unknown[];
    const values = new Array<OutputValue>(level.length);
    for (let k = 0; k < level.length; k++) values[k] = content(descend(views, base, scratch, k), 0);
    return values;
  };
}

/** `scratch` filled with the views from `base`, each one level down at entry `k`. */
function descend(views: unknown[], base: number, scratch: unknown[], k: number): unknown[] {
  for (let i = 0; i < scratch.length; i++) scratch[i] = (views[base + i] as unknown[])[k];
  return scratch;
}
