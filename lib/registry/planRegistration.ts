/**
 * Registration, phase 1 (I/O, no writes): map each S3 object to its table through the layout,
 * skip what is already registered, check the notification is not stale (HEAD), and read the
 * Parquet footer. Every object ends as a plan; nothing here throws for a bad object.
 */
import type { Client } from '@libsql/client';
import { AsthaError, errorMessage, StoreError } from '../errors.js';
import { normalizePrefix, parseWarehouseKey, type WarehouseKey } from '../layout/warehousePath.js';
import { inspectParquet, type ParquetInspection } from '../parquet/inspectParquet.js';
import { partitionContradiction } from '../iceberg/partitionAgreement.js';
import { ParquetError } from '../parquet/parquetError.js';
import { indexFieldsById, type StructType } from '../iceberg/spec/types.js';
import type { ObjectStore } from '../store/objectStore.js';
import { RegistryError } from './registryError.js';

/** An object as an S3 `ObjectCreated` notification names it (key already decoded). */
export interface S3ObjectRef {
  bucket: string;
  key: string;
  size: number;
  etag: string;
}

export interface RegistrationOptions {
  /** Key prefix the warehouse store is rooted at (`s3://bucket/<prefix>`); '' for the bucket root. */
  warehousePrefix?: string;
  /** Footer reads in flight at once. */
  concurrency?: number;
  /** Verify every data page, not only the footer (`verifyParquetData`); default true. */
  verifyData?: boolean;
}

/** Where a data file lives, in the terms the registry stores. */
export interface FileLocation {
  key: WarehouseKey;
  /** The object's key in the warehouse store (below the warehouse prefix). */
  path: string;
  /** Absolute URI, the Iceberg `data_file.file_path`. */
  uri: string;
  /** Iceberg table location. */
  tableLocation: string;
}

export type RegistrationPlan =
  | { kind: 'file'; object: S3ObjectRef; location: FileLocation; inspection: ParquetInspection }
  /** Under a table but unreadable: a rejected file row (or a rejection record if the table is new). */
  | { kind: 'unreadable'; object: S3ObjectRef; location: FileLocation; reason: string }
  /** Maps to no table: a rejection record. */
  | { kind: 'outside'; object: S3ObjectRef; reason: string }
  | { kind: 'duplicate'; object: S3ObjectRef; tableId: number; fileId: number }
  | { kind: 'ignored'; object: S3ObjectRef; reason: string }
  /** Could not be decided now (store unavailable): retry the notification. */
  | { kind: 'failed'; object: S3ObjectRef; error: AsthaError };

/** ETags arrive quoted from some APIs and bare from S3 events; the registry stores them bare. */
export function normalizeEtag(etag: string): string {
  return etag.replace(/^"(.*)"$/, '$1');
}

/** Joins a store URL (`s3://b/p/`, `file:///dir`) and a relative key. */
export function joinUri(storeUrl: string, key: string): string {
  return `${storeUrl.replace(/\/+$/, '')}/${key}`;
}

