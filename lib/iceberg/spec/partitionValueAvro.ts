import { IcebergError } from '../icebergError.js';
import type { AvroSchema } from './avroContainer.js';
import type { PartitionValue } from './dataFile.js';
import { decimalParts, fixedLength, type PrimitiveType } from './types.js';

/**
 * Partition values between their Iceberg form (see `PartitionValue`) and their Avro form
 * in the manifest's `r102` struct (format spec, "Avro" type mapping): dates are Avro ints,
 * times and timestamps longs, decimals big-endian two's-complement `fixed` of the minimum
 * size for their precision, uuids `fixed[16]`.
 */

/** The Avro schema of one partition value type; `named` tracks fixed names already defined. */
export function avroTypeOf(type: PrimitiveType, named: Set<string>): AvroSchema {
  const fixed = (name: string, size: number, extra: Record<string, string | number> = {}): AvroSchema => {
    if (named.has(name)) return name;
    named.add(name);
    return { type: 'fixed', name, size, ...extra };
  };
  const decimal = decimalParts(type);
  if (decimal) {
    const { precision, scale } = decimal;
    return fixed(`decimal_${precision}_${scale}`, decimalSize(precision), {
      logicalType: 'decimal',
      precision,
      scale,
    });
  }
  const length = fixedLength(type);
  if (length !== undefined) return fixed(`fixed_${length}`, length);
  switch (type) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return type;
    case 'binary':
      return 'bytes';
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time':
      return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp':
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': type === 'timestamptz' };
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return { type: 'long', logicalType: 'timestamp-nanos', 'adjust-to-utc': type === 'timestamptz_ns' };
    case 'uuid':
      return fixed('uuid_fixed', 16, { logicalType: 'uuid' });
  }
  throw new IcebergError('unsupported', `no Avro type for Iceberg type ${type}`);
}

/** Bytes needed to hold any unscaled value of `precision` digits (Java's decimalRequiredBytes). */
export function decimalSize(precision: number): number {
  let bytes = 1;
  while (2n ** BigInt(8 * bytes - 1) <= 10n ** BigInt(precision) - 1n) bytes++;
  return bytes;
}

function invalid(type: PrimitiveType, value: unknown, why: string): never {
  const shown = typeof value === 'bigint' ? `${value}n` : String(value);
  throw new IcebergError('invalid_manifest', `partition value ${shown} does not fit ${type}: ${why}`);
}

export function partitionValueToAvro(type: PrimitiveType, value: PartitionValue): unknown {
  if (value === null) return null;
  const decimal = decimalParts(type);
  if (decimal) {
    if (typeof value !== 'bigint') invalid(type, value, 'decimals are unscaled bigints');
    return twosComplement(value, decimalSize(decimal.precision), type);
  }
  if (fixedLength(type) !== undefined || type === 'binary') {
    if (!(value instanceof Uint8Array)) invalid(type, value, 'expected a Uint8Array');
    if (fixedLength(type) !== undefined && value.length !== fixedLength(type))
      invalid(type, value, 'wrong length');
    return Buffer.from(value);
  }
  switch (type) {
    case 'boolean':
      if (typeof value !== 'boolean') invalid(type, value, 'expected a boolean');
      return value;
    case 'int':
    case 'date':
      if (typeof value !== 'number' || !Number.isInteger(value))
        invalid(type, value, 'expected an integer number');
      return value;
    case 'float':
    case 'double':
      if (typeof value !== 'number') invalid(type, value, 'expected a number');
      return value;
    case 'string':
      if (typeof value !== 'string') invalid(type, value, 'expected a string');
      return value;
    case 'uuid':
      if (typeof value !== 'string' || !/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(value)) {
        invalid(type, value, 'expected a canonical UUID string');
      }
      return Buffer.from(value.replaceAll('-', ''), 'hex');
    default:
      // long, time, timestamps: exact 64-bit.
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      return invalid(type, value, 'expected a bigint');
  }
}

export function partitionValueFromAvro(type: PrimitiveType, raw: unknown): PartitionValue {
  if (raw === null || raw === undefined) return null;
  if (decimalParts(type)) return fromTwosComplement(asBytes(raw, type));
  if (fixedLength(type) !== undefined || type === 'binary') return new Uint8Array(asBytes(raw, type));
  if (type === 'uuid') {
    const hex = Buffer.from(asBytes(raw, type)).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  if (typeof raw === 'bigint') {
    // Written as Avro int by some engines for int-like types; normalise to the Iceberg form.
    return type === 'int' || type === 'date' ? Number(raw) : raw;
  }
  if (typeof raw === 'number') {
    return ['long', 'time', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns'].includes(type)
      ? BigInt(raw)
      : raw;
  }
  if (typeof raw === 'boolean' || typeof raw === 'string') return raw;
  throw new IcebergError('invalid_manifest', `partition value of type ${type} has an unexpected Avro form`);
}

function asBytes(raw: unknown, type: PrimitiveType): Uint8Array {
  if (raw instanceof Uint8Array) return raw;
  throw new IcebergError('invalid_manifest', `partition value of type ${type} is not bytes`);
}

function twosComplement(value: bigint, size: number, type: PrimitiveType): Buffer {
  const limit = 1n << BigInt(8 * size - 1);
  if (value < -limit || value >= limit) invalid(type, value, `needs more than ${size} bytes`);
  const bytes = Buffer.alloc(size);
  let v = BigInt.asUintN(8 * size, value);
  for (let i = size - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return bytes;
}

function fromTwosComplement(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  const unsigned = BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
  return BigInt.asIntN(8 * bytes.length, unsigned);
}
