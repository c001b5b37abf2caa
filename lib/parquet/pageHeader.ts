/**
 * Decodes a Parquet PageHeader (parquet.thrift), keeping what data verification needs: the
 * page type, its sizes, CRC and value/row counts. Statistics and encodings are skipped.
 */
import { ThriftReader, ThriftType } from './thriftReader.js';

export type PageType = 'DATA_PAGE' | 'INDEX_PAGE' | 'DICTIONARY_PAGE' | 'DATA_PAGE_V2';
const PAGE_TYPES: readonly PageType[] = ['DATA_PAGE', 'INDEX_PAGE', 'DICTIONARY_PAGE', 'DATA_PAGE_V2'];

export interface PageHeader {
  type: PageType;
  uncompressedSize: number;
  compressedSize: number;
  /** CRC-32 of the page's bytes after the header, when the writer stored one (as unsigned). */
  crc?: number;
  /** Values (nulls included) of a data page, entries of a dictionary page. */
  numValues: number;
  /** DATA_PAGE_V2 only: rows, and the level bytes that precede the (compressed) values. */
  numRows?: number;
  levelsBytes?: number;
  /** DATA_PAGE_V2 only: whether the values section is compressed (default true). */
  isCompressed?: boolean;
  /** Bytes the header itself takes. */
  headerLength: number;
}

const isInt = (type: ThriftType): boolean =>
  type === ThriftType.I32 || type === ThriftType.I64 || type === ThriftType.I16 || type === ThriftType.Byte;

/**
 * Decodes the header at the start of `bytes`. Throws (RangeError or ThriftError) when the
 * bytes end inside it, and Error naming the field when a required field is missing or bad.
 */
export function decodePageHeader(bytes: Uint8Array): PageHeader {
  const r = new ThriftReader(bytes);
  let type: number | undefined;
  let uncompressedSize: number | undefined;
  let compressedSize: number | undefined;
  let crc: number | undefined;
  let counts: Partial<PageHeader> = {};
  r.struct((id, fieldType) => {
    if (id >= 1 && id <= 4 && isInt(fieldType)) {
      const value = r.int(fieldType);
      if (id === 1) type = value;
      else if (id === 2) uncompressedSize = value;
      else if (id === 3) compressedSize = value;
      else crc = value >>> 0;
    } else if ((id === 5 || id === 7) && fieldType === ThriftType.Struct) counts = valueCount(r);
    else if (id === 8 && fieldType === ThriftType.Struct) counts = dataPageV2(r);
    else r.skip(fieldType);
  });
  const pageType = type === undefined ? undefined : PAGE_TYPES[type];
  if (!pageType) throw new Error(`page type ${type ?? 'missing'}`);
  if (uncompressedSize === undefined || uncompressedSize < 0) {
    throw new Error(`uncompressed_page_size ${uncompressedSize ?? 'missing'}`);
  }
  if (compressedSize === undefined || compressedSize < 0) {
    throw new Error(`compressed_page_size ${compressedSize ?? 'missing'}`);
  }
  if (pageType !== 'INDEX_PAGE' && counts.numValues === undefined) {
    throw new Error(`${pageType} without its ${pageType.toLowerCase()}_header`);
  }
  return {
    type: pageType,
    uncompressedSize,
    compressedSize,
    ...(crc === undefined ? {} : { crc }),
    numValues: 0,
    ...counts,
    headerLength: r.position,
  };
}

/** DataPageHeader and DictionaryPageHeader both start with num_values (field 1). */
function valueCount(r: ThriftReader): Partial<PageHeader> {
  let numValues: number | undefined;
  r.struct((id, type) => {
    if (id === 1 && isInt(type)) numValues = r.int(type);
    else r.skip(type);
  });
  if (numValues === undefined || numValues < 0) throw new Error(`num_values ${numValues ?? 'missing'}`);
  return { numValues };
}

function dataPageV2(r: ThriftReader): Partial<PageHeader> {
  const ints: Record<number, number> = {};
  let isCompressed = true;
  r.struct((id, type) => {
    if (isInt(type) && (id === 1 || id === 3 || id === 5 || id === 6)) ints[id] = r.int(type);
    else if (id === 7 && (type === ThriftType.True || type === ThriftType.False)) isCompressed = r.bool(type);
    else r.skip(type);
  });
  const [numValues, numRows, definition, repetition] = [ints[1], ints[3], ints[5], ints[6]];
  for (const [name, value] of Object.entries({ numValues, numRows, definition, repetition })) {
    if (value === undefined || value < 0) throw new Error(`data page v2 ${name} ${value ?? 'missing'}`);
  }
  return {
    numValues: numValues!,
    numRows: numRows!,
    levelsBytes: definition! + repetition!,
    isCompressed,
  };
}
