/**
 * Where a table's files live, both as keys of the warehouse ObjectStore and as the absolute
 * URIs written into Iceberg metadata. Readers (PyIceberg, DuckDB, Spark) open the URIs; astha
 * reads and writes through the store, so every URI must map back to a key of the store.
 *
 * Layout under the table's key prefix (`<namespace>/<table>`):
 *   metadata/v<N>.metadata.json, metadata/version-hint.text (a bare integer),
 *   metadata/<uuid>-m0.avro (manifests), metadata/snap-<snapshot id>-<uuid>.avro (lists).
 *
 * Filesystem warehouses use `file:///abs/path` URIs (the store URL form): PyIceberg and
 * DuckDB's iceberg extension both read them (checked by the read-back tests).
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ObjectStore } from '../store/objectStore.js';
import { IcebergError } from './icebergError.js';

/** A table as the commit protocol addresses it. */
export interface TableRef {
  /** `<namespace>/<table>`: the table's key prefix in the warehouse store. */
  keyPrefix: string;
  /** Iceberg table location URI (`s3://bucket/warehouse/ns/table`). */
  location: string;
}

/** Joins a store URL or URI with a relative key. */
function join(base: string, key: string): string {
  return `${base.replace(/\/+$/, '')}/${key}`;
}

/** The table's location URI in `store` (what registration records as `tables.location`). */
export function tableLocationFor(store: ObjectStore, keyPrefix: string): string {
  return join(store.url, keyPrefix);
}

export function tableRefFor(store: ObjectStore, keyPrefix: string): TableRef {
  return { keyPrefix, location: tableLocationFor(store, keyPrefix) };
}

/** Absolute URI of a store key, as Iceberg metadata records it. */
export function uriOfKey(store: ObjectStore, key: string): string {
  return join(store.url, key);
}

const S3_ALIASES = /^s3[an]?:\/\//;

/**
 * The store key of an absolute URI found in Iceberg metadata. Accepts the forms other engines
 * write for the same object: `s3a://`/`s3n://` for `s3://`, and a plain absolute path or a
 * differently escaped `file:` URI for a filesystem store.
 */
export function keyOfUri(store: ObjectStore, uri: string): string {
  const root = `${store.url.replace(/\/+$/, '')}/`;
  if (uri.startsWith(root)) return uri.slice(root.length);
  if (root.startsWith('s3://') && S3_ALIASES.test(uri)) {
    const normalized = uri.replace(S3_ALIASES, 's3://');
    if (normalized.startsWith(root)) return normalized.slice(root.length);
  }
  if (root.startsWith('file:')) {
    const rootPath = `${fileURLToPath(root).replace(/\/+$/, '')}/`;
    const path = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
    if (path.startsWith(rootPath)) return path.slice(rootPath.length);
    if (pathToFileURL(path).href.startsWith(root)) return pathToFileURL(path).href.slice(root.length);
  }
  throw new IcebergError('invalid_metadata', `${uri} is outside the warehouse ${store.url}`, {
    details: { uri, warehouse: store.url },
  });
}

export function metadataDir(table: TableRef): string {
  return `${table.keyPrefix}/metadata`;
}

export function metadataKey(table: TableRef, version: number): string {
  return `${metadataDir(table)}/v${version}.metadata.json`;
}

export function versionHintKey(table: TableRef): string {
  return `${metadataDir(table)}/version-hint.text`;
}

/** The URI recorded in `metadata-log` and the registry for version `version`. */
export function metadataUri(table: TableRef, version: number): string {
  return join(table.location, `metadata/v${version}.metadata.json`);
}

/** A never-reused key for a manifest (names are unique so retries never overwrite). */
export function newManifestKey(table: TableRef): string {
  return `${metadataDir(table)}/${randomUUID()}-m0.avro`;
}

export function newManifestListKey(table: TableRef, snapshotId: bigint): string {
  return `${metadataDir(table)}/snap-${snapshotId}-${randomUUID()}.avro`;
}

/** Metadata file keys to URIs under the table location (the store and location agree). */
export function uriInTable(table: TableRef, key: string): string {
  const prefix = `${table.keyPrefix}/`;
  if (!key.startsWith(prefix)) {
    throw new IcebergError('invalid_metadata', `${key} is not under table ${table.keyPrefix}`);
  }
  return join(table.location, key.slice(prefix.length));
}

/** The version number in a `v<N>.metadata.json` URI or key, or undefined. */
export function versionOfMetadataFile(name: string): number | undefined {
  const match = /(?:^|\/)v(\d+)\.metadata\.json$/.exec(name);
  return match ? Number(match[1]) : undefined;
}