export async function planRegistrations(
  client: Client,
  objects: readonly S3ObjectRef[],
  store: ObjectStore,
  options: RegistrationOptions = {},
): Promise<RegistrationPlan[]> {
  const prefix = normalizePrefix(options.warehousePrefix ?? '');
  const plans: (RegistrationPlan | Located)[] = objects.map((raw) => locate(raw, prefix, store.url));
  const pending = plans.filter((p): p is Located => p.kind === 'located');
  let known: Map<string, { tableId: number; fileId: number }>;
  try {
    known = await findRegistered(client, pending);
  } catch (error) {
    return plans.map((p) =>
      p.kind === 'located' ? { kind: 'failed', object: p.object, error: asRetryable(error) } : p,
    );
  }
  let next = 0;
  const worker = async () => {
    while (next < plans.length) {
      const index = next++;
      const plan = plans[index]!;
      if (plan.kind !== 'located') continue;
      const registered = known.get(registeredKey(plan.location, plan.object.etag));
      plans[index] = registered
        ? { kind: 'duplicate', object: plan.object, ...registered }
        : await readFooter(plan, store, options.verifyData ?? true).catch((error: unknown) => ({
            kind: 'failed' as const,
            object: plan.object,
            error: asRetryable(error),
          }));
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 8, pending.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return plans as RegistrationPlan[];
}

/** An object mapped to a table file, not yet checked against the registry and the store. */
interface Located {
  kind: 'located';
  object: S3ObjectRef;
  location: FileLocation;
}

function asRetryable(error: unknown): AsthaError {
  if (error instanceof AsthaError) return error;
  return new RegistryError('backend', `registration could not be planned: ${errorMessage(error)}`, {
    cause: error,
    retryable: true,
  });
}

function locate(raw: S3ObjectRef, prefix: string, storeUrl: string): RegistrationPlan | Located {
  const object = { ...raw, etag: normalizeEtag(raw.etag) };
  const parsed = parseWarehouseKey(object.key, prefix);
  if (parsed.kind === 'invalid') return { kind: 'outside', object, reason: parsed.reason };
  if (parsed.kind === 'ignored') return { kind: 'ignored', object, reason: parsed.reason };
  const location: FileLocation = {
    key: parsed.key,
    path: parsed.key.path,
    uri: joinUri(storeUrl, parsed.key.path),
    tableLocation: joinUri(storeUrl, parsed.key.tablePrefix),
  };
  return { kind: 'located', object, location };
}

/**
 * A stale or vanished object is ignored; a file that cannot be read is a property of the file.
 * The object is read as the version the notification names (every GET `If-Match` its ETag,
 * with the size it gave): no HEAD first, and never the bytes of a later overwrite.
 */
async function readFooter(
  { object, location }: Located,
  store: ObjectStore,
  verifyData: boolean,
): Promise<RegistrationPlan> {
  try {
    const inspection = await inspectParquet(store, location.path, object.size, {
      verifyData,
      ifMatch: object.etag,
    });
    const v3Only = formatV3Columns(inspection.schema);
    if (v3Only.length > 0) {
      // astha writes format-version 2 tables, where these types do not exist: readers refuse the
      // whole table (PyIceberg and DuckDB both do), so the file stays out with the reason.
      return {
        kind: 'unreadable',
        object,
        location,
        reason: `column(s) ${v3Only.join(', ')} hold nanosecond timestamps, which need Iceberg format v3; astha writes v2 tables (write microseconds)`,
      };
    }
    const contradiction = partitionContradiction(
      inspection.schema,
      inspection.columns,
      location.key.partitions,
    );
    if (contradiction) return { kind: 'unreadable', object, location, reason: contradiction };
    return { kind: 'file', object, location, inspection };
  } catch (error) {
    if (error instanceof StoreError) {
      if (error.code === 'not_found') return { kind: 'ignored', object, reason: 'object no longer exists' };
      if (error.code === 'conflict') {
        return { kind: 'ignored', object, reason: `stale notification: ${errorMessage(error)}` };
      }
      if (error.retryable || error.code === 'backend') throw error;
    }
    return {
      kind: 'unreadable',
      object,
      location,
      reason: `cannot read Parquet ${error instanceof ParquetError && error.code === 'corrupt_data' ? 'data' : 'footer'}: ${errorMessage(error)}`,
    };
  }
}

const registeredKey = (location: FileLocation, etag: string) =>
  [location.key.namespace, location.key.table, location.path, etag].join('\u0000');

/** Which of the objects are already registered (any state): one query for the whole batch. */
async function findRegistered(
  client: Client,
  located: Located[],
): Promise<Map<string, { tableId: number; fileId: number }>> {
  const found = new Map<string, { tableId: number; fileId: number }>();
  if (located.length === 0) return found;
  const keys = located.map(({ location, object }) => [
    location.key.namespace,
    location.key.table,
    location.path,
    object.etag,
  ]);
  const result = await client.execute({
    sql: `SELECT n.name AS ns, t.name AS tbl, f.path, f.etag, f.id, f.table_id FROM json_each(?) j
          JOIN namespaces n ON n.name = j.value ->> 0
          JOIN tables t ON t.namespace_id = n.id AND t.name = j.value ->> 1
          JOIN table_files f ON f.table_id = t.id AND f.path = j.value ->> 2 AND f.etag = j.value ->> 3`,
    args: [JSON.stringify(keys)],
  });
  for (const row of result.rows) {
    const key = [row.ns, row.tbl, row.path, row.etag].map(String).join('\u0000');
    found.set(key, { tableId: Number(row.table_id), fileId: Number(row.id) });
  }
  return found;
}

/** Names of columns (nested ones too) whose type exists only in Iceberg format v3. */
function formatV3Columns(schema: StructType): string[] {
  return [...indexFieldsById(schema).values()]
    .filter((field) => field.type === 'timestamp_ns' || field.type === 'timestamptz_ns')
    .map((field) => field.name);
}
