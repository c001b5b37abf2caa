/**
 * The page decompressors astha uses wherever it decodes Parquet pages: registration's data
 * verification and the compactor's reads (hyparquet `compressors`). One table, so every codec
 * registration accepts is one the compactor can read.
 *
 * GZIP and BROTLI go through node:zlib (native, several times faster than pure JavaScript, and
 * able to stop at an output limit); ZSTD, LZ4 and LZ4_RAW through hyparquet-compressors (fzstd
 * and its own LZ4: Node 20's zlib has no zstd), SNAPPY through its WASM decoder (hysnappy).
 */
import * as zlib from 'node:zlib';
import type { Compressors } from 'hyparquet';
import { decompressZstd, compressors as pureJs } from 'hyparquet-compressors';
import { ParquetError } from './parquetError.js';
import type { CodecName } from './parquetFooter.js';
import { checkLz4Raw, checkSnappy } from './streamCheck.js';

/** Bounded native zlib: a page that inflates past its declared size is cut off, not allocated. */
const gzip = (input: Uint8Array, outputLength: number): Uint8Array =>
  zlib.gunzipSync(input, { maxOutputLength: Math.max(1, outputLength) });
const brotli = (input: Uint8Array, outputLength: number): Uint8Array =>
  zlib.brotliDecompressSync(input, { maxOutputLength: Math.max(1, outputLength) });
type ZstdSync = (input: Uint8Array, options: { maxOutputLength: number }) => Uint8Array;
/** Node 22.15+ has zstd in zlib; before that fzstd, writing into a buffer of the declared size. */
const nativeZstd = (zlib as unknown as { zstdDecompressSync?: ZstdSync }).zstdDecompressSync;
const zstd = nativeZstd
  ? (input: Uint8Array, outputLength: number): Uint8Array =>
      nativeZstd(input, { maxOutputLength: Math.max(1, outputLength) })
  : (input: Uint8Array, outputLength: number): Uint8Array =>
      decompressZstd(input, new Uint8Array(outputLength));

/** Decompressors for every codec astha accepts (all but LZO), in hyparquet's shape. */
export const PAGE_DECOMPRESSORS: Compressors = {
  SNAPPY: pureJs.SNAPPY,
  GZIP: gzip,
  BROTLI: brotli,
  ZSTD: zstd,
  LZ4: pureJs.LZ4,
  LZ4_RAW: pureJs.LZ4_RAW,
};

/**
 * Checks that one page's bytes decompress to exactly `outputLength` bytes, with the cheapest
 * decoder that proves it: SNAPPY and LZ4_RAW are followed structurally (`streamCheck`), the
 * other codecs decompressed. Throws like `decompressPage`.
 */
export function checkPageDecompresses(codec: CodecName, input: Uint8Array, outputLength: number): void {
  const check = codec === 'SNAPPY' ? checkSnappy : codec === 'LZ4_RAW' ? checkLz4Raw : undefined;
  if (!check) {
    decompressPage(codec, input, outputLength);
    return;
  }
  try {
    check(input, outputLength);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new ParquetError('corrupt_data', `${codec} page does not decompress: ${message}`, { cause });
  }
}

/**
 * Decompresses one page's bytes to exactly `outputLength` bytes. Throws ParquetError
 * `unsupported_codec` for a codec astha cannot read, `corrupt_data` when the bytes do not
 * decompress or decompress to another length.
 */
export function decompressPage(codec: CodecName, input: Uint8Array, outputLength: number): Uint8Array {
  if (codec === 'UNCOMPRESSED') return input;
  const decompress = PAGE_DECOMPRESSORS[codec];
  if (!decompress) {
    throw new ParquetError(
      'unsupported_codec',
      `compression codec ${codec} is not supported (write another codec)`,
    );
  }
  let output: Uint8Array;
  try {
    output = decompress(input, outputLength);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new ParquetError('corrupt_data', `${codec} page does not decompress: ${message}`, { cause });
  }
  if (output.length !== outputLength) {
    throw new ParquetError(
      'corrupt_data',
      `${codec} page decompresses to ${output.length} bytes, its header says ${outputLength}`,
    );
  }
  return output;
}
