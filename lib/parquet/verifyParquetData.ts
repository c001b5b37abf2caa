/**
 * Verifies a Parquet file's data pages, not only its footer, so a file every reader would fail
 * on is rejected at registration instead of breaking its whole table.
 *
 * What it checks, for every column chunk of every row group, in one forward pass over the file
 * (ranged reads of `windowBytes`, memory bounded by two windows plus one page):
 * - the chunk's byte range lies between the leading magic and the footer, chunks do not overlap;
 * - page headers decode one after the other up to exactly the chunk's end, each page's
 *   compressed bytes stay inside the chunk, sizes are within `MAX_PAGE_BYTES`;
 * - at most one dictionary page, and only first;
 * - the pages' CRC-32 matches where the header carries `crc`;
 * - every page decompresses with the chunk's codec to exactly its declared size (LZO: rejected;
 *   SNAPPY and LZ4_RAW followed tag by tag without writing the output, see `streamCheck`);
 * - the data pages' value counts add up to the chunk's `num_values`; for a flat column (no
 *   repeated ancestor: one value, null or not, per row) also to the row group's `num_rows`; for a
 *   repeated column a row has one or more values, so its pages must hold at least `num_rows`
 *   values, and exactly `num_rows` rows where all its pages are DATA_PAGE_V2 (which count rows).
 *
 * What it cannot see: the encoded values themselves are not decoded. Flipped bytes inside a page
 * written without CRC are caught only if the page then fails to decompress: always for GZIP (its
 * trailer has a checksum), often but not always for SNAPPY, LZ4, BROTLI and ZSTD without a frame
 * checksum, never for UNCOMPRESSED. Values that contradict the statistics, out-of-range
 * dictionary indexes or bad level encodings pass too. On Node before 22.15 ZSTD is decoded by
 * fzstd into a buffer of the declared size, so a page longer than declared is cut, not caught. Repetition
 * levels of DATA_PAGE (v1) pages are not decoded, so rows of repeated columns in v1 pages are
 * only bounded; page indexes and bloom filters (outside the chunks) are not read; a column chunk
 * kept in another file (`file_path`, which readers do not follow either) fails verification.
 */
import { crc32 } from 'node:zlib';
import { checkPageDecompresses } from './pageCodecs.js';
import { type PageHeader, decodePageHeader } from './pageHeader.js';
import { ParquetError } from './parquetError.js';
import type { ColumnChunk, ParquetFooter, SchemaElement } from './parquetFooter.js';
import { type ReadRange, StreamWindow } from './streamWindow.js';

/** A page (compressed or not) larger than this is refused: it would have to be held whole. */
export const MAX_PAGE_BYTES = 64 * 1024 * 1024;
/** Bytes of each ranged read; two are held at a time. */
export const VERIFY_WINDOW_BYTES = 8 * 1024 * 1024;
/** A page header is read with this many bytes first, more only when its statistics are long. */
const HEADER_PROBE_BYTES = 64 * 1024;
const MAX_HEADER_BYTES = 16 * 1024 * 1024;
const MAGIC_BYTES = 4;

export interface VerifyOptions {
  windowBytes?: number;
}

export interface VerifyReport {
  pages: number;
  /** Bytes fetched for the walk. */
  bytesRead: number;
}

interface Chunk {
  column: ColumnChunk;
  rowGroup: number;
  rows: number;
  start: number;
  end: number;
  repeated: boolean;
}

/** Walks every page of `footer`'s file through `read`; throws ParquetError on the first problem. */
export async function verifyParquetData(
  footer: ParquetFooter,
  fileSize: number,
  read: ReadRange,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const dataEnd = fileSize - 8 - footer.metadataLength;
  const chunks = chunksInFileOrder(footer, dataEnd);
  const first = chunks[0];
  if (!first) return { pages: 0, bytesRead: 0 };
  const window = new StreamWindow(read, chunks.at(-1)!.end, options.windowBytes ?? VERIFY_WINDOW_BYTES);
  let pages = 0;
  for (const chunk of chunks) pages += await verifyChunk(chunk, window);
  return { pages, bytesRead: window.fetched };
}

function chunksInFileOrder(footer: ParquetFooter, dataEnd: number): Chunk[] {
  const repeated = repeatedLeaves(footer.schema);
  const chunks = footer.rowGroups.flatMap((group, rowGroup) =>
    group.columns.map((column): Chunk => {
      const dictionary = column.dictionaryPageOffset;
      const start =
        dictionary !== undefined && dictionary > 0 && dictionary < column.dataPageOffset
          ? dictionary
          : column.dataPageOffset;
      const chunk = { column, rowGroup, rows: group.numRows, start, end: start + column.totalCompressedSize };
      return { ...chunk, repeated: repeated.has(column.path.join('.')) };
    }),
  );
  chunks.sort((a, b) => a.start - b.start);
  let previousEnd = MAGIC_BYTES;
  for (const chunk of chunks) {
    if (chunk.start < previousEnd || chunk.end > dataEnd) {
      const where =
        chunk.start < previousEnd
          ? `overlaps bytes before ${previousEnd}`
          : `ends past the data (byte ${dataEnd})`;
      throw corrupt(chunk, chunk.start, `column chunk at bytes ${chunk.start}-${chunk.end} ${where}`);
    }
    previousEnd = chunk.end;
  }
  return chunks;
}

