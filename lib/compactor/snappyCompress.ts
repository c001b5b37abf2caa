/**
 * Snappy block compression for the compactor's output pages, handed to hyparquet-writer as its
 * SNAPPY compressor. It makes the same choices as the writer's built-in compressor (the
 * reference algorithm: one hash table of up to 2^14 four-byte sequences, lookups spaced out
 * over incompressible input, copies of at most 64 bytes within 64 KiB), so pages come out byte
 * for byte the same, but it writes into one array sized for the worst case instead of a
 * growing buffer with a view allocated per literal: that was a fifth of the rewrite's time on
 * large groups and a good part of its garbage.
 */

const MAX_HASH_BITS = 14;
const MAX_OFFSET = 0xffff;
/** No match is looked for this close to the end (the reference compressor's margin). */
const INPUT_MARGIN = 15;
/** One table per size, reused (compression is synchronous). */
const hashTables: (Uint32Array | undefined)[] = [];

export function snappyCompress(input: Uint8Array): Uint8Array {
  const length = input.length;
  // Worst case: every byte a literal, plus literal tags, plus the length preamble.
  const out = new Uint8Array(32 + length + Math.ceil(length / 6));
  let at = 0;
  for (let rest = length; ; ) {
    if (rest < 0x80) {
      out[at++] = rest;
      break;
    }
    out[at++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  at = compressBlock(input, out, at);
  return out.subarray(0, at);
}

function hashOf(input: Uint8Array, at: number, shift: number): number {
  const word = input[at]! | (input[at + 1]! << 8) | (input[at + 2]! << 16) | (input[at + 3]! << 24);
  return Math.imul(word, 0x1e35a7bd) >>> shift;
}

function sameFour(input: Uint8Array, a: number, b: number): boolean {
  return (
    input[a] === input[b] &&
    input[a + 1] === input[b + 1] &&
    input[a + 2] === input[b + 2] &&
    input[a + 3] === input[b + 3]
  );
}

function literal(out: Uint8Array, at: number, input: Uint8Array, from: number, count: number): number {
  const n = count - 1;
  if (count <= 60) {
    out[at++] = n << 2;
  } else {
    const bytes = n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
    out[at++] = (59 + bytes) << 2;
    for (let i = 0; i < bytes; i++) out[at++] = (n >>> (i * 8)) & 0xff;
  }
  if (count < 16) {
    for (let i = 0; i < count; i++) out[at++] = input[from + i]!;
  } else {
    out.set(input.subarray(from, from + count), at);
    at += count;
  }
  return at;
}

function copyUpTo64(out: Uint8Array, at: number, offset: number, count: number): number {
  if (count < 12 && offset < 2048) {
    out[at++] = 1 + ((count - 4) << 2) + ((offset >>> 8) << 5);
    out[at++] = offset & 0xff;
  } else {
    out[at++] = 2 + ((count - 1) << 2);
    out[at++] = offset & 0xff;
    out[at++] = offset >>> 8;
  }
  return at;
}

function copy(out: Uint8Array, at: number, offset: number, count: number): number {
  let rest = count;
  while (rest >= 68) {
    at = copyUpTo64(out, at, offset, 64);
    rest -= 64;
  }
  if (rest > 64) {
    at = copyUpTo64(out, at, offset, 60);
    rest -= 60;
  }
  return copyUpTo64(out, at, offset, rest);
}

/** The elements (literals and copies) of `input`, written to `out` from `at`; returns the end. */
function compressBlock(input: Uint8Array, out: Uint8Array, start: number): number {
  const end = input.length;
  let at = start;
  let emitFrom = 0;
  if (end >= INPUT_MARGIN) {
    let bits = 1;
    while (1 << bits <= end && bits <= MAX_HASH_BITS) bits++;
    bits--;
    const shift = 32 - bits;
    let table = hashTables[bits];
    if (!table) {
      table = new Uint32Array(1 << bits);
      hashTables[bits] = table;
    }
    table.fill(0);
    const limit = end - INPUT_MARGIN;
    let ip = 1;
    let nextHash = hashOf(input, ip, shift);
    search: for (;;) {
      // Look for a match, skipping further ahead the longer none is found.
      let skip = 32;
      let nextIp = ip;
      let candidate: number;
      do {
        ip = nextIp;
        const hash = nextHash;
        nextIp = ip + (skip >>> 5);
        skip++;
        if (ip > limit) break search;
        nextHash = hashOf(input, nextIp, shift);
        candidate = table[hash]!;
        table[hash] = ip;
      } while (ip - candidate > MAX_OFFSET || !sameFour(input, ip, candidate));
      at = literal(out, at, input, emitFrom, ip - emitFrom);
      // Emit copies while the position after each one starts another match.
      do {
        const base = ip;
        let matched = 4;
        while (ip + matched < end && input[ip + matched] === input[candidate + matched]) matched++;
        ip += matched;
        at = copy(out, at, base - candidate, matched);
        emitFrom = ip;
        if (ip >= limit) break search;
        table[hashOf(input, ip - 1, shift)] = ip - 1;
        const hash = hashOf(input, ip, shift);
        candidate = table[hash]!;
        table[hash] = ip;
      } while (ip - candidate <= MAX_OFFSET && sameFour(input, ip, candidate));
      ip++;
      nextHash = hashOf(input, ip, shift);
    }
  }
  if (emitFrom < end) at = literal(out, at, input, emitFrom, end - emitFrom);
  return at;
}
