/**
 * Identity partition values from Hive-style `col=value` path segments.
 *
 * A segment value is URL-decoded exactly once (Hive escapes `/`, `=`, `%`, `:` and other
 * characters as `%XX`); `__HIVE_DEFAULT_PARTITION__` is Hive's marker for null.
 *
 * In-memory values use the shapes of `spec/singleValue.ts`, so a value can be serialised for
 * partition summaries as is: int → number, long → number (bigint beyond 2^53), date → days since
 * 1970-01-01, boolean → boolean, string → string, decimal(P,S) → unscaled bigint.
 */
import { AsthaError } from '../errors.js';
import { parseDecimal } from './spec/singleValue.js';
import { decimalParts, type IcebergType } from './spec/types.js';

export const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const DAY_MS = 86_400_000;

function invalid(type: IcebergType, raw: string, why: string): never {
  const shown = typeof type === 'string' ? type : type.type;
  throw new AsthaError(
    'invalid_partition_value',
    `partition value ${JSON.stringify(raw)} is not a valid ${shown}: ${why}`,
    {
      details: { raw, type: shown },
    },
  );
}

/** The segment value decoded once; `%` not followed by two hex digits is refused. */
export function decodeSegmentValue(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new AsthaError(
      'invalid_partition_value',
      `partition value ${JSON.stringify(raw)} has a malformed %-escape`,
      {
        details: { raw },
      },
    );
  }
}

/** Days since 1970-01-01 of a valid `YYYY-MM-DD` calendar date, else undefined. */
function isoDateToDays(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  // Date rolls 2023-02-30 over to March: a round trip tells real dates from impossible ones.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  return Math.floor(date.getTime() / DAY_MS);
}

function daysToIsoDate(days: number): string {
  const date = new Date(days * DAY_MS);
  const year = date.getUTCFullYear();
  const yyyy = year < 0 ? `-${String(-year).padStart(6, '0')}` : String(year).padStart(4, '0');
  return `${yyyy}-${String(date.getUTCMonth() + 1).padStart(2, '0')}-${String(date.getUTCDate()).padStart(2, '0')}`;
}

/**
 * The type a partition column gets when a path first shows it:
 * - an integer literal (optional `-`, no leading zeros, fits in 64 bits) → long;
 * - an ISO calendar date `YYYY-MM-DD` → date;
 * - anything else → string. Leading zeros (`007`, zip codes) stay strings so nothing is lost,
 *   and the null marker alone says nothing about the type, so it is a string too.
 */
export function inferPartitionType(raw: string): IcebergType {
  const value = decodeSegmentValue(raw);
  if (/^-?(0|[1-9]\d*)$/.test(value) && value !== '-0') {
    const big = BigInt(value);
    if (big >= LONG_MIN && big <= LONG_MAX) return 'long';
  }
  if (isoDateToDays(value) !== undefined) return 'date';
  return 'string';
}

function parseInteger(type: IcebergType, raw: string, value: string): bigint {
  if (!/^[+-]?\d+$/.test(value)) invalid(type, raw, 'not an integer');
  return BigInt(value);
}

/** The typed value of a path segment for a partition column of `type`; null for Hive's null marker. */
export function partitionValueFromPath(type: IcebergType, raw: string): unknown {
  const value = decodeSegmentValue(raw);
  if (value === HIVE_NULL) return null;
  switch (type) {
    case 'string':
      return value;
    case 'int': {
      const int = parseInteger(type, raw, value);
      if (int < BigInt(INT_MIN) || int > BigInt(INT_MAX)) invalid(type, raw, 'outside the 32-bit range');
      return Number(int);
    }
    case 'long': {
      const long = parseInteger(type, raw, value);
      if (long < LONG_MIN || long > LONG_MAX) invalid(type, raw, 'outside the 64-bit range');
      return long >= BigInt(Number.MIN_SAFE_INTEGER) && long <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(long)
        : long;
    }
    case 'date': {
      const days = isoDateToDays(value);
      if (days === undefined) invalid(type, raw, 'expected a calendar date YYYY-MM-DD');
      return days;
    }
    case 'boolean': {
      const lower = value.toLowerCase();
      if (lower !== 'true' && lower !== 'false') invalid(type, raw, 'expected true or false');
      return lower === 'true';
    }
  }
  const decimal = decimalParts(type);
  if (decimal) {
    const unscaled = parseDecimal(value, decimal.scale);
    if (unscaled === undefined)
      invalid(type, raw, `not a decimal with at most ${decimal.scale} fraction digits`);
    if ((unscaled < 0n ? -unscaled : unscaled).toString().length > decimal.precision) {
      invalid(type, raw, `more than ${decimal.precision} digits`);
    }
    return unscaled;
  }
  const shown = typeof type === 'string' ? type : type.type;
  throw new AsthaError(
    'invalid_partition_value',
    `partition column of type ${shown} is not supported from paths (only int, long, date, boolean, string, decimal)`,
    { details: { raw, type: shown } },
  );
}

function decimalToString(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

export type PartitionJson = boolean | number | string | null;

/**
 * The Iceberg JSON single-value form of a partition value (spec, "JSON single-value
 * serialization"): numbers for int/long, `"YYYY-MM-DD"` for date, a decimal string such as
 * `"14.20"` for decimal. A long beyond ±2^53 is given as its decimal string so no digit is lost.
 */
export function partitionValueToJson(type: IcebergType, value: unknown): PartitionJson {
  if (value === null || value === undefined) return null;
  const decimal = decimalParts(type);
  if (decimal && typeof value === 'bigint') return decimalToString(value, decimal.scale);
  if (type === 'date' && typeof value === 'number') return daysToIsoDate(value);
  if (type === 'long' && typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if ((type === 'int' || type === 'long') && typeof value === 'number') return value;
  if (type === 'boolean' && typeof value === 'boolean') return value;
  if (type === 'string' && typeof value === 'string') return value;
  const shown = typeof type === 'string' ? type : type.type;
  throw new TypeError(`cannot write ${String(value)} (${typeof value}) as a ${shown} partition value`);
}

/** The inverse of `partitionValueToJson`. */
export function partitionValueFromJson(type: IcebergType, json: PartitionJson): unknown {
  if (json === null) return null;
  if (type === 'date' && typeof json === 'string') return partitionValueFromPath(type, json);
  if (type === 'long' && typeof json === 'string') return BigInt(json);
  if (decimalParts(type) && typeof json === 'string') return partitionValueFromPath(type, json);
  return json;
}
