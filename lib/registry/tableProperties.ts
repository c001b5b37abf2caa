/**
 * Table properties: the registry's `table_metadata.properties_json` is their one source of truth.
 * `astha properties` writes there (checked against the known keys and their value types); every
 * component and command reads there (`readTableProperties`); the Iceberg table's properties are
 * a copy for other engines, brought in line by the metadata orchestrator and by every commit
 * astha makes, so a change made while nothing runs is never contradicted by stale metadata.
 */
import type { Client } from '@libsql/client';
import { DELETE_REPLACED_USER_FILES } from '../snapshotter/cleanupOrphans.js';
import { RegistryError } from './registryError.js';
import { writeTransaction } from './writeTransaction.js';

/** Iceberg-style keys: lower-case words joined by `.`, `-` or `_`. */
const PROPERTY_KEY = /^[a-z0-9]+([._-][a-z0-9]+)*$/;
const MAX_VALUE_LENGTH = 4096;

type ValueKind =
  | 'positive integer'
  | 'non-negative integer'
  | 'positive number'
  | 'fraction'
  | 'boolean'
  | 'codec'
  | 'file format';

/** The properties astha reads, with the values each accepts. */
export const KNOWN_PROPERTIES: Readonly<Record<string, ValueKind>> = {
  'astha.commit.min-files': 'positive integer',
  'astha.commit.min-bytes': 'positive integer',
  'astha.commit.max-age-seconds': 'positive number',
  'astha.compaction.enabled': 'boolean',
  'astha.compaction.min-input-files': 'positive integer',
  'astha.compaction.small-file-fraction': 'fraction',
  'astha.compaction.merge-ratio': 'positive number',
  'astha.compaction.manifest-min-count': 'positive integer',
  // A switch that hands astha something it would not otherwise do: a typo must not pass as false.
  [DELETE_REPLACED_USER_FILES]: 'boolean',
  'write.target-file-size-bytes': 'positive integer',
  'write.parquet.compression-codec': 'codec',
  'write.format.default': 'file format',
  'write.metadata.previous-versions-max': 'positive integer',
  'write.metadata.delete-after-commit.enabled': 'boolean',
  'astha.history.max-snapshots': 'positive integer',
  // 0 is meaningful for ages: expire a snapshot as soon as it is superseded.
  'history.expire.max-snapshot-age-ms': 'non-negative integer',
  'history.expire.min-snapshots-to-keep': 'positive integer',
  'history.expire.max-ref-age-ms': 'non-negative integer',
  'commit.manifest.target-size-bytes': 'positive integer',
  'commit.manifest.min-count-to-merge': 'positive integer',
  'commit.manifest-merge.enabled': 'boolean',
};

/**
 * Keys the Iceberg spec reserves (they describe the table, they do not configure it) and keys
 * astha writes itself from the schema: never set or removed by hand.
 */
const RESERVED_PROPERTIES = new Set([
  'format-version',
  'uuid',
  'snapshot-count',
  'current-snapshot-id',
  'current-snapshot-summary',
  'current-snapshot-timestamp-ms',
  'current-schema',
  'default-partition-spec',
  'default-sort-order',
  'schema.name-mapping.default',
]);

/** Iceberg's `write.parquet.compression-codec` values. */
const CODECS = new Set(['uncompressed', 'snappy', 'gzip', 'zstd', 'brotli', 'lz4', 'lzo']);

/** Why `key` (being set to `value`, or removed when `value` is undefined) is refused, or undefined. */
export function propertyProblem(key: string, value?: string): string | undefined {
  if (!PROPERTY_KEY.test(key))
    return `invalid property name ${JSON.stringify(key)} (lower-case words joined by . - or _)`;
  if (RESERVED_PROPERTIES.has(key))
    return `${key} is reserved: it describes the table and is written by astha, not set by hand`;
  const kind = KNOWN_PROPERTIES[key];
  if (value === undefined) return undefined;
  if (!kind && key.startsWith('astha.')) return `unknown astha property ${key}${suggestion(key)}`;
  if (value.length > MAX_VALUE_LENGTH) return `value of ${key} is longer than ${MAX_VALUE_LENGTH} characters`;
  if (kind && !fits(kind, value)) {
    const article = kind === 'boolean' ? '' : 'a ';
    return `${key} must be ${article}${describeKind(kind)}, not ${JSON.stringify(value)}`;
  }
  return undefined;
}