/** Dotted paths of the leaves with a REPEATED element on their way from the root. */
function repeatedLeaves(schema: readonly SchemaElement[]): Set<string> {
  const out = new Set<string>();
  let index = 1;
  const walk = (path: string[], repeated: boolean): void => {
    const element = schema[index++];
    if (!element) return;
    const here = [...path, element.name];
    const isRepeated = repeated || element.repetition === 'REPEATED';
    const children = element.numChildren ?? 0;
    if (children === 0 && isRepeated) out.add(here.join('.'));
    for (let i = 0; i < children; i++) walk(here, isRepeated);
  };
  const rootChildren = schema[0]?.numChildren ?? 0;
  for (let i = 0; i < rootChildren; i++) walk([], false);
  return out;
}

/** Walks one chunk's pages; returns how many there were. */
async function verifyChunk(chunk: Chunk, window: StreamWindow): Promise<number> {
  let offset = chunk.start;
  let values = 0;
  let rows = 0;
  let v1Pages = 0;
  let pages = 0;
  while (offset < chunk.end) {
    const header = await readHeader(chunk, window, offset);
    const bodyStart = offset + header.headerLength;
    const bodyEnd = bodyStart + header.compressedSize;
    if (bodyEnd > chunk.end) {
      throw corrupt(
        chunk,
        offset,
        `page of ${header.compressedSize} bytes runs past the chunk end (byte ${chunk.end})`,
      );
    }
    if (header.type === 'DICTIONARY_PAGE' && pages > 0)
      throw corrupt(chunk, offset, 'dictionary page is not the first page');
    checkPage(chunk, offset, header, await window.bytes(bodyStart, header.compressedSize));
    if (header.type === 'DATA_PAGE' || header.type === 'DATA_PAGE_V2') {
      values += header.numValues;
      rows += header.numRows ?? 0;
      if (header.type === 'DATA_PAGE') v1Pages++;
    }
    pages++;
    offset = bodyEnd;
  }
  checkCounts(chunk, values, v1Pages === 0 ? rows : undefined);
  return pages;
}

async function readHeader(chunk: Chunk, window: StreamWindow, offset: number): Promise<PageHeader> {
  const available = chunk.end - offset;
  let length = Math.min(HEADER_PROBE_BYTES, available);
  for (;;) {
    try {
      return decodePageHeader(await window.bytes(offset, length));
    } catch (error) {
      if (error instanceof ParquetError) throw error;
      const ranOut = error instanceof RangeError || /runs past/.test(String(error));
      const most = Math.min(MAX_HEADER_BYTES, available);
      if (ranOut && length < most) {
        length = Math.min(most, length * 16);
        continue;
      }
      const why = ranOut ? 'runs past the chunk end' : `is invalid: ${(error as Error).message}`;
      throw corrupt(chunk, offset, `page header ${why}`);
    }
  }
}

/** CRC, size limits, and decompression of one page's bytes (`body`: everything after the header). */
function checkPage(chunk: Chunk, offset: number, header: PageHeader, body: Uint8Array): void {
  const biggest = Math.max(header.compressedSize, header.uncompressedSize);
  if (biggest > MAX_PAGE_BYTES) {
    throw new ParquetError(
      'too_large',
      `column ${JSON.stringify(chunk.column.path.join('.'))} has a page of ${biggest} bytes at byte ${offset}; ` +
        `astha verifies pages of up to ${MAX_PAGE_BYTES} bytes (write smaller pages)`,
      { details: { offset, bytes: biggest, limit: MAX_PAGE_BYTES } },
    );
  }
  if (header.crc !== undefined && crc32(body) >>> 0 !== header.crc) {
    throw corrupt(chunk, offset, 'page CRC-32 does not match its bytes');
  }
  if (header.type === 'INDEX_PAGE') return;
  const levels = header.levelsBytes ?? 0;
  if (levels > header.compressedSize || levels > header.uncompressedSize) {
    throw corrupt(chunk, offset, `level bytes (${levels}) exceed the page size`);
  }
  const codec = header.isCompressed === false ? 'UNCOMPRESSED' : chunk.column.codec;
  const expected = header.uncompressedSize - levels;
  if (codec === 'UNCOMPRESSED' && header.compressedSize !== header.uncompressedSize) {
    throw corrupt(
      chunk,
      offset,
      `uncompressed page of ${header.compressedSize} bytes says it holds ${header.uncompressedSize}`,
    );
  }
  try {
    checkPageDecompresses(codec, body.subarray(levels), expected);
  } catch (error) {
    if (error instanceof ParquetError && error.code === 'corrupt_data')
      throw corrupt(chunk, offset, error.message);
    throw error;
  }
}

function checkCounts(chunk: Chunk, values: number, v2Rows: number | undefined): void {
  const { column, rows } = chunk;
  if (values !== column.numValues) {
    throw corrupt(
      chunk,
      chunk.start,
      `data pages hold ${values} values, the footer says ${column.numValues}`,
    );
  }
  if (!chunk.repeated && values !== rows) {
    throw corrupt(chunk, chunk.start, `data pages hold ${values} values for ${rows} rows`);
  }
  if (chunk.repeated && (values < rows || (v2Rows !== undefined && v2Rows !== rows))) {
    const held = v2Rows === undefined ? `${values} values` : `${v2Rows} rows`;
    throw corrupt(chunk, chunk.start, `data pages hold ${held} for ${rows} rows`);
  }
}

function corrupt(chunk: Chunk, offset: number, what: string): ParquetError {
  const column = JSON.stringify(chunk.column.path.join('.'));
  return new ParquetError(
    'corrupt_data',
    `corrupt Parquet data in column ${column} (row group ${chunk.rowGroup}) at byte ${offset}: ${what}`,
    { details: { column: chunk.column.path, rowGroup: chunk.rowGroup, offset } },
  );
}
