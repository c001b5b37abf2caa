/**
 * How one table column is written by compaction and how an input file's values become its
 * values. Inputs are read RAW (their annotations stripped, see `rawMetadata`): hyparquet would
 * otherwise turn decimals into floats and timestamps into millisecond Dates, losing digits.
 * Outputs are written in the shape the Iceberg spec gives each type (Appendix "Parquet"):
 * decimals as INT32/INT64/fixed by precision, times and timestamps in micro- (or nano-)seconds,
 * structs, lists and maps as Iceberg writes them, with the table's field ids on every node, so
 * the output reads exactly like the inputs did.
 */
import type { FileMetaData, SchemaElement as PqElement } from 'hyparquet';
import { IcebergError } from '../iceberg/icebergError.js';
import {
  decimalParts,
  fixedLength,
  type IcebergType,
  type NestedField,
  type PrimitiveType,
  type StructType,
} from '../iceberg/spec/types.js';

/** A raw value as hyparquet yields it with annotations stripped (or null). */
export type RawValue = boolean | number | bigint | Uint8Array | null | undefined;
export type Convert = (value: RawValue) => RawValue;
/**
 * A value of an output column as hyparquet-writer takes it: a raw leaf value, a struct as an
 * object by field name, a list as an array, a map as an array of `{ key, value }` entries (not
 * an object: keys are bytes or numbers, and an object would turn them into strings).
 */
export type OutputValue = RawValue | OutputValue[] | { [name: string]: OutputValue };

/**
 * The output Parquet schema elements of a table column, in pre-order: a primitive as one leaf;
 * a struct as a group; a list as the 3-level LIST (`<name> { repeated group list { element } }`)
 * and a map as MAP (`<name> { repeated group key_value { key, value } }`), the shapes the
 * Iceberg spec writes. Every Iceberg field carries its id (struct fields, list elements, map
 * keys and values), so readers resolve the output by id and its statistics key by id.
 */
export function outputElements(field: NestedField): PqElement[] {
  return typeElements(field.name, field.id, field.required, field.type, field.name);
}

/**
 * Why compaction cannot write the table's columns (a type with no output shape, e.g. an
 * empty struct or a type newer than this writer), or undefined when it can: such a table is
 * skipped with the reason rather than failed on every look.
 */
export function uncompactableColumn(schema: StructType): string | undefined {
  for (const field of schema.fields) {
    try {
      outputElements(field);
    } catch (error) {
      if (error instanceof IcebergError && error.code === 'unsupported') return error.message;
      throw error;
    }
  }
  return undefined;
}

function typeElements(
  name: string,
  id: number,
  required: boolean,
  type: IcebergType,
  column: string,
): PqElement[] {
  const base = { name, field_id: id, repetition_type: required ? 'REQUIRED' : 'OPTIONAL' } as const;
  if (typeof type === 'string') return [primitiveElement(base, type, column)];
  if (type.type === 'struct') {
    // Parquet has no empty group: a struct without fields has nothing to write its nulls in.
    if (type.fields.length === 0) throw unsupported(column, 'a struct without fields has no Parquet shape');
    return [
      { ...base, num_children: type.fields.length },
      ...type.fields.flatMap((f) => typeElements(f.name, f.id, f.required, f.type, `${column}.${f.name}`)),
    ];
  }
  if (type.type === 'list') {
    return [
      { ...base, num_children: 1, converted_type: 'LIST', logical_type: { type: 'LIST' } },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      ...typeElements(
        'element',
        type['element-id'],
        type['element-required'],
        type.element,
        `${column}.element`,
      ),
    ];
  }
  return [
    { ...base, num_children: 1, converted_type: 'MAP', logical_type: { type: 'MAP' } },
    { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
    ...typeElements('key', type['key-id'], true, type.key, `${column}.key`),
    ...typeElements('value', type['value-id'], type['value-required'], type.value, `${column}.value`),
  ];
}

function unsupported(column: string, reason: string): IcebergError {
  return new IcebergError('unsupported', `column ${column}: ${reason}`, {
    details: { reason: 'unsupported_column', column },
  });
}

/** The Parquet leaf of a primitive Iceberg type (`base` names it and gives its id and repetition). */
function primitiveElement(
  base: Pick<PqElement, 'name' | 'field_id' | 'repetition_type'>,
  type: PrimitiveType,
  column: string,
): PqElement {
  const decimal = decimalParts(type);
  if (decimal) {
    const { precision, scale } = decimal;
    const annotation = {
      converted_type: 'DECIMAL' as const,
      scale,
      precision,
      logical_type: { type: 'DECIMAL' as const, scale, precision },
    };
    if (precision <= 9) return { ...base, type: 'INT32', ...annotation };
    if (precision <= 18) return { ...base, type: 'INT64', ...annotation };
    return { ...base, type: 'FIXED_LEN_BYTE_ARRAY', type_length: decimalBytes(precision), ...annotation };
  }
  const fixed = fixedLength(type);
  if (fixed !== undefined) return { ...base, type: 'FIXED_LEN_BYTE_ARRAY', type_length: fixed };
  switch (type) {
    case 'boolean':
      return { ...base, type: 'BOOLEAN' };
    case 'int':
      return { ...base, type: 'INT32' };
    case 'long':
      return { ...base, type: 'INT64' };
    case 'float':
      return { ...base, type: 'FLOAT' };
    case 'double':
      return { ...base, type: 'DOUBLE' };
    case 'date':
      return { ...base, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } };
    case 'time':
      return {
        ...base,
        type: 'INT64',
        converted_type: 'TIME_MICROS',
        logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' },
      };
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return { ...base, type: 'INT64', logical_type: timestampLogical(type) };
    case 'string':
      return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
    case 'uuid':
      return { ...base, type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, logical_type: { type: 'UUID' } };
    case 'binary':
      return { ...base, type: 'BYTE_ARRAY' };
    default:
      throw unsupported(column, `type ${type} cannot be compacted`);
  }
}

