/**
 * The one place that knows the warehouse layout:
 *
 *   [<warehouse prefix>/]<namespace>/<table>/data/[<col>=<value>/...]<name>.parquet
 *
 * A key maps to a namespace, a table, Hive-style identity partition values and a file name,
 * or to a reason it does not. Keys are already decoded from S3 event form (see
 * `decodeS3EventKey`); partition values are additionally Hive-escaped (`%2F` for `/`), which is
 * undone here, once.
 */

/**
 * Namespace, table and partition column names: lower-case ASCII letters, digits and `_`,
 * not starting with a digit, at most 128 characters. Strict on purpose: every Iceberg reader,
 * SQL engine and S3 console handles these names without quoting.
 */
export const IDENTIFIER_PATTERN = /^[a-z_][a-z0-9_]{0,127}$/;

/** The partition value Hive writes for null. */
export const HIVE_NULL_PARTITION = '__HIVE_DEFAULT_PARTITION__';

export interface PartitionSegment {
  column: string;
  /** The value as written in the key (still Hive-escaped). */
  raw: string;
  /** Unescaped value, or null for `__HIVE_DEFAULT_PARTITION__`. */
  value: string | null;
}

export interface WarehouseKey {
  namespace: string;
  table: string;
  /** `<namespace>/<table>`: where the table's objects live, relative to the warehouse prefix. */
  tablePrefix: string;
  /** The key below the warehouse prefix: the object's key in a store rooted at the warehouse. */
  path: string;
  partitions: PartitionSegment[];
  /** The partition segments joined by `/`, as in the key; '' when unpartitioned. */
  partitionPath: string;
  fileName: string;
}

export type KeyParse =
  | { kind: 'data'; key: WarehouseKey }
  /** Under a table but not a data file of it (its Iceberg metadata, written by astha). */
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string };

/**
 * Names a namespace or table may not have: the folders of a table. A table named `metadata`
 * would put its data files at `<ns>/metadata/data/…`, inside what the IAM grants on
 * `<prefix>*\/metadata/*` treat as Iceberg metadata (infra/warehouseAccess.ts), and a table named
 * `data` would put its metadata under `*\/data/*`. Partition directories are `<col>=<value>`
 * (a value cannot hold `/`), so no segment under `data/` is ever `metadata` or `data` either.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['metadata', 'data']);

/** Why `name` is not an acceptable identifier, or undefined when it is. */
export function identifierProblem(name: string, what: string): string | undefined {
  if (IDENTIFIER_PATTERN.test(name)) return undefined;
  return `${what} name ${JSON.stringify(name)} must match ${IDENTIFIER_PATTERN.source}`;
}

/** Why `name` cannot name a namespace or table: not an identifier, or a reserved folder name. */
export function tableNameProblem(name: string, what: 'namespace' | 'table'): string | undefined {
  if (RESERVED_NAMES.has(name))
    return `${what} name ${JSON.stringify(name)} is reserved (${[...RESERVED_NAMES].join(', ')} are a table's folders)`;
  return identifierProblem(name, what);
}

/** Normalises a warehouse prefix: no leading or trailing slashes; '' for the bucket root. */
export function normalizePrefix(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}

export function tableKeyPrefix(prefix: string, namespace: string, table: string): string {
  const root = normalizePrefix(prefix);
  return root === '' ? `${namespace}/${table}` : `${root}/${namespace}/${table}`;
}

/**
 * Maps an object key to its table and partition, or says why it cannot. The one rule for every
 * way a key reaches astha (S3 notifications, the local watcher, `astha register`, `backfill`):
 * `ignored` keys are never announced nor recorded (table metadata; hidden and temporary names
 * other tools leave beside data, such as `.part.crc`, `_SUCCESS`, `_temporary/`, and astha's
 * own `_astha-compacted-*.parq` outputs); `invalid` keys become recorded rejections.
 */
