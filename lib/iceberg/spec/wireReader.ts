import { IcebergError } from '../icebergError.js';
import type { JsonObject, JsonValue } from './exactJson.js';

/**
 * Typed accessors for parsed metadata JSON. Each names the member it checks, so a bad
 * file fails with "table-uuid: expected a string, got 42" instead of a TypeError later.
 */
function fail(what: string, expected: string, got: JsonValue | undefined): never {
  const shown = typeof got === 'bigint' ? got.toString() : JSON.stringify(got);
  throw new IcebergError('invalid_metadata', `${what}: expected ${expected}, got ${shown ?? 'nothing'}`);
}

export function asObject(value: JsonValue | undefined, what: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return fail(what, 'an object', value);
  return value;
}

export function asArray(value: JsonValue | undefined, what: string): JsonValue[] {
  if (!Array.isArray(value)) return fail(what, 'an array', value);
  return value;
}

export function asString(value: JsonValue | undefined, what: string): string {
  if (typeof value !== 'string') return fail(what, 'a string', value);
  return value;
}

export function asBoolean(value: JsonValue | undefined, what: string): boolean {
  if (typeof value !== 'boolean') return fail(what, 'a boolean', value);
  return value;
}

/** A 32-bit-or-smaller integer, or a millisecond timestamp / counter that fits a double exactly. */
export function asInt(value: JsonValue | undefined, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) return fail(what, 'an integer', value);
  return value;
}

/** A 64-bit id: exact whatever its size. */
export function asLong(value: JsonValue | undefined, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return fail(what, 'a 64-bit integer', value);
}

export function asStringMap(value: JsonValue | undefined, what: string): Record<string, string> {
  const object = asObject(value, what);
  const result: Record<string, string> = {};
  for (const [key, member] of Object.entries(object)) result[key] = asString(member, `${what}.${key}`);
  return result;
}

export function optional<T>(
  value: JsonValue | undefined,
  read: (value: JsonValue, what: string) => T,
  what: string,
): T | undefined {
  return value === undefined || value === null ? undefined : read(value, what);
}