function fits(kind: ValueKind, value: string): boolean {
  switch (kind) {
    case 'positive integer':
      return /^[1-9]\d*$/.test(value) && Number.isSafeInteger(Number(value));
    case 'non-negative integer':
      return /^(0|[1-9]\d*)$/.test(value) && Number.isSafeInteger(Number(value));
    case 'positive number':
      return /^\d+(\.\d+)?$/.test(value) && Number(value) > 0;
    case 'fraction':
      return /^\d*(\.\d+)?$/.test(value) && Number(value) > 0 && Number(value) <= 1;
    case 'boolean':
      return value === 'true' || value === 'false';
    case 'codec':
      return CODECS.has(value.toLowerCase());
    case 'file format':
      return value === 'parquet';
  }
}

function describeKind(kind: ValueKind): string {
  if (kind === 'fraction') return 'fraction in (0, 1]';
  if (kind === 'boolean') return 'true or false';
  if (kind === 'codec') return `compression codec (${[...CODECS].join(', ')})`;
  if (kind === 'file format') return 'file format astha writes (parquet)';
  return kind;
}

/** ` (did you mean X?)` for a key one or two edits from a known one. */
function suggestion(key: string): string {
  let best: { name: string; distance: number } | undefined;
  for (const name of Object.keys(KNOWN_PROPERTIES)) {
    const distance = editDistance(key, name);
    if (distance <= 3 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best
    ? ` (did you mean ${best.name}?)`
    : ` (known: ${Object.keys(KNOWN_PROPERTIES)
        .filter((k) => k.startsWith('astha.'))
        .join(', ')})`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Table properties as stored in `properties_json`; bad JSON or non-string values read as absent. */
export function parseProperties(json: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    const properties: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string') properties[key] = value;
    return properties;
  } catch {
    return {};
  }
}

/** The table's properties, from the one place they are kept. */
export async function readTableProperties(
  client: Pick<Client, 'execute'>,
  tableId: number,
): Promise<Record<string, string>> {
  const result = await client.execute({
    sql: 'SELECT properties_json FROM table_metadata WHERE table_id = ?',
    args: [tableId],
  });
  const row = result.rows[0];
  return row ? parseProperties(String(row.properties_json)) : {};
}

/** Sets and removes properties in one transaction; returns the table's properties after. */
export async function updateTableProperties(
  client: Client,
  tableId: number,
  set: Readonly<Record<string, string>>,
  unset: readonly string[] = [],
): Promise<Record<string, string>> {
  const problems = [
    ...Object.entries(set).map(([key, value]) => propertyProblem(key, value)),
    ...unset.map((key) => propertyProblem(key)),
  ].filter((p): p is string => p !== undefined);
  if (problems.length > 0) throw new RegistryError('invalid_property', problems.join('; '));
  return writeTransaction(client, async (tx) => {
    const row = (
      await tx.execute({
        sql: 'SELECT properties_json FROM table_metadata WHERE table_id = ?',
        args: [tableId],
      })
    ).rows[0];
    if (!row) throw new RegistryError('not_found', `table ${tableId} has no metadata row`);
    const properties = parseProperties(String(row.properties_json));
    for (const key of unset) delete properties[key];
    Object.assign(properties, set);
    await tx.execute({
      sql: 'UPDATE table_metadata SET properties_json = ? WHERE table_id = ?',
      args: [JSON.stringify(properties), tableId],
    });
    return properties;
  });
}
