/**
 * Registration, phase 1 (I/O, no writes): map each S3 object to its table through the layout,
 * skip what is already registered, check the notification is not stale (HEAD), and read the
 * Parquet footer. Every object ends as a plan; nothing here throws for a bad object.
 */
import type { Client } from '@libsql/client';
import { AsthaError, errorMessage, StoreError } from '../errors.js';
import { normalizePrefix, parseWarehouseKey, type WarehouseKey } from '../layout/warehousePath.js';
import { inspectParquet, type ParquetInspection } from '../parquet/inspectParquet.js';
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
  const plans: RegistrationPlan[] = new Array(objects.length);
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const index = next++;
      const object = objects[index]!;
      plans[index] = await planOne(client, object, store, options).catch((error: unknown) => ({
        kind: 'failed' as const,
        object,
        error: asRetryable(error),
      }));
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 8, objects.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return plans;
}

function asRetryable(error: unknown): AsthaError {
  if (error instanceof AsthaError) return error;
  return new RegistryError('backend', `registration could not be planned: ${errorMessage(error)}`, {
    cause: error,
    retryable: true,
  });
}

async function planOne(
  client: Client,
  raw: S3ObjectRef,
  store: ObjectStore,
  options: RegistrationOptions,
): Promise<RegistrationPlan> {
  const object = { ...raw, etag: normalizeEtag(raw.etag) };
  const prefix = normalizePrefix(options.warehousePrefix ?? '');
  const parsed = parseWarehouseKey(object.key, prefix);
  if (parsed.kind === 'invalid') return { kind: 'outside', object, reason: parsed.reason };
  if (parsed.kind === 'ignored') return { kind: 'ignored', object, reason: parsed.reason };
  const path = parsed.key.path;
  const location: FileLocation = {
    key: parsed.key,
    path,
    uri: joinUri(store.url, path),
    tableLocation: joinUri(store.url, parsed.key.tablePrefix),
  };
  const known = await findRegistered(client, location, object.etag);
  if (known) return { kind: 'duplicate', object, ...known };
  const info = await store.head(path);
  if (!info) return { kind: 'ignored', object, reason: 'object no longer exists' };
  if (normalizeEtag(info.etag) !== object.etag) {
    return { kind: 'ignored', object, reason: `stale notification: the object now has ETag ${info.etag}` };
  }
  try {
    const inspection = await inspectParquet(store, path, info.size);
    return { kind: 'file', object: { ...object, size: info.size }, location, inspection };
  } catch (error) {
    if (error instanceof StoreError) {
      if (error.code === 'not_found') return { kind: 'ignored', object, reason: 'object no longer exists' };
      if (error.retryable || error.code === 'backend') throw error;
    }
    // Anything the reader throws about these bytes is a property of the file, not a reason to retry.
    return {
      kind: 'unreadable',
      object,
      location,
      reason: `cannot read Parquet footer: ${errorMessage(error)}`,
    };
  }
}

async function findRegistered(
  client: Client,
  location: FileLocation,
  etag: string,
): Promise<{ tableId: number; fileId: number } | undefined> {
  const result = await client.execute({
    sql: `SELECT f.id, f.table_id FROM table_files f
          JOIN tables t ON t.id = f.table_id JOIN namespaces n ON n.id = t.namespace_id
          WHERE n.name = ? AND t.name = ? AND f.path = ? AND f.etag = ?`,
    args: [location.key.namespace, location.key.table, location.path, etag],
  });
  const row = result.rows[0];
  return row ? { tableId: Number(row.table_id), fileId: Number(row.id) } : undefined;
}
