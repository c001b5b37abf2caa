/**
 * Another engine writing the same table: PyIceberg appends through a Hadoop-style catalog
 * (astha's own `v<N>.metadata.json` files), and the watcher then registers the data file it
 * wrote, as it does for any file under `data/`. astha commits on top of the foreign snapshots
 * but never adds a file one of them already holds (readers count every row once, the registry
 * agrees with the table), and the other engine's `decimal(18, 4)` spelling adds no schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createIcebergUpdater } from '../../lib/components/icebergUpdater.js';
import { createMetadataOrchestrator } from '../../lib/components/metadataOrchestrator.js';
import { silentLogger } from '../../lib/log.js';
import type { S3ObjectRef } from '../../lib/registry/planRegistration.js';
import { type Lake, openLake } from '../components/lakeFixture.js';
import { readTables, runPython } from '../conformance/readers.js';

const SCRIPT = join(process.cwd(), 'test', 'python', 'writers', 'foreign_append.py');

let lake: Lake | undefined;
afterEach(() => {
  lake?.close();
  lake = undefined;
});

const rows = (first: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ id: first + i, amount: `${first + i}.2500` }));

describe('another engine writing an astha table', () => {
  it('its files are never added twice and its decimal spelling adds no schema', async () => {
    lake = await openLake('fs');
    const open = lake;
    const root = fileURLToPath(`${open.store.url}/`);
    const deps = { registry: open.registry, store: open.store, logger: silentLogger() };
    const components = [createMetadataOrchestrator(deps), createIcebergUpdater(deps)];
    // Users' files, written by pyarrow; each is landed (registered) and delivered in its turn.
    const userFiles = { 'a.parquet': rows(1, 4), 'b.parquet': rows(10, 5), 'c.parquet': rows(20, 6) };
    await runPython(SCRIPT, {
      op: 'parquet',
      files: Object.entries(userFiles).map(([name, data]) => ({ path: join(root, '..', name), rows: data })),
    });
    const landUserFile = async (name: keyof typeof userFiles) => {
      await open.land(`shop/ledger/data/${name}`, readFileSync(join(root, '..', name)));
      await open.deliver(...components);
    };
    /** What the watcher does for every data file: register it (a second time is a duplicate). */
    const registerLikeTheWatcher = async (uri: string) => {
      const key = uri.slice(uri.indexOf('shop/ledger/data/'));
      const info = (await open.store.head(key))!;
      const ref: S3ObjectRef = { bucket: 'local', key, size: info.size, etag: info.etag };
      return (await open.registry.registerBatch([ref], open.store))[0]!;
    };
    const foreignAppend = (first: number, count: number) =>
      runPython<{ metadata: string; data_files: string[] }>(SCRIPT, {
        op: 'append',
        location: join(root, 'shop/ledger'),
        rows: rows(first, count),
      });

    await landUserFile('a.parquet');
    // 1: the foreign file is registered before astha commits again (pending, then adopted).
    const first = await foreignAppend(100, 3);
    const firstFile = first.data_files[0]!;
    const statuses = [(await registerLikeTheWatcher(firstFile)).status];
    await landUserFile('b.parquet');
    // 2: astha commits before the foreign file is registered (its row is made by the adoption).
    const second = await foreignAppend(200, 2);
    const secondFile = second.data_files.find((f) => !first.data_files.includes(f))!;
    await landUserFile('c.parquet');
    statuses.push((await registerLikeTheWatcher(secondFile)).status);
    statuses.push((await registerLikeTheWatcher(firstFile)).status);
    await open.deliver(...components);

    const table = (await open.registry.tableByName('shop', 'ledger'))!;
    const loaded = (await open.iceberg('shop', 'ledger'))!;
    expect(loaded.metadata.schemas).toHaveLength(1);
    const reads = await readTables([
      { mode: 'pyiceberg', metadata: loaded.metadataLocation },
      { mode: 'duckdb', metadata: loaded.metadataLocation },
    ]);
    expect(reads.map((r) => r.error ?? r.rows)).toEqual([20, 20]);
    expect(table.row_count).toBe(20);
    const files = await open.registry.client.execute({
      sql: "SELECT count(*) AS n FROM table_files WHERE table_id = ? AND iceberg_state = 'committed'",
      args: [table.id],
    });
    expect(Number(files.rows[0]!.n)).toBe(5);
    expect(statuses).toEqual(['registered', 'duplicate', 'duplicate']);
  }, 150_000);
});
