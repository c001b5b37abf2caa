/**
 * Ways to break a valid Parquet file that other tools wrote, for verification tests: damage a
 * data page while the footer stays intact, drop the leading magic, or change the footer's
 * `num_rows` (the footer re-spliced with its new length).
 */
import { decodePageHeader } from '../../lib/parquet/pageHeader.js';
import { readParquetFooter } from '../../lib/parquet/parquetFooter.js';
import { memoryAsyncBuffer } from '../../lib/parquet/storeAsyncBuffer.js';
import { ThriftReader, ThriftType } from '../../lib/parquet/thriftReader.js';

/** Where the first data page of the first column chunk starts, and its header's length. */
export async function firstDataPage(
  bytes: Uint8Array,
): Promise<{ offset: number; headerLength: number; compressedSize: number }> {
  const footer = await readParquetFooter(memoryAsyncBuffer(bytes));
  const offset = footer.rowGroups[0]!.columns[0]!.dataPageOffset;
  const header = decodePageHeader(bytes.subarray(offset));
  return { offset, headerLength: header.headerLength, compressedSize: header.compressedSize };
}

/** The first data page's header overwritten with 0xFF: the footer still decodes. */
export async function garbledPageHeader(good: Uint8Array): Promise<Uint8Array> {
  const bytes = good.slice();
  const page = await firstDataPage(bytes);
  bytes.fill(0xff, page.offset, page.offset + page.headerLength);
  return bytes;
}

/** Bytes in the middle of the first data page's body inverted; header and footer intact. */
export async function flippedPageBody(good: Uint8Array, count = 8): Promise<Uint8Array> {
  const bytes = good.slice();
  const page = await firstDataPage(bytes);
  const middle = page.offset + page.headerLength + Math.floor(page.compressedSize / 2);
  for (let i = middle; i < middle + count; i++) bytes[i] = bytes[i]! ^ 0xff;
  return bytes;
}

export function withoutLeadingMagic(good: Uint8Array): Uint8Array {
  const bytes = good.slice();
  bytes.set([0x58, 0x58, 0x58, 0x58], 0);
  return bytes;
}

/** The same file with FileMetaData.num_rows (field 3, an i64) set to `numRows`. */
export function withNumRows(good: Uint8Array, numRows: number): Uint8Array {
  const view = new DataView(good.buffer, good.byteOffset, good.byteLength);
  const length = view.getUint32(good.length - 8, true);
  const start = good.length - 8 - length;
  const footer = good.subarray(start, good.length - 8);
  const r = new ThriftReader(footer);
  let field: [number, number] | undefined;
  let before = 0;
  r.struct((id, type) => {
    if (id === 3 && type === ThriftType.I64) {
      before = r.position;
      r.int(type);
      field = [before, r.position];
    } else r.skip(type);
  });
  if (!field) throw new Error('footer has no num_rows');
  const value = zigzagVarint(numRows);
  const patched = new Uint8Array(footer.length - (field[1] - field[0]) + value.length);
  patched.set(footer.subarray(0, field[0]));
  patched.set(value, field[0]);
  patched.set(footer.subarray(field[1]), field[0] + value.length);
  const out = new Uint8Array(start + patched.length + 8);
  out.set(good.subarray(0, start));
  out.set(patched, start);
  new DataView(out.buffer).setUint32(start + patched.length, patched.length, true);
  out.set(good.subarray(good.length - 4), start + patched.length + 4);
  return out;
}

function zigzagVarint(n: number): Uint8Array {
  let value = BigInt(n) >= 0n ? BigInt(n) * 2n : -BigInt(n) * 2n - 1n;
  const out: number[] = [];
  do {
    const byte = Number(value & 0x7fn);
    value >>= 7n;
    out.push(value > 0n ? byte | 0x80 : byte);
  } while (value > 0n);
  return Uint8Array.from(out);
}
