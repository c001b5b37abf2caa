/**
 * Reads and decodes a Parquet footer (`<FileMetaData> <4-byte length> "PAR1"` at the end of
 * the file) through a hyparquet `AsyncBuffer`, so only the footer's bytes are fetched.
 *
 * The footer is decoded here rather than by hyparquet's `parquetMetadata` because inspection
 * needs the statistics' raw bytes (hyparquet converts min/max, turning decimals into floats)
 * and only a small part of the metadata, which a skipping reader gets several times faster.
 * Field numbers are those of parquet.thrift.
 */
import type { AsyncBuffer } from 'hyparquet';
import { ConvertedTypes, FieldRepetitionTypes, ParquetTypes } from 'hyparquet/src/constants.js';
import { ParquetError } from './parquetError.js';
import { ThriftReader, ThriftType } from './thriftReader.js';

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

/** parquet.thrift CompressionCodec, by enum value. */
export const CODEC_NAMES = [
  'UNCOMPRESSED',
  'SNAPPY',
  'GZIP',
  'LZO',
  'BROTLI',
  'LZ4',
  'ZSTD',
  'LZ4_RAW',
] as const;
export type CodecName = (typeof CODEC_NAMES)[number];

export interface ColumnChunk {
  path: string[];
  codec: CodecName;
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

/**
 * A footer longer than this is refused before it is read: decoding allocates in proportion to
 * it, and one file must not make registration (512 MB in Lambda) run out of memory. Real footers
 * are far smaller (1,000 columns × 100 row groups is about 10 MiB).
 */
export const MAX_FOOTER_BYTES = 64 * 1024 * 1024;

/**
 * Fetches the footer bytes (one ranged read of the tail, a second for a footer above 64 KiB,
 * and the first 4 bytes, read alongside the tail when the tail does not cover them) and decodes them.
 */
export async function readParquetFooter(file: AsyncBuffer): Promise<ParquetFooter> {
  const size = file.byteLength;
  if (size === 0) throw new ParquetError('empty_file', 'empty file: 0 bytes, not a Parquet file');
  const tailStart = Math.max(0, size - FOOTER_FETCH_BYTES);
  const [tailBuffer, headBuffer] = await Promise.all([
    file.slice(tailStart, size),
    tailStart === 0 ? undefined : file.slice(0, Math.min(4, size)),
  ]);
  const tail = new Uint8Array(tailBuffer);
  const head = headBuffer ? new Uint8Array(headBuffer) : tail.subarray(0, 4);
  checkMagic(size, head, tail);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  const metadataLength = view.getUint32(tail.length - 8, true);
  checkFooterLength(metadataLength, size);
  const metadataStart = size - 8 - metadataLength;
  const footer =
    metadataStart >= tailStart
      ? tail.subarray(metadataStart - tailStart, tail.length - 8)
      : concat(new Uint8Array(await file.slice(metadataStart, tailStart)), tail.subarray(0, tail.length - 8));
  return decodeFooter(footer);
}

function checkFooterLength(metadataLength: number, size: number): void {
  if (metadataLength > size - MIN_FILE_BYTES) {
    throw new ParquetError(
      'footer_out_of_range',
      `Parquet footer length ${metadataLength} is past the file: the file has ${size} bytes, ` +
        `so at most ${size - MIN_FILE_BYTES} can be footer`,
      { details: { metadataLength, size } },
    );
  }
  if (metadataLength > MAX_FOOTER_BYTES) {
    throw new ParquetError(
      'too_large',
      `Parquet footer of ${metadataLength} bytes is above the ${MAX_FOOTER_BYTES}-byte limit for one file; ` +
        'it was not read (write fewer row groups or columns per file)',
      { details: { metadataLength, limit: MAX_FOOTER_BYTES } },
    );
  }
}

function checkMagic(size: number, head: Uint8Array, tail: Uint8Array): void {
  const trailing = tail.length >= 4 ? latin1.decode(tail.subarray(tail.length - 4)) : '';
  const leading = latin1.decode(head);
  if (trailing === MAGIC && leading === MAGIC && size >= MIN_FILE_BYTES) return;
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
      : trailing === MAGIC
        ? `not a Parquet file: it ends with "PAR1" but starts with ${JSON.stringify(leading)}`
        : `not a Parquet file: trailing magic is ${JSON.stringify(trailing)}, expected "PAR1"`,
    { details: { size, trailing, leading } },
  );
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function corrupt(what: string, value: unknown): never {
  const shown = value instanceof Uint8Array ? `${value.length} bytes` : String(value);
  throw new ParquetError('corrupt_footer', `corrupt Parquet footer: ${what} is ${shown}`);
}

function enumName<T extends string>(names: readonly T[], index: number, what: string): T {
  return names[index] ?? corrupt(what, index);
}

const isInt = (type: ThriftType): boolean =>
  type === ThriftType.I32 || type === ThriftType.I64 || type === ThriftType.I16 || type === ThriftType.Byte;

/**
 * Decodes the Thrift FileMetaData, keeping only what inspection needs. Any structural problem
 * becomes ParquetError `corrupt_footer`; a field of an unexpected Thrift type counts as absent.
 */
export function decodeFooter(bytes: Uint8Array): ParquetFooter {
  try {
    return fileMetaData(new ThriftReader(bytes), bytes.length);
  } catch (cause) {
    if (cause instanceof ParquetError) throw cause;
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new ParquetError('corrupt_footer', `corrupt Parquet footer: ${message}`, { cause });
  }
}

function fileMetaData(r: ThriftReader, metadataLength: number): ParquetFooter {
  let schema: SchemaElement[] = [];
  let numRows: number | undefined;
  let rowGroups: RowGroup[] = [];
  let createdBy: string | undefined;
  let typeDefinedOrder: boolean[] | undefined;
  r.struct((id, type) => {
    if (id === 2 && type === ThriftType.List) schema = r.list((t) => structOf(r, t, 'schema', schemaElement));
    else if (id === 3 && isInt(type)) numRows = r.int(type);
    else if (id === 4 && type === ThriftType.List)
      rowGroups = r.list((t) => structOf(r, t, 'row group', rowGroup));
    else if (id === 6 && type === ThriftType.Binary) createdBy = utf8.decode(r.binary());
    else if (id === 7 && type === ThriftType.List)
      typeDefinedOrder = r.list((t) => structOf(r, t, 'column order', columnOrder));
    else r.skip(type);
  });
  if (schema.length === 0) corrupt('schema', 'empty');
  if (numRows === undefined) corrupt('num_rows', 'missing');
  checkRowCounts(numRows, rowGroups);
  return {
    schema,
    numRows,
    rowGroups,
    ...(createdBy === undefined ? {} : { createdBy }),
    ...(typeDefinedOrder === undefined ? {} : { typeDefinedOrder }),
    metadataLength,
  };
}

/** A negative count, or one its row groups do not add up to, would be committed as the file's rows. */
function checkRowCounts(numRows: number, rowGroups: readonly RowGroup[]): void {
  if (numRows < 0) corrupt('num_rows', numRows);
  let sum = 0;
  for (const group of rowGroups) {
    if (group.numRows < 0) corrupt('row group num_rows', group.numRows);
    sum += group.numRows;
  }
  if (sum !== numRows) {
    throw new ParquetError(
      'corrupt_footer',
      `corrupt Parquet footer: num_rows is ${numRows} but its ${rowGroups.length} row group(s) hold ${sum}`,
      { details: { numRows, rowGroupRows: sum } },
    );
  }
}

function structOf<T>(r: ThriftReader, type: ThriftType, what: string, read: (r: ThriftReader) => T): T {
  if (type !== ThriftType.Struct) corrupt(`${what} entry`, `Thrift type ${type}`);
  return read(r);
}

/** ColumnOrder is a union whose member 1 is TypeDefinedOrder. */
function columnOrder(r: ThriftReader): boolean {
  let typeDefined = false;
  r.struct((id, type) => {
    if (id === 1) typeDefined = true;
    r.skip(type);
  });
  return typeDefined;
}

function schemaElement(r: ThriftReader): SchemaElement {
  const element: SchemaElement = { name: '' };
  let named = false;
  r.struct((id, type) => {
    if (id === 4 && type === ThriftType.Binary) {
      element.name = utf8.decode(r.binary());
      named = true;
    } else if (id === 10 && type === ThriftType.Struct) {
      element.logicalType = logicalType(r);
    } else if (id >= 1 && id <= 9 && isInt(type)) {
      const value = r.int(type);
      if (id === 1) element.type = enumName(ParquetTypes, value, 'type');
      else if (id === 2) element.typeLength = value;
      else if (id === 3) element.repetition = enumName(FieldRepetitionTypes, value, 'repetition_type');
      else if (id === 5) element.numChildren = value;
      else if (id === 6) element.convertedType = ConvertedTypes[value] ?? `UNRECOGNISED_${value}`;
      else if (id === 7) element.scale = value;
      else if (id === 8) element.precision = value;
      else if (id === 9) element.fieldId = value;
    } else {
      r.skip(type);
    }
  });
  if (!named) corrupt('schema element name', 'missing');
  return element;
}

/** LogicalType is a union: exactly one member struct, identified by its field id. */
function logicalType(r: ThriftReader): LogicalType {
  let result: LogicalType | undefined;
  r.struct((id, type) => {
    if (type !== ThriftType.Struct) {
      r.skip(type);
      return;
    }
    const simple = SIMPLE_LOGICAL_IDS[id];
    if (simple) {
      r.skip(type);
      result = { type: simple };
    } else if (id === 5) result = decimalLogical(r);
    else if (id === 7 || id === 8) result = timeLogical(r, id === 7 ? 'TIME' : 'TIMESTAMP');
    else if (id === 10) result = integerLogical(r);
    else {
      r.skip(type);
      result = { type: 'UNRECOGNISED', id };
    }
  });
  return result ?? corrupt('logicalType', 'empty');
}

function decimalLogical(r: ThriftReader): LogicalType {
  let scale: number | undefined;
  let precision: number | undefined;
  r.struct((id, type) => {
    if (id === 1 && isInt(type)) scale = r.int(type);
    else if (id === 2 && isInt(type)) precision = r.int(type);
    else r.skip(type);
  });
  if (scale === undefined || precision === undefined) corrupt('decimal logical type', 'incomplete');
  return { type: 'DECIMAL', scale, precision };
}

function timeLogical(r: ThriftReader, type: 'TIME' | 'TIMESTAMP'): LogicalType {
  let isAdjustedToUTC = false;
  let unit: TimeUnit | undefined;
  r.struct((id, fieldType) => {
    if (id === 1 && (fieldType === ThriftType.True || fieldType === ThriftType.False)) {
      isAdjustedToUTC = r.bool(fieldType);
    } else if (id === 2 && fieldType === ThriftType.Struct) {
      r.struct((unitId, unitType) => {
        r.skip(unitType);
        unit =
          unitId === 1
            ? 'MILLIS'
            : unitId === 2
              ? 'MICROS'
              : unitId === 3
                ? 'NANOS'
                : corrupt('time unit', unitId);
      });
    } else r.skip(fieldType);
  });
  if (unit === undefined) corrupt('time unit', 'missing');
  return { type, isAdjustedToUTC, unit };
}

function integerLogical(r: ThriftReader): LogicalType {
  let bitWidth: number | undefined;
  let isSigned = false;
  r.struct((id, type) => {
    if (id === 1 && isInt(type)) bitWidth = r.int(type);
    else if (id === 2 && (type === ThriftType.True || type === ThriftType.False)) isSigned = r.bool(type);
    else r.skip(type);
  });
  if (bitWidth === undefined) corrupt('integer bit width', 'missing');
  return { type: 'INTEGER', bitWidth, isSigned };
}

function rowGroup(r: ThriftReader): RowGroup {
  let columns: ColumnChunk[] = [];
  let numRows: number | undefined;
  r.struct((id, type) => {
    if (id === 1 && type === ThriftType.List)
      columns = r.list((t) => structOf(r, t, 'column chunk', columnChunk));
    else if (id === 3 && isInt(type)) numRows = r.int(type);
    else r.skip(type);
  });
  if (numRows === undefined) corrupt('row group num_rows', 'missing');
  return { columns, numRows };
}

function columnChunk(r: ThriftReader): ColumnChunk {
  let chunk: ColumnChunk | undefined;
  r.struct((id, type) => {
    if (id === 3 && type === ThriftType.Struct) chunk = columnMetaData(r);
    else r.skip(type);
  });
  return chunk ?? corrupt('column meta_data', 'missing (encrypted column?)');
}

function columnMetaData(r: ThriftReader): ColumnChunk {
  const chunk: ColumnChunk = {
    path: [],
    codec: 'UNCOMPRESSED',
    numValues: -1,
    totalCompressedSize: -1,
    dataPageOffset: -1,
  };
  r.struct((id, type) => {
    if (id === 3 && type === ThriftType.List) {
      chunk.path = r.list((t) =>
        t === ThriftType.Binary ? utf8.decode(r.binary()) : corrupt('path_in_schema', t),
      );
    } else if (id === 12 && type === ThriftType.Struct) {
      chunk.statistics = statistics(r);
    } else if (isInt(type) && (id === 4 || id === 5 || id === 7 || id === 9 || id === 11)) {
      const value = r.int(type);
      if (id === 4) chunk.codec = enumName(CODEC_NAMES, value, 'codec');
      else if (id === 5) chunk.numValues = value;
      else if (id === 7) chunk.totalCompressedSize = value;
      else if (id === 9) chunk.dataPageOffset = value;
      else chunk.dictionaryPageOffset = value;
    } else {
      r.skip(type);
    }
  });
  if (chunk.numValues < 0) corrupt('num_values', chunk.numValues === -1 ? 'missing' : chunk.numValues);
  if (chunk.totalCompressedSize < 0) corrupt('total_compressed_size', 'missing');
  if (chunk.dataPageOffset < 0) corrupt('data_page_offset', 'missing');
  return chunk;
}

function statistics(r: ThriftReader): ColumnStatistics {
  const stats: ColumnStatistics = {};
  r.struct((id, type) => {
    if (type === ThriftType.Binary && (id === 1 || id === 2 || id === 5 || id === 6)) {
      const value = r.binary();
      if (id === 1) stats.max = value;
      else if (id === 2) stats.min = value;
      else if (id === 5) stats.maxValue = value;
      else stats.minValue = value;
    } else if (id === 3 && isInt(type)) {
      stats.nullCount = r.int(type);
    } else {
      r.skip(type);
    }
  });
  return stats;
}
