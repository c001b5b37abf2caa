/**
 * Reads and decodes a Parquet footer (`<FileMetaData> <4-byte length> "PAR1"` at the end of
 * the file) through a hyparquet `AsyncBuffer`, so only the footer's bytes are fetched.
 *
 * The Thrift compact decoding is hyparquet's; the interpretation of the Thrift fields is ours
 * because we need the statistics' raw bytes (hyparquet's converted min/max turn decimals into
 * floats) and only a small part of the metadata. Field numbers are those of parquet.thrift.
 */
import type { AsyncBuffer } from 'hyparquet';
import { ConvertedTypes, FieldRepetitionTypes, ParquetTypes } from 'hyparquet/src/constants.js';
import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import { ParquetError } from './parquetError.js';

/** One ranged read of this size covers the footer of nearly every file; bigger ones need a second. */
export const FOOTER_FETCH_BYTES = 64 * 1024;
const MAGIC = 'PAR1';
/** Leading magic + footer length + trailing magic. */
const MIN_FILE_BYTES = 12;

export type PhysicalType =
  | 'BOOLEAN'
  | 'INT32'
  | 'INT64'
  | 'INT96'
  | 'FLOAT'
  | 'DOUBLE'
  | 'BYTE_ARRAY'
  | 'FIXED_LEN_BYTE_ARRAY';
export type Repetition = 'REQUIRED' | 'OPTIONAL' | 'REPEATED';
export type TimeUnit = 'MILLIS' | 'MICROS' | 'NANOS';

export type LogicalType =
  | { type: 'DECIMAL'; scale: number; precision: number }
  | { type: 'TIME' | 'TIMESTAMP'; isAdjustedToUTC: boolean; unit: TimeUnit }
  | { type: 'INTEGER'; bitWidth: number; isSigned: boolean }
  | { type: (typeof SIMPLE_LOGICAL_TYPES)[number] }
  /** A union member this reader does not know (a newer format version). */
  | { type: 'UNRECOGNISED'; id: number };

export interface SchemaElement {
  name: string;
  type?: PhysicalType;
  typeLength?: number;
  repetition?: Repetition;
  numChildren?: number;
  /** Legacy annotation, e.g. `UTF8`, `DECIMAL`, `UINT_64`; `UNRECOGNISED_<n>` if unknown. */
  convertedType?: string;
  scale?: number;
  precision?: number;
  fieldId?: number;
  logicalType?: LogicalType;
}

export interface ColumnStatistics {
  /** Legacy, written with signed comparison whatever the type. */
  min?: Uint8Array;
  max?: Uint8Array;
  /** Written with the column's type-defined order. */
  minValue?: Uint8Array;
  maxValue?: Uint8Array;
  nullCount?: number;
}

export interface ColumnChunk {
  path: string[];
  numValues: number;
  totalCompressedSize: number;
  dataPageOffset: number;
  dictionaryPageOffset?: number;
  statistics?: ColumnStatistics;
}

export interface RowGroup {
  columns: ColumnChunk[];
  numRows: number;
}

export interface ParquetFooter {
  schema: SchemaElement[];
  numRows: number;
  rowGroups: RowGroup[];
  createdBy?: string;
  /** Per leaf column: whether min_value/max_value follow the type-defined order (absent = unknown). */
  typeDefinedOrder?: boolean[];
  /** Bytes of the Thrift FileMetaData. */
  metadataLength: number;
}

const SIMPLE_LOGICAL_TYPES = [
  'STRING',
  'MAP',
  'LIST',
  'ENUM',
  'DATE',
  'UNKNOWN',
  'JSON',
  'BSON',
  'UUID',
  'FLOAT16',
  'VARIANT',
  'GEOMETRY',
  'GEOGRAPHY',
] as const;
/** LogicalType union member ids of parquet.thrift for the parameterless types above. */
const SIMPLE_LOGICAL_IDS: Record<number, (typeof SIMPLE_LOGICAL_TYPES)[number]> = {
  1: 'STRING',
  2: 'MAP',
  3: 'LIST',
  4: 'ENUM',
  6: 'DATE',
  11: 'UNKNOWN',
  12: 'JSON',
  13: 'BSON',
  14: 'UUID',
  15: 'FLOAT16',
  16: 'VARIANT',
  17: 'GEOMETRY',
  18: 'GEOGRAPHY',
};

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder();

