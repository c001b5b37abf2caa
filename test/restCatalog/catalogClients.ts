/**
 * The REST catalog as tests reach it: an in-process server over a conformance warehouse, and
 * the Python side (PyIceberg RestCatalog, DuckDB ATTACH) reading through it.
 */
import { join } from 'node:path';
import { silentLogger } from '../../lib/log.js';
import { type CatalogServer, startCatalogServer } from '../../lib/restCatalog/catalogServer.js';
import { createRestCatalog } from '../../lib/restCatalog/restCatalog.js';
import type { RowFilter, S3Access } from '../conformance/readers.js';
import { runPython } from '../conformance/readers.js';
import type { Warehouse } from '../conformance/warehouse.js';

export function serveWarehouse(warehouse: Warehouse, token?: string): Promise<CatalogServer> {
  const aws = warehouse.s3 ? { endpoint: warehouse.s3.endpoint, region: warehouse.s3.region } : {};
  const catalog = createRestCatalog({
    client: warehouse.registry.client,
    store: warehouse.store,
    aws,
    logger: silentLogger(),
  });
  return startCatalogServer({
    host: '127.0.0.1',
    port: 0,
    ...(token ? { token } : {}),
    catalog,
    logger: silentLogger(),
  });
}

export interface CatalogRead {
  mode: 'list' | 'pyiceberg' | 'duckdb';
  table?: string;
  filter?: RowFilter;
}

export interface CatalogReadResult {
  mode: string;
  rows?: number;
  checksum?: string;
  snapshots?: number;
  metadata_location?: string;
  planned_files?: number;
  namespaces?: string[][];
  tables?: Record<string, string[]>;
  error?: string;
  trace?: string;
}

const SCRIPT = join(process.cwd(), 'test', 'python', 'readers', 'read_catalog.py');

/** All reads in one Python process (PyIceberg is given only the S3 keys; DuckDB all settings). */
export async function readThroughCatalog(uri: string, reads: CatalogRead[], s3?: S3Access) {
  const output = await runPython<{ results: CatalogReadResult[] }>(SCRIPT, { uri, reads, s3 });
  return output.results;
}

/** What a scan saw, or its error so a failure shows it. */
export function scanned(result: CatalogReadResult | undefined) {
  if (!result) return { error: 'no result' };
  if (result.error !== undefined) return { error: `${result.error}\n${result.trace ?? ''}` };
  return { rows: result.rows, checksum: result.checksum };
}