export function parseWarehouseKey(key: string, prefix: string): KeyParse {
  const root = normalizePrefix(prefix);
  if (root !== '' && !key.startsWith(`${root}/`)) {
    return { kind: 'invalid', reason: `key is outside the warehouse prefix "${root}/"` };
  }
  const rest = root === '' ? key : key.slice(root.length + 1);
  const segments = rest.split('/');
  if (segments.some((s) => s.startsWith('.') && s !== '.' && s !== '..')) {
    return { kind: 'ignored', reason: 'hidden name (a path segment starts with ".")' };
  }
  const unusable = keyCharacterProblem(rest, segments);
  if (unusable) return { kind: 'invalid', reason: unusable };
  const [namespace, table, area, ...tail] = segments;
  if (namespace === undefined || table === undefined || area === undefined || tail.length === 0) {
    return {
      kind: 'invalid',
      reason: 'key is not <namespace>/<table>/data/[<col>=<value>/...]<file>.parquet',
    };
  }
  const problem = tableNameProblem(namespace, 'namespace') ?? tableNameProblem(table, 'table');
  if (problem) return { kind: 'invalid', reason: problem };
  if (area === 'metadata') return { kind: 'ignored', reason: 'Iceberg metadata of the table' };
  if (area !== 'data')
    return { kind: 'invalid', reason: `expected "data/" under the table, found "${area}/"` };
  if (tail.some((s) => s.startsWith('_'))) {
    return {
      kind: 'ignored',
      reason:
        'temporary or marker name under data/ (a path segment starts with "_", e.g. _SUCCESS, _temporary/)',
    };
  }
  const fileName = tail[tail.length - 1]!;
  const partitions = parsePartitions(tail.slice(0, -1));
  if (typeof partitions === 'string') return { kind: 'invalid', reason: partitions };
  const nameProblem = fileNameProblem(fileName);
  if (nameProblem) return { kind: 'invalid', reason: nameProblem };
  return {
    kind: 'data',
    key: {
      namespace,
      table,
      tablePrefix: `${namespace}/${table}`,
      path: rest,
      partitions,
      partitionPath: tail.slice(0, -1).join('/'),
      fileName,
    },
  };
}

/** Whether the watcher and `backfill` hand a listed key to registration (anything not `ignored`). */
export function isRegistrationCandidate(key: string): boolean {
  return parseWarehouseKey(key, '').kind !== 'ignored';
}

/** Characters and segments no astha store can address (S3 allows a backslash; a directory does not). */
function keyCharacterProblem(key: string, segments: string[]): string | undefined {
  if (key.includes('\\'))
    return 'key contains a backslash, which astha refuses (a path separator to local stores and many tools)';
  if (key.includes('\0')) return 'key contains a NUL character';
  if (segments.some((s) => s === '')) return 'key has an empty path segment';
  if (segments.some((s) => s === '.' || s === '..')) return 'key has a "." or ".." segment';
  return undefined;
}

function fileNameProblem(fileName: string): string | undefined {
  if (fileName.endsWith('.parquet') && fileName !== '.parquet') return undefined;
  if (fileName.toLowerCase().endsWith('.parquet')) {
    return `file name ${JSON.stringify(fileName)} must end in lower-case .parquet (the suffix S3 notifications are filtered on); rename it`;
  }
  return `file name ${JSON.stringify(fileName)} does not end in .parquet`;
}

/** `col=value` segments, or the reason they are not valid. */
function parsePartitions(segments: string[]): PartitionSegment[] | string {
  const parsed: PartitionSegment[] = [];
  for (const segment of segments) {
    const eq = segment.indexOf('=');
    if (eq < 0) return `directory "${segment}" under data/ is not a <column>=<value> partition`;
    const column = segment.slice(0, eq);
    const raw = segment.slice(eq + 1);
    const problem = identifierProblem(column, 'partition column');
    if (problem) return problem;
    if (parsed.some((p) => p.column === column)) return `partition column "${column}" appears twice`;
    const value = unescapeHiveValue(raw);
    if (value === undefined) return `partition value "${raw}" of "${column}" has a malformed %-escape`;
    parsed.push({ column, raw, value: raw === HIVE_NULL_PARTITION ? null : value });
  }
  return parsed;
}

/** Undoes Hive's path escaping (`%XX` of UTF-8 bytes). Undefined when an escape is malformed. */
export function unescapeHiveValue(raw: string): string | undefined {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
