/**
 * Structural decoders for SNAPPY and LZ4_RAW pages that follow every tag or sequence of the
 * stream and check it would decompress to exactly the declared size, without writing the output.
 * They catch what decompressing catches (a length or offset that points outside the data, a
 * stream that ends early or runs long) at a fraction of the cost: these codecs' payload is bytes
 * copied verbatim, so producing them proves nothing more. Used by registration's verification;
 * the compactor, which needs the values, decompresses for real.
 */

/** Throws Error naming the problem when `input` is not a Snappy block of `outputLength` bytes. */
export function checkSnappy(input: Uint8Array, outputLength: number): void {
  let pos = 0;
  let declared = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= input.length || shift > 28) throw new Error('snappy length preamble is cut or too long');
    const byte = input[pos++]!;
    declared += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) break;
  }
  if (declared !== outputLength)
    throw new Error(`snappy stream holds ${declared} bytes, expected ${outputLength}`);
  let produced = 0;
  const end = input.length;
  while (pos < end) {
    const tag = input[pos++]!;
    const kind = tag & 3;
    let length: number;
    if (kind === 0) {
      length = tag >>> 2;
      if (length >= 60) {
        const extra = length - 59;
        if (pos + extra > end) throw new Error('snappy literal length is cut');
        length = littleEndian(input, pos, extra);
        pos += extra;
      }
      length += 1;
      pos += length;
      if (pos > end) throw new Error(`snappy literal of ${length} bytes runs past the page`);
    } else {
      let offset: number;
      if (kind === 1) {
        if (pos + 1 > end) throw new Error('snappy copy is cut');
        length = ((tag >>> 2) & 7) + 4;
        offset = ((tag >>> 5) << 8) | input[pos++]!;
      } else {
        const size = kind === 2 ? 2 : 4;
        if (pos + size > end) throw new Error('snappy copy is cut');
        length = (tag >>> 2) + 1;
        offset = littleEndian(input, pos, size);
        pos += size;
      }
      if (offset === 0 || offset > produced)
        throw new Error(`snappy copy offset ${offset} is outside the output`);
    }
    produced += length;
    if (produced > outputLength) throw new Error(`snappy stream runs past its ${outputLength} bytes`);
  }
  if (produced !== outputLength)
    throw new Error(`snappy stream ends after ${produced} of ${outputLength} bytes`);
}

/** An unsigned little-endian integer of 1 to 4 bytes. */
function littleEndian(input: Uint8Array, at: number, size: number): number {
  let value = input[at]!;
  if (size > 1) value |= input[at + 1]! << 8;
  if (size > 2) value |= input[at + 2]! << 16;
  if (size > 3) value |= input[at + 3]! << 24;
  return value >>> 0;
}

/** Throws Error naming the problem when `input` is not an LZ4 block of `outputLength` bytes. */
export function checkLz4Raw(input: Uint8Array, outputLength: number): void {
  let pos = 0;
  let produced = 0;
  const extended = (base: number): number => {
    let length = base;
    if (base !== 15) return length;
    for (;;) {
      if (pos >= input.length) throw new Error('lz4 length is cut');
      const byte = input[pos++]!;
      length += byte;
      if (byte !== 255) return length;
    }
  };
  while (pos < input.length) {
    const token = input[pos++]!;
    const literals = extended(token >> 4);
    if (pos + literals > input.length) throw new Error(`lz4 literals of ${literals} bytes run past the page`);
    pos += literals;
    produced += literals;
    if (produced > outputLength) throw new Error(`lz4 block runs past its ${outputLength} bytes`);
    if (pos === input.length) {
      // The last sequence has literals only, and at least one (an empty block is one 0 token).
      if (literals === 0 && (input.length !== 1 || token !== 0))
        throw new Error('lz4 block ends with an empty sequence');
      break;
    }
    if (pos + 2 > input.length) throw new Error('lz4 match offset is cut');
    const offset = input[pos]! | (input[pos + 1]! << 8);
    pos += 2;
    if (offset === 0 || offset > produced)
      throw new Error(`lz4 match offset ${offset} is outside the output`);
    produced += extended(token & 15) + 4;
    if (produced > outputLength) throw new Error(`lz4 block runs past its ${outputLength} bytes`);
  }
  if (produced !== outputLength) throw new Error(`lz4 block ends after ${produced} of ${outputLength} bytes`);
}
