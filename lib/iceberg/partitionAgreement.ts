/**
 * Whether a file's own values of a partition column agree with its Hive path (`dt=2024-01-01/`
 * holding only dt = 2024-01-01). A file that contradicts its path would be filed under the
 * path's partition while its rows say otherwise, so every filter on the column misses them.
 *
 * Checked from the footer's column statistics alone (no data read): the column's bounds must
 * both be the path value (compared as Iceberg single values, truncated like the bounds are), and
 * its null count must fit (no nulls under a value, no values under Hive's null marker). A column
 * whose writer left no statistics cannot be checked this way and is accepted: the manifest then
 * carries the path's value, which is what readers prune by. Pure: no I/O.
 */
import type { ColumnStats } from '../parquet/statsFromParquet.js';
import type { PartitionSegment } from '../layout/warehousePath.js';
import { partitionValueFromPath, partitionValueToJson } from './partitionValues.js';
import {
  fromSingleValue,
  toSingleValue,
  truncateLowerBound,
  truncateUpperBound,
} from './spec/singleValue.js';
import { isPrimitive, type PrimitiveType, type Schema } from './spec/types.js';
import { BOUND_TRUNCATE_LENGTH } from '../parquet/statsFromParquet.js';

/** The first contradiction between the file's partition columns and its path, or undefined. */
export function partitionContradiction(
  fileSchema: Schema,
  columns: readonly ColumnStats[],
  partitions: readonly PartitionSegment[],
): string | undefined {
  for (const partition of partitions) {
    const field = fileSchema.fields.find((f) => f.name === partition.column);
    if (!field || !isPrimitive(field.type)) continue;
    const stats = columns.find((c) => c.fieldId === field.id && c.path.length === 1);
    if (!stats) continue;
    const problem = columnProblem(field.type, stats, partition);
    if (problem)
      return `the file's own "${partition.column}" values contradict its path ${partition.column}=${partition.raw}: ${problem}`;
  }
  return undefined;
}

function columnProblem(
  type: PrimitiveType,
  stats: ColumnStats,
  partition: PartitionSegment,
): string | undefined {
  let value: unknown;
  try {
    value = partitionValueFromPath(type, partition.raw);
  } catch {
    // A value that does not parse as the column's type is refused elsewhere, with that reason.
    return undefined;
  }
  const nonNull =
    stats.valueCount !== undefined && stats.nullCount !== undefined
      ? stats.valueCount - stats.nullCount
      : undefined;
  if (value === null)
    return nonNull ? `it holds ${nonNull} non-null value(s) under the null partition` : undefined;
  if (stats.nullCount) return `it holds ${stats.nullCount} null(s)`;
  const exact = toSingleValue(type, value);
  const lower = truncateLowerBound(type, exact, BOUND_TRUNCATE_LENGTH);
  const upper = truncateUpperBound(type, exact, BOUND_TRUNCATE_LENGTH);
  const sameAs = (a: Uint8Array | undefined, b: Uint8Array | undefined) =>
    a === undefined || b === undefined || Buffer.from(a).equals(Buffer.from(b));
  if (sameAs(stats.lower, lower) && sameAs(stats.upper, upper)) return undefined;
  return `it holds values from ${shown(type, stats.lower)} to ${shown(type, stats.upper)}`;
}

function shown(type: PrimitiveType, bytes: Uint8Array | undefined): string {
  if (bytes === undefined) return '(unknown)';
  try {
    return JSON.stringify(partitionValueToJson(type, fromSingleValue(type, bytes)));
  } catch {
    return Buffer.from(bytes).toString('hex');
  }
}
