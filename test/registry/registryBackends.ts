/**
 * Every registry test runs against a libSQL file and against sqld over HTTP, each test on an
 * empty database (a fresh sqld starts in well under a second).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { openRegistry, type Registry } from '../../lib/registry/registry.js';
import type { CdcLogRow } from '../../lib/registry/rows.js';
import { startSqld } from '../harness/services.js';

export const BACKENDS = ['file', 'sqld'] as const;
export type Backend = (typeof BACKENDS)[number];

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** An empty database of the given kind, removed after the test. */
export async function freshDatabaseUrl(backend: Backend): Promise<string> {
  if (backend === 'sqld') {
    const server = await startSqld();
    cleanups.push(() => server.stop());
    return server.url;
  }
  const dir = mkdtempSync(join(tmpdir(), 'astha-registry-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return `file:${join(dir, 'registry.db')}`;
}

const urls = new WeakMap<Registry, string>();

/** A migrated registry on an empty database, closed after the test. */
export async function freshRegistry(backend: Backend): Promise<Registry> {
  const url = await freshDatabaseUrl(backend);
  const registry = await openRegistry(url);
  urls.set(registry, url);
  cleanups.push(() => registry.close());
  return registry;
}

/** The URL `freshRegistry` opened, to open a second registry on the same database. */
export function urlOf(registry: Registry): string {
  const url = urls.get(registry);
  if (url === undefined) throw new Error('not a registry from freshRegistry');
  return url;
}

export interface DecodedLogRow {
  id: number;
  timestamp: string;
  tablename: string;
  operation: CdcLogRow['operation'];
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** The CDC rows written after log id `afterId`, images parsed. */
export async function cdcRowsAfter(registry: Registry, afterId = 0): Promise<DecodedLogRow[]> {
  const result = await registry.client.execute({
    sql: 'SELECT id, timestamp, tablename, operation, before, after FROM __cdc_log WHERE id > ? ORDER BY id',
    args: [afterId],
  });
  return result.rows.map((r) => ({
    id: Number(r.id),
    timestamp: String(r.timestamp),
    tablename: String(r.tablename),
    operation: String(r.operation) as CdcLogRow['operation'],
    before: r.before === null ? null : (JSON.parse(String(r.before)) as Record<string, unknown>),
    after: r.after === null ? null : (JSON.parse(String(r.after)) as Record<string, unknown>),
  }));
}

export async function lastCdcId(registry: Registry): Promise<number> {
  const result = await registry.client.execute('SELECT coalesce(max(id), 0) AS id FROM __cdc_log');
  return Number(result.rows[0]?.id);
}
