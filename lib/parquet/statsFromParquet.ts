/**
 * Parquet footer statistics → Iceberg `data_file` column metrics (sizes, value/null counts,
 * lower/upper bounds as Appendix D single values).
 *
 * Bounds are only given when the Parquet statistics can be trusted for Iceberg's ordering:
 * - `min_value`/`max_value` (type-defined order) when present, unless `column_orders` says
 *   the order is undefined;
 * - the legacy `min`/`max` (always written with signed comparison) only for signed integer-like
 *   columns, where signed order is the right order;
 * - never for INT96 timestamps (their legacy order is meaningless) and never for uuid (Iceberg
 *   readers have compared uuids both signed and unsigned, so a bound could prune wrongly);
 * - float/double bounds are dropped when a NaN shows up in them (Iceberg bounds exclude NaN);
 * - strings are cut to 16 code points and binary to 16 bytes, the upper bound incremented.
 * Columns inside a list or map only get their size: Parquet counts and bounds there describe
 * the flattened values (with placeholders for empty and null lists), not Iceberg's element counts.
 */
import {
  decimalFromBytes,
  toSingleValue,
  truncateLowerBound,
  truncateUpperBound,
} from '../iceberg/spec/singleValue.js';
import { ParquetError } from './parquetError.js';
import type { ColumnChunk, ColumnStatistics, ParquetFooter } from './parquetFooter.js';
import type { LeafColumn } from './schemaFromParquet.js';

export interface ColumnStats {
  /** Parquet `path_in_schema` of the leaf column. */
  path: string[];
  /** Iceberg field id of the leaf (a list element / map key or value id when nested). */
  fieldId: number;
  /** Sum of the chunks' total_compressed_size (Iceberg `column_sizes`). */
  size?: number;
  /** Sum of the chunks' num_values, nulls included. */
  valueCount?: number;
  nullCount?: number;
  /** Parquet footers do not carry NaN counts: always absent (unknown) for now. */
  nanCount?: number;
  lower?: Uint8Array;
  upper?: Uint8Array;
}

/** Iceberg's default `write.metadata.metrics.default` = truncate(16). */
export const BOUND_TRUNCATE_LENGTH = 16;

type BoundValue = boolean | number | bigint | Uint8Array;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

export function statsFromParquet(footer: ParquetFooter, leaves: LeafColumn[]): ColumnStats[] {
  for (const [index, group] of footer.rowGroups.entries()) {
    if (group.columns.length !== leaves.length) {
      throw new ParquetError(
        'corrupt_footer',
        `corrupt Parquet footer: row group ${index} has ${group.columns.length} columns, the schema ${leaves.length}`,
      );
    }
  }
  return leaves.map((leaf, column) => {
    const chunks = footer.rowGroups.map((group) => group.columns[column]!);
    for (const chunk of chunks) {
      if (chunk.path.join('\u0000') !== leaf.path.join('\u0000')) {
        throw new ParquetError(
          'corrupt_footer',
          `corrupt Parquet footer: column chunk ${JSON.stringify(chunk.path.join('.'))} where the schema has ${JSON.stringify(leaf.path.join('.'))}`,
        );
      }
    }
    return columnStats(leaf, chunks, footer.typeDefinedOrder?.[column]);
  });
}

function columnStats(
  leaf: LeafColumn,
  chunks: ColumnChunk[],
  typeDefinedOrder: boolean | undefined,
): ColumnStats {
  const stats: ColumnStats = { path: leaf.path, fieldId: leaf.fieldId };
  stats.size = chunks.reduce((sum, chunk) => sum + chunk.totalCompressedSize, 0);
  if (leaf.repeated) return stats;
  stats.valueCount = chunks.reduce((sum, chunk) => sum + chunk.numValues, 0);
  if (chunks.every((chunk) => chunk.statistics?.nullCount !== undefined)) {
    stats.nullCount = chunks.reduce((sum, chunk) => sum + chunk.statistics!.nullCount!, 0);
  }
  const bounds = columnBounds(leaf, chunks, typeDefinedOrder);
  const [lower, upper] = bounds ? encodeBounds(leaf, bounds) : [];
  if (lower) stats.lower = lower;
  if (upper) stats.upper = upper;
  return stats;
}

/** The smallest min and largest max over all chunks, or undefined if any chunk with values lacks one. */
function columnBounds(
  leaf: LeafColumn,
  chunks: ColumnChunk[],
  typeDefinedOrder: boolean | undefined,
): [BoundValue, BoundValue] | undefined {
  let result: [BoundValue, BoundValue] | undefined;
  for (const chunk of chunks) {
    const raw = chunk.statistics && trustedMinMax(leaf, chunk.statistics, typeDefinedOrder);
    const min = raw && decodeBound(leaf, raw[0], 'lower');
    const max = raw && decodeBound(leaf, raw[1], 'upper');
    if (min === undefined || max === undefined) {
      // A chunk of nothing but nulls has no min/max and does not widen the bounds.
      if (chunk.statistics?.nullCount === chunk.numValues) continue;
      return undefined;
    }
    if (!result) result = [min, max];
    else {
      if (compare(min, result[0]) < 0) result[0] = min;
      if (compare(max, result[1]) > 0) result[1] = max;
    }
  }
  return result;
}