function timestampLogical(type: 'timestamp' | 'timestamptz' | 'timestamp_ns' | 'timestamptz_ns') {
  return {
    type: 'TIMESTAMP' as const,
    isAdjustedToUTC: type === 'timestamptz' || type === 'timestamptz_ns',
    unit: type.endsWith('_ns') ? ('NANOS' as const) : ('MICROS' as const),
  };
}

/** The fewest bytes whose two's complement holds every value of `precision` digits. */
function decimalBytes(precision: number): number {
  const max = 10n ** BigInt(precision) - 1n;
  let bytes = 1;
  while (2n ** BigInt(8 * bytes - 1) - 1n < max) bytes++;
  return bytes;
}

/** A copy of the file's metadata whose leaves carry only their physical types (see module doc). */
export function rawMetadata(metadata: FileMetaData): FileMetaData {
  const schema = metadata.schema.map((element) => {
    if (element.num_children !== undefined && element.num_children > 0) return element;
    const { converted_type: _c, logical_type: _l, scale: _s, precision: _p, ...raw } = element;
    return raw;
  });
  return { ...metadata, schema };
}

/** How a raw value of input leaf `source` becomes a value of the output column of type `target`. */
export function converter(source: PqElement, target: PrimitiveType, column: string): Convert {
  const unit = timeUnit(source);
  if (target === 'long') {
    if (source.type === 'INT32') {
      const unsigned = isUnsigned32(source);
      return (v) => (v == null ? null : BigInt(unsigned ? (v as number) >>> 0 : (v as number)));
    }
    return same;
  }
  if (target === 'double' || target === 'float' || target === 'int' || target === 'date') return same;
  if (target === 'time') return unit === 'MILLIS' ? scaleBy(1000n) : same;
  if (target === 'timestamp' || target === 'timestamptz') {
    if (source.type === 'INT96' || unit === 'NANOS') return divideBy(1000n);
    return unit === 'MILLIS' ? scaleBy(1000n) : same;
  }
  if (target === 'timestamp_ns' || target === 'timestamptz_ns') {
    if (unit === 'MILLIS') return scaleBy(1_000_000n);
    if (unit === 'MICROS') return scaleBy(1000n);
    return same;
  }
  if (decimalParts(target)) {
    if (source.type === 'INT32' || source.type === 'INT64')
      return (v) => (v == null ? null : BigInt(v as number));
    if (source.type === 'BYTE_ARRAY' || source.type === 'FIXED_LEN_BYTE_ARRAY') {
      return (v) => (v == null ? null : twosComplement(v as Uint8Array));
    }
    throw new IcebergError('unsupported', `column ${column}: ${source.type} is not a decimal`);
  }
  return same;
}

/** The conversion that keeps the value (undefined, a missing value, reads as null). */
export const same: Convert = (v) => (v === undefined ? null : v);
const scaleBy =
  (factor: bigint): Convert =>
  (v) =>
    v == null ? null : BigInt(v as number | bigint) * factor;
const divideBy =
  (divisor: bigint): Convert =>
  (v) => {
    if (v == null) return null;
    const n = BigInt(v as number | bigint);
    // Floor, not truncation: an instant before 1970 must not move forward.
    const q = n / divisor;
    return n < 0n && q * divisor !== n ? q - 1n : q;
  };

function twosComplement(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  const bits = BigInt(bytes.length * 8);
  return bytes.length > 0 && (bytes[0]! & 0x80) !== 0 ? value - (1n << bits) : value;
}

function timeUnit(element: PqElement): 'MILLIS' | 'MICROS' | 'NANOS' | undefined {
  const logical = element.logical_type;
  if (logical && (logical.type === 'TIMESTAMP' || logical.type === 'TIME')) return logical.unit;
  if (element.converted_type === 'TIMESTAMP_MILLIS' || element.converted_type === 'TIME_MILLIS')
    return 'MILLIS';
  if (element.converted_type === 'TIMESTAMP_MICROS' || element.converted_type === 'TIME_MICROS')
    return 'MICROS';
  return undefined;
}

function isUnsigned32(element: PqElement): boolean {
  const logical = element.logical_type;
  if (logical?.type === 'INTEGER') return !logical.isSigned;
  return element.converted_type === 'UINT_32';
}

/** A typed identity-partition value (`partitionValueFromPath`) as a raw output value. */
export function rawPartitionValue(value: unknown, target: PrimitiveType): RawValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return new TextEncoder().encode(value);
  if (target === 'long' || decimalParts(target)) return BigInt(value as number | bigint);
  return value as RawValue;
}
