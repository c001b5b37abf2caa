import { IcebergError } from '../icebergError.js';
import type { DataFile, PartitionValue } from './dataFile.js';
import { bindPartitionSpec, type PartitionSpec } from './partitionSpec.js';
import { toSingleValue } from './singleValue.js';
import { decimalParts, type PrimitiveType, type Schema } from './types.js';

/**
 * Partition summaries of a manifest (`partitions` of `manifest_file`, field 507): per
 * partition field, whether any file has a null or NaN value and the lowest and highest
 * other value in single-value binary (Appendix D), so scans can skip whole manifests.
 */
export interface FieldSummary {
  containsNull: boolean;
  containsNan?: boolean;
  lowerBound?: Uint8Array;
  upperBound?: Uint8Array;
}

export function summarizePartitions(
  spec: PartitionSpec,
  schema: Schema,
  dataFiles: DataFile[],
): FieldSummary[] {
  return bindPartitionSpec(spec, schema).map((field, i) =>
    summarize(
      field.resultType,
      dataFiles.map((f) => f.partition[i] ?? null),
    ),
  );
}

function summarize(type: PrimitiveType, values: PartitionValue[]): FieldSummary {
  let containsNull = false;
  let containsNan = false;
  let lower: PartitionValue = null;
  let upper: PartitionValue = null;
  for (const value of values) {
    if (value === null) containsNull = true;
    else if (typeof value === 'number' && Number.isNaN(value)) containsNan = true;
    else {
      if (lower === null || compareValues(type, value, lower) < 0) lower = value;
      if (upper === null || compareValues(type, value, upper) > 0) upper = value;
    }
  }
  const summary: FieldSummary = { containsNull, containsNan };
  if (lower !== null) summary.lowerBound = toSingleValue(type, lower);
  if (upper !== null) summary.upperBound = toSingleValue(type, upper);
  return summary;
}

const utf8 = new TextEncoder();

/** Iceberg's ordering: numbers numerically, strings by UTF-8 bytes, binary/fixed/uuid unsigned byte-wise. */
export function compareValues(type: PrimitiveType, a: PartitionValue, b: PartitionValue): number {
  if (typeof a === 'string' && typeof b === 'string') {
    // uuid strings are canonical lowercase hex, so byte order of the text is byte order of the uuid.
    const [x, y] = type === 'uuid' ? [a.toLowerCase(), b.toLowerCase()] : [a, b];
    return Buffer.compare(utf8.encode(x), utf8.encode(y));
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    if (decimalParts(type) || typeof a === 'bigint' || typeof b === 'bigint') {
      const [x, y] = [BigInt(a), BigInt(b)];
      return x < y ? -1 : x > y ? 1 : 0;
    }
    return Object.is(a, -0) && b === 0 ? -1 : a === 0 && Object.is(b, -0) ? 1 : a - b;
  }
  throw new IcebergError(
    'invalid_manifest',
    `cannot compare partition values ${String(a)} and ${String(b)} of type ${type}`,
  );
}