function trustedMinMax(
  leaf: LeafColumn,
  stats: ColumnStatistics,
  typeDefinedOrder: boolean | undefined,
): [Uint8Array, Uint8Array] | undefined {
  if (stats.minValue && stats.maxValue) {
    return typeDefinedOrder === false ? undefined : [stats.minValue, stats.maxValue];
  }
  if (stats.min && stats.max && legacyOrderIsRight(leaf)) return [stats.min, stats.max];
  return undefined;
}

/** Legacy min/max were compared as signed numbers (bytes for byte arrays): right only for signed integers. */
function legacyOrderIsRight(leaf: LeafColumn): boolean {
  const { type: physical, convertedType, logicalType } = leaf.element;
  if (physical !== 'INT32' && physical !== 'INT64') return false;
  if (convertedType?.startsWith('UINT_')) return false;
  return !(logicalType?.type === 'INTEGER' && !logicalType.isSigned);
}

function view(raw: Uint8Array, length: number): DataView | undefined {
  return raw.length === length ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
}

function isMillis(leaf: LeafColumn): boolean {
  const { logicalType, convertedType } = leaf.element;
  if (logicalType?.type === 'TIME' || logicalType?.type === 'TIMESTAMP') return logicalType.unit === 'MILLIS';
  return convertedType === 'TIMESTAMP_MILLIS' || convertedType === 'TIME_MILLIS';
}

function inLongRange(value: bigint): bigint | undefined {
  return value >= LONG_MIN && value <= LONG_MAX ? value : undefined;
}

/** Parquet PLAIN-encoded statistic → a value in the Iceberg type's domain, or undefined if untrusted. */
function decodeBound(leaf: LeafColumn, raw: Uint8Array, side: 'lower' | 'upper'): BoundValue | undefined {
  const physical = leaf.element.type;
  const type = leaf.type;
  if (physical === 'INT96' || type === 'uuid') return undefined;
  if (type === 'boolean') return raw.length === 1 ? raw[0] !== 0 : undefined;
  if (type === 'float' || type === 'double') {
    const value = type === 'float' ? view(raw, 4)?.getFloat32(0, true) : view(raw, 8)?.getFloat64(0, true);
    if (value === undefined || Number.isNaN(value)) return undefined;
    // Parquet writes ±0 either way round; Iceberg orders -0 before +0, so widen to be safe.
    if (value === 0) return side === 'lower' ? -0 : 0;
    return value;
  }
  if (type === 'string' || type === 'binary' || type.startsWith('fixed[')) {
    if (type === 'string') {
      try {
        strictUtf8.decode(raw);
      } catch {
        return undefined;
      }
    }
    return raw.slice();
  }
  if (type.startsWith('decimal(')) {
    if (physical === 'INT32') return optionalBigInt(view(raw, 4)?.getInt32(0, true));
    if (physical === 'INT64') return view(raw, 8)?.getBigInt64(0, true);
    return decimalFromBytes(raw);
  }
  if (physical === 'INT32') {
    const int = view(raw, 4);
    if (!int) return undefined;
    if (type === 'long') return BigInt(int.getUint32(0, true)); // UINT_32
    if (type === 'time') return BigInt(int.getInt32(0, true)) * 1000n; // TIME_MILLIS
    return int.getInt32(0, true);
  }
  const long = view(raw, 8)?.getBigInt64(0, true);
  if (long === undefined) return undefined;
  return isMillis(leaf) ? inLongRange(long * 1000n) : long;
}

function optionalBigInt(value: number | undefined): bigint | undefined {
  return value === undefined ? undefined : BigInt(value);
}

function compare(a: BoundValue, b: BoundValue): number {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'number' && typeof b === 'number') {
    return a < b || (a === 0 && b === 0 && Object.is(a, -0) && !Object.is(b, -0)) ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  throw new TypeError(`cannot compare bounds ${String(a)} and ${String(b)}`);
}

function encodeBounds(leaf: LeafColumn, [min, max]: [BoundValue, BoundValue]): [Uint8Array?, Uint8Array?] {
  const type = leaf.type;
  // String bounds stay the (already validated) UTF-8 bytes: code point order = byte order.
  const encode = (value: BoundValue): Uint8Array =>
    type === 'string' && value instanceof Uint8Array ? value : toSingleValue(type, value);
  let lower: Uint8Array;
  let upper: Uint8Array;
  try {
    lower = encode(min);
    upper = encode(max);
  } catch {
    // A statistic that does not fit the declared type (a decimal past its precision, a fixed of
    // the wrong length) says the writer's stats are wrong: give no bounds rather than wrong ones.
    return [];
  }
  return [
    truncateLowerBound(type, lower, BOUND_TRUNCATE_LENGTH),
    truncateUpperBound(type, upper, BOUND_TRUNCATE_LENGTH),
  ];
}
