/**
 * Shared pieces of the commit tests: a registry on a temporary libSQL file, Parquet files
 * written with hyparquet-writer into a store and registered, and PyIceberg/DuckDB read-back.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadTable } from '../../../lib/iceberg/commit/loadTable.js';
import { ManifestEntryStatus } from '../../../lib/iceberg/spec/dataFile.js';
import { readManifest } from '../../../lib/iceberg/spec/manifest.js';
import { readManifestList } from '../../../lib/iceberg/spec/manifestList.js';
import { currentSnapshot } from '../../../lib/iceberg/spec/tableMetadata.js';
import { keyOfUri } from '../../../lib/iceberg/tableLocation.js';
import { openRegistry, type Registry } from '../../../lib/registry/registry.js';
import type { ObjectStore } from '../../../lib/store/objectStore.js';
import { ordersParquet } from '../../registry/parquetFiles.js';

export const BUCKET = 'warehouse';
const PYTHON = join(process.cwd(), '.venv/bin/python');
const READER = join(process.cwd(), 'test/iceberg/commit/readTable.py');

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function tempRegistry(dir: string): Promise<Registry> {
  return openRegistry(`file:${join(dir, 'registry.db')}`);
}

export interface WrittenFile {
  key: string;
  rows: number;
  /** Sum of the `id` column. */
  idSum: number;
}

/**
 * Writes `count` order files under `<prefix>/data/` (ids continue across files so every file's
 * ids are distinct) and registers them in one batch. Returns what was written.
 */
export async function addOrderFiles(
  registry: Registry,
  store: ObjectStore,
  options: {
    prefix?: string;
    count: number;
    rows?: number;
    firstId?: number;
    partition?: string;
    tag?: string;
  },
): Promise<WrittenFile[]> {
  const prefix = options.prefix ?? 'sales/orders';
  const rows = options.rows ?? 5;
  let firstId = options.firstId ?? 1;
  const written: WrittenFile[] = [];
  const refs = [];
  for (let i = 0; i < options.count; i++) {
    const partition = options.partition ? `${options.partition}/` : '';
    const key = `${prefix}/data/${partition}${options.tag ?? 'f'}-${firstId}.parquet`;
    const info = await store.put(key, ordersParquet(rows, { firstId }));
    refs.push({ bucket: BUCKET, key, size: info.size, etag: info.etag });
    written.push({ key, rows, idSum: rows * firstId + (rows * (rows - 1)) / 2 });
    firstId += rows;
  }
  for (let i = 0; i < refs.length; i += 500) {
    const outcomes = await registry.registerBatch(refs.slice(i, i + 500), store);
    const bad = outcomes.filter((o) => o.status !== 'registered');
    if (bad.length > 0) throw new Error(`registration failed: ${JSON.stringify(bad.slice(0, 3))}`);
  }
  return written;
}

export interface PyRead {
  rows: number;
  sum: number;
  files: string[];
  manifests: number;
  snapshots: number;
  summary: Record<string, string>;
  duckdb?: { rows: number; sum: number };
}

export async function readWithPyIceberg(
  metadataLocation: string,
  options: { endpoint?: string; duckdb?: boolean } = {},
): Promise<PyRead> {
  const args = [READER, metadataLocation, ...(options.endpoint ? [options.endpoint] : [])];
  const { stdout } = await promisify(execFile)(PYTHON, args, {
    env: { ...process.env, ASTHA_DUCKDB: options.duckdb ? '1' : '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as PyRead;
}

/** Counts of the table's files by registry state. */
export async function fileStates(registry: Registry, tableId: number): Promise<Record<string, number>> {
  const result = await registry.client.execute({
    sql: 'SELECT iceberg_state, count(*) AS n FROM table_files WHERE table_id = ? GROUP BY iceberg_state',
    args: [tableId],
  });
  return Object.fromEntries(result.rows.map((r) => [String(r.iceberg_state), Number(r.n)]));
}

/** Paths of every live data file of the table's current snapshot, read with astha's own reader. */
export async function liveFilePaths(store: ObjectStore, keyPrefix: string): Promise<string[]> {
  const table = { keyPrefix, location: `${store.url.replace(/\/+$/, '')}/${keyPrefix}` };
  const loaded = await loadTable(store, table);
  const snapshot = loaded ? currentSnapshot(loaded.metadata) : undefined;
  if (!snapshot) return [];
  const list = readManifestList(await store.get(keyOfUri(store, snapshot.manifestList)));
  const paths: string[] = [];
  for (const manifest of list.manifests) {
    for (const entry of readManifest(await store.get(keyOfUri(store, manifest.manifestPath))).entries) {
      if (entry.status !== ManifestEntryStatus.DELETED) paths.push(entry.dataFile.filePath);
    }
  }
  return paths;
}