/** Fetches the footer bytes (one ranged read, two for a footer above 64 KiB) and decodes them. */
export async function readParquetFooter(file: AsyncBuffer): Promise<ParquetFooter> {
  const size = file.byteLength;
  if (size === 0) throw new ParquetError('empty_file', 'empty file: 0 bytes, not a Parquet file');
  const tailStart = Math.max(0, size - FOOTER_FETCH_BYTES);
  const tail = new Uint8Array(await file.slice(tailStart, size));
  await checkMagic(file, tail, tailStart === 0);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  const metadataLength = view.getUint32(tail.length - 8, true);
  if (metadataLength > size - MIN_FILE_BYTES) {
    throw new ParquetError(
      'footer_out_of_range',
      `Parquet footer length ${metadataLength} is past the file: the file has ${size} bytes, ` +
        `so at most ${size - MIN_FILE_BYTES} can be footer`,
      { details: { metadataLength, size } },
    );
  }
  const metadataStart = size - 8 - metadataLength;
  const footer =
    metadataStart >= tailStart
      ? tail.subarray(metadataStart - tailStart, tail.length - 8)
      : concat(new Uint8Array(await file.slice(metadataStart, tailStart)), tail.subarray(0, tail.length - 8));
  return decodeFooter(footer);
}

async function checkMagic(file: AsyncBuffer, tail: Uint8Array, wholeFile: boolean): Promise<void> {
  const size = file.byteLength;
  const trailing = tail.length >= 4 ? latin1.decode(tail.subarray(tail.length - 4)) : '';
  if (trailing === MAGIC && size >= MIN_FILE_BYTES) return;
  // Only on the failure path: look at the head to tell a cut-off Parquet file from another format.
  const head = wholeFile ? tail.subarray(0, 4) : new Uint8Array(await file.slice(0, 4));
  const leading = latin1.decode(head);
  if (leading === MAGIC) {
    const why =
      trailing === MAGIC
        ? `${size} bytes, a Parquet file has at least ${MIN_FILE_BYTES}`
        : `starts with "PAR1" but the trailing magic is ${JSON.stringify(trailing)}`;
    throw new ParquetError('truncated', `Parquet file is truncated: ${why}`, { details: { size } });
  }
  if (trailing === 'PARE') {
    throw new ParquetError('not_parquet', 'encrypted Parquet footers ("PARE") are not supported');
  }
  throw new ParquetError(
    'not_parquet',
    size < 4
      ? `not a Parquet file: ${size} bytes, too short for the "PAR1" magic`
      : `not a Parquet file: trailing magic is ${JSON.stringify(trailing)}, expected "PAR1"`,
    { details: { size, trailing } },
  );
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

type Thrift = Record<string, unknown>;

function corrupt(what: string, value: unknown): never {
  const shown = value instanceof Uint8Array ? `${value.length} bytes` : String(value);
  throw new ParquetError('corrupt_footer', `corrupt Parquet footer: ${what} is ${shown}`);
}

function get(obj: Thrift, id: number): unknown {
  return obj[`field_${id}`];
}

function optNumber(obj: Thrift, id: number, what: string): number | undefined {
  const value = get(obj, id);
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  if (
    typeof value === 'bigint' &&
    value >= BigInt(Number.MIN_SAFE_INTEGER) &&
    value <= BigInt(Number.MAX_SAFE_INTEGER)
  ) {
    return Number(value);
  }
  return corrupt(what, value);
}

function number(obj: Thrift, id: number, what: string): number {
  const value = optNumber(obj, id, what);
  return value === undefined ? corrupt(what, 'missing') : value;
}

function optBytes(obj: Thrift, id: number, what: string): Uint8Array | undefined {
  const value = get(obj, id);
  if (value === undefined || value instanceof Uint8Array) return value;
  return corrupt(what, value);
}

function isStruct(value: unknown): value is Thrift {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function optStruct(obj: Thrift, id: number, what: string): Thrift | undefined {
  const value = get(obj, id);
  if (value === undefined || isStruct(value)) return value;
  return corrupt(what, value);
}

function list(obj: Thrift, id: number, what: string): unknown[] {
  const value = get(obj, id);
  if (value === undefined) return [];
  return Array.isArray(value) ? value : corrupt(what, value);
}

function structs(obj: Thrift, id: number, what: string): Thrift[] {
  return list(obj, id, what).map((item) => (isStruct(item) ? item : corrupt(what, item)));
}

function enumName<T extends string>(
  names: readonly T[],
  index: number | undefined,
  what: string,
): T | undefined {
  if (index === undefined) return undefined;
  return names[index] ?? corrupt(what, index);
}

/** Decodes the Thrift FileMetaData. Any structural problem becomes ParquetError `corrupt_footer`. */
export function decodeFooter(bytes: Uint8Array): ParquetFooter {
  let meta: Thrift;
  try {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    meta = deserializeTCompactProtocol({ view, offset: 0 });
  } catch (cause) {
    throw new ParquetError('corrupt_footer', `corrupt Parquet footer: ${(cause as Error).message}`, {
      cause,
    });
  }
  const schema = structs(meta, 2, 'schema').map(schemaElement);
  if (schema.length === 0) corrupt('schema', 'empty');
  const createdBy = optBytes(meta, 6, 'created_by');
  const orders = get(meta, 7) === undefined ? undefined : structs(meta, 7, 'column_orders');
  return {
    schema,
    numRows: number(meta, 3, 'num_rows'),
    rowGroups: structs(meta, 4, 'row_groups').map(rowGroup),
    ...(createdBy ? { createdBy: utf8.decode(createdBy) } : {}),
    ...(orders ? { typeDefinedOrder: orders.map((order) => get(order, 1) !== undefined) } : {}),
    metadataLength: bytes.length,
  };
}

function schemaElement(raw: Thrift): SchemaElement {
  const name = optBytes(raw, 4, 'schema element name');
  if (!name) corrupt('schema element name', 'missing');
  const convertedIndex = optNumber(raw, 6, 'converted_type');
  const logical = optStruct(raw, 10, 'logicalType');
  const element: SchemaElement = {
    name: utf8.decode(name),
    type: enumName(ParquetTypes, optNumber(raw, 1, 'type'), 'type'),
    typeLength: optNumber(raw, 2, 'type_length'),
    repetition: enumName(FieldRepetitionTypes, optNumber(raw, 3, 'repetition_type'), 'repetition_type'),
    numChildren: optNumber(raw, 5, 'num_children'),
    convertedType:
      convertedIndex === undefined
        ? undefined
        : (ConvertedTypes[convertedIndex] ?? `UNRECOGNISED_${convertedIndex}`),
    scale: optNumber(raw, 7, 'scale'),
    precision: optNumber(raw, 8, 'precision'),
    fieldId: optNumber(raw, 9, 'field_id'),
    logicalType: logical ? logicalType(logical) : undefined,
  };
  return element;
}

function timeUnit(raw: Thrift): TimeUnit {
  const unit = optStruct(raw, 2, 'time unit') ?? corrupt('time unit', 'missing');
  if (get(unit, 1) !== undefined) return 'MILLIS';
  if (get(unit, 2) !== undefined) return 'MICROS';
  if (get(unit, 3) !== undefined) return 'NANOS';
  return corrupt('time unit', JSON.stringify(Object.keys(unit)));
}

function logicalType(raw: Thrift): LogicalType {
  const id = Number(Object.keys(raw)[0]?.slice('field_'.length));
  const simple = SIMPLE_LOGICAL_IDS[id];
  if (simple) return { type: simple };
  const body = optStruct(raw, id, 'logicalType') ?? {};
  switch (id) {
    case 5:
      return {
        type: 'DECIMAL',
        scale: number(body, 1, 'decimal scale'),
        precision: number(body, 2, 'decimal precision'),
      };
    case 7:
    case 8:
      return {
        type: id === 7 ? 'TIME' : 'TIMESTAMP',
        isAdjustedToUTC: get(body, 1) === true,
        unit: timeUnit(body),
      };
    case 10:
      return {
        type: 'INTEGER',
        bitWidth: number(body, 1, 'integer bit width'),
        isSigned: get(body, 2) === true,
      };
    default:
      return { type: 'UNRECOGNISED', id };
  }
}

function rowGroup(raw: Thrift): RowGroup {
  return {
    columns: structs(raw, 1, 'row group columns').map(columnChunk),
    numRows: number(raw, 3, 'row group num_rows'),
  };
}

function columnChunk(raw: Thrift): ColumnChunk {
  const meta =
    optStruct(raw, 3, 'column meta_data') ?? corrupt('column meta_data', 'missing (encrypted column?)');
  const path = list(meta, 3, 'path_in_schema').map((part) =>
    part instanceof Uint8Array ? utf8.decode(part) : corrupt('path_in_schema', part),
  );
  const stats = optStruct(meta, 12, 'statistics');
  const dictionaryPageOffset = optNumber(meta, 11, 'dictionary_page_offset');
  return {
    path,
    numValues: number(meta, 5, 'num_values'),
    totalCompressedSize: number(meta, 7, 'total_compressed_size'),
    dataPageOffset: number(meta, 9, 'data_page_offset'),
    ...(dictionaryPageOffset === undefined ? {} : { dictionaryPageOffset }),
    ...(stats ? { statistics: statistics(stats) } : {}),
  };
}

function statistics(raw: Thrift): ColumnStatistics {
  // Absent fields stay as undefined properties: deleting them would slow every later access.
  return {
    max: optBytes(raw, 1, 'statistics max'),
    min: optBytes(raw, 2, 'statistics min'),
    nullCount: optNumber(raw, 3, 'statistics null_count'),
    maxValue: optBytes(raw, 5, 'statistics max_value'),
    minValue: optBytes(raw, 6, 'statistics min_value'),
  };
}
