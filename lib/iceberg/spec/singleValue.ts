/**
 * Iceberg single-value binary serialisation (format spec, Appendix D), used for the
 * `lower_bounds` / `upper_bounds` of data files and for partition summaries.
 *
 * JavaScript shapes of the values:
 * - boolean → boolean; int, date (days since epoch) → number;
 * - long, time (µs), timestamp/timestamptz (µs), timestamp_ns/timestamptz_ns (ns) → bigint
 *   (a safe-integer number is accepted when writing);
 * - float, double → number; string → string;
 * - decimal(P,S) → the unscaled value as bigint (a decimal literal string such as "-12.30" is
 *   accepted when writing, its scale must not exceed S);
 * - uuid → canonical string "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (16 bytes accepted too);
 * - fixed[L], binary → Uint8Array.
 * Pure: no I/O.
 */
import { decimalParts, fixedLength, type PrimitiveType } from './types.js';

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

function invalid(type: PrimitiveType, value: unknown, why: string): never {
  const shown = typeof value === 'bigint' ? `${value}n` : describe(value);
  throw new TypeError(`cannot serialise ${shown} as Iceberg ${type}: ${why}`);
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function littleEndian(size: number, write: (view: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(size);
  write(new DataView(bytes.buffer));
  return bytes;
}

function toInt32(type: PrimitiveType, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < INT_MIN || value > INT_MAX) {
    invalid(type, value, 'expected an integer in the 32-bit range');
  }
  return value;
}

function toInt64(type: PrimitiveType, value: unknown): bigint {
  let big: bigint | undefined;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
  if (big === undefined || big < LONG_MIN || big > LONG_MAX) {
    invalid(type, value, 'expected a bigint (or safe integer) in the 64-bit range');
  }
  return big;
}

/** Minimal big-endian two's-complement bytes of `value` (Java's BigInteger.toByteArray). */
export function decimalToBytes(value: bigint): Uint8Array {
  const out: number[] = [];
  let rest = value;
  for (;;) {
    const byte = Number(BigInt.asUintN(8, rest));
    out.push(byte);
    rest >>= 8n;
    // Stop once the remaining bits are pure sign extension of the byte just written.
    if ((rest === 0n && (byte & 0x80) === 0) || (rest === -1n && (byte & 0x80) !== 0)) break;
  }
  return Uint8Array.from(out.reverse());
}

/** Big-endian two's-complement bytes (any width, as Parquet and Iceberg store decimals) → bigint. */
export function decimalFromBytes(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return BigInt.asIntN(bytes.length * 8, value);
}

/** Parses a decimal literal into its unscaled value at `scale` (exact: no rounding). */
export function parseDecimal(literal: string, scale: number): bigint | undefined {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(literal.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return undefined;
  const fraction = match[3] ?? '';
  if (fraction.length > scale && /[1-9]/.test(fraction.slice(scale))) return undefined;
  const digits = (match[2] || '0') + fraction.slice(0, scale).padEnd(scale, '0');
  const unscaled = BigInt(digits);
  return match[1] === '-' ? -unscaled : unscaled;
}

function toDecimal(type: PrimitiveType, precision: number, scale: number, value: unknown): bigint {
  let unscaled: bigint | undefined;
  if (typeof value === 'bigint') unscaled = value;
  else if (typeof value === 'string') unscaled = parseDecimal(value, scale);
  if (unscaled === undefined) invalid(type, value, 'expected an unscaled bigint or a decimal literal');
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().length;
  if (digits > precision) invalid(type, value, `more than ${precision} digits`);
  return unscaled;
}

function uuidBytes(type: PrimitiveType, value: unknown): Uint8Array {
  if (value instanceof Uint8Array && value.length === 16) return value.slice();
  if (typeof value === 'string' && /^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(value)) {
    return Uint8Array.from(Buffer.from(value.replaceAll('-', ''), 'hex'));
  }
  return invalid(type, value, 'expected a canonical UUID string or 16 bytes');
}

function uuidString(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Serialises one value of a primitive type per Appendix D. Throws TypeError naming a bad value. */
export function toSingleValue(type: PrimitiveType, value: unknown): Uint8Array {
  switch (type) {
    case 'boolean':
      if (typeof value !== 'boolean') invalid(type, value, 'expected a boolean');
      return Uint8Array.of(value ? 1 : 0);
    case 'int':
    case 'date': {
      const int = toInt32(type, value);
      return littleEndian(4, (v) => v.setInt32(0, int, true));
    }
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns': {
      const long = toInt64(type, value);
      return littleEndian(8, (v) => v.setBigInt64(0, long, true));
    }
    case 'float':
    case 'double': {
      if (typeof value !== 'number') invalid(type, value, 'expected a number');
      return type === 'float'
        ? littleEndian(4, (v) => v.setFloat32(0, value, true))
        : littleEndian(8, (v) => v.setFloat64(0, value, true));
    }
    case 'string':
      if (typeof value !== 'string') invalid(type, value, 'expected a string');
      return utf8.encode(value);
    case 'uuid':
      return uuidBytes(type, value);
    case 'binary':
      if (!(value instanceof Uint8Array)) invalid(type, value, 'expected a Uint8Array');
      return value.slice();
  }
  const length = fixedLength(type);
  if (length !== undefined) {
    if (!(value instanceof Uint8Array) || value.length !== length) {
      invalid(type, value, `expected a Uint8Array of ${length} bytes`);
    }
    return value.slice();
  }
  const decimal = decimalParts(type);
  if (decimal) return decimalToBytes(toDecimal(type, decimal.precision, decimal.scale, value));
  return invalid(type, value, 'unknown primitive type');
}

function expectLength(type: PrimitiveType, bytes: Uint8Array, length: number): DataView {
  if (bytes.length !== length) {
    throw new TypeError(`Iceberg ${type} value must be ${length} bytes, got ${bytes.length}`);
  }
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes Appendix D bytes into the JavaScript shape listed at the top of this file. */
export function fromSingleValue(type: PrimitiveType, bytes: Uint8Array): unknown {
  switch (type) {
    case 'boolean':
      return expectLength(type, bytes, 1).getUint8(0) !== 0;
    case 'int':
    case 'date':
      return expectLength(type, bytes, 4).getInt32(0, true);
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return expectLength(type, bytes, 8).getBigInt64(0, true);
    case 'float':
      return expectLength(type, bytes, 4).getFloat32(0, true);
    case 'double':
      return expectLength(type, bytes, 8).getFloat64(0, true);
    case 'string':
      return strictUtf8.decode(bytes);
    case 'uuid':
      expectLength(type, bytes, 16);
      return uuidString(bytes);
    case 'binary':
      return bytes.slice();
  }
  const length = fixedLength(type);
  if (length !== undefined) {
    expectLength(type, bytes, length);
    return bytes.slice();
  }
  if (decimalParts(type)) return decimalFromBytes(bytes);
  throw new TypeError(`unknown Iceberg primitive type ${JSON.stringify(type)}`);
}

// fixed[L] is left alone: a shorter bound would no longer be a valid fixed[L] value.
function isTruncatable(type: PrimitiveType): 'string' | 'bytes' | undefined {
  if (type === 'string') return 'string';
  if (type === 'binary') return 'bytes';
  return undefined;
}

/**
 * A lower bound no longer than `length` (code points for strings, bytes for binary).
 * A prefix is always ≤ the value, so truncating is enough. Other types come back unchanged.
 */
export function truncateLowerBound(type: PrimitiveType, bytes: Uint8Array, length: number): Uint8Array {
  const kind = isTruncatable(type);
  // A string has at most as many code points as UTF-8 bytes: short ones need no decoding.
  if (kind === undefined || bytes.length <= length) return bytes;
  if (kind === 'bytes') return bytes.slice(0, length);
  if (kind === 'string') {
    const codePoints = Array.from(strictUtf8.decode(bytes));
    return codePoints.length <= length ? bytes : utf8.encode(codePoints.slice(0, length).join(''));
  }
  return bytes;
}

const MAX_CODE_POINT = 0x10ffff;
const SURROGATE_FIRST = 0xd800;
const SURROGATE_LAST = 0xdfff;

/**
 * An upper bound no longer than `length`: the prefix with its last incrementable unit bumped by
 * one, so it stays ≥ every value that starts with the prefix. Strings increment code points
 * (skipping the surrogate range, which UTF-8 cannot encode); binary increments the last byte
 * below 0xFF. `undefined` when nothing can be incremented (no finite upper bound exists).
 */
export function truncateUpperBound(
  type: PrimitiveType,
  bytes: Uint8Array,
  length: number,
): Uint8Array | undefined {
  const kind = isTruncatable(type);
  if (kind === undefined || bytes.length <= length) return bytes;
  if (kind === 'bytes') {
    for (let i = length - 1; i >= 0; i--) {
      if (bytes[i]! < 0xff) {
        const out = bytes.slice(0, i + 1);
        out[i] = bytes[i]! + 1;
        return out;
      }
    }
    return undefined;
  }
  if (kind === 'string') {
    const codePoints = Array.from(strictUtf8.decode(bytes));
    if (codePoints.length <= length) return bytes;
    for (let i = length - 1; i >= 0; i--) {
      let next = codePoints[i]!.codePointAt(0)! + 1;
      if (next >= SURROGATE_FIRST && next <= SURROGATE_LAST) next = SURROGATE_LAST + 1;
      if (next <= MAX_CODE_POINT) {
        return utf8.encode(codePoints.slice(0, i).join('') + String.fromCodePoint(next));
      }
    }
    return undefined;
  }
  return bytes;
}
