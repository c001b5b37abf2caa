/**
 * Real engines find astha's tables by name through its REST catalog: PyIceberg's RestCatalog
 * lists, loads and scans (with and without a partition filter), DuckDB ATTACHes the catalog
 * and SELECTs by name, and both read exactly the rows the Python writer wrote. On a file
 * warehouse the catalog is a separate `astha serve` process and the next commit comes from
 * other astha processes (`astha register` + `astha snapshot`); on LocalStack S3 the engines
 * get the S3 endpoint from the catalog's config.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogServer } from '../../lib/restCatalog/catalogServer.js';
import { asthaArgv, runAstha } from '../cli/runAstha.js';
import { landAndCommit } from '../conformance/astha.js';
import { type RowFilter, type WriteReport, writeFiles } from '../conformance/readers.js';
import { openWarehouse, type Warehouse } from '../conformance/warehouse.js';
import { freePort } from '../harness/services.js';
import { readThroughCatalog, scanned, serveWarehouse } from './catalogClients.js';

const DAY_2 = { column: 'day', op: '==', value: '2024-01-02' } satisfies RowFilter;

function dayFile(day: string, seed: number, rows: number) {
  return {
    dir: 'sales/orders/data',
    name: `part-${seed}.parquet`,
    partition: [['day', 'date', day]] as [string, 'date', string][],
    profile: 'simple' as const,
    rows,
    seed,
  };
}

async function writeDays(warehouse: Warehouse, days: [string, number, number][]): Promise<WriteReport> {
  return writeFiles(
    warehouse.stage,
    days.map(([day, seed, rows]) => dayFile(day, seed, rows)),
    [DAY_2],
  );
}

/** Starts `astha serve` as its own process on the warehouse's registry; resolves its URI. */
async function asthaServe(
  dir: string,
  registry: string,
  warehouse: string,
): Promise<{ child: ChildProcess; uri: string }> {
  const port = await freePort();
  const args = ['serve', '--port', String(port), '--registry', registry, '--warehouse', warehouse];
  // From the sources, as every CLI test runs it (a dist/ left by `npm pack` may be stale).
  const [node, ...nodeArgs] = asthaArgv();
  const child = spawn(node!, [...nodeArgs, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const uri = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /catalog at (http:\/\/\S+)/.exec(out);
      if (found) resolve(found[1]!);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('close', (code) => reject(new Error(`astha serve exited ${code}: ${err}${out}`)));
  });
  return { child, uri };
}

describe('REST catalog read by PyIceberg and DuckDB (file warehouse, astha serve)', () => {
  let warehouse: Warehouse;
  let serve: { child: ChildProcess; uri: string };
  let first: WriteReport;

  beforeAll(async () => {
    warehouse = await openWarehouse('fs');
    first = await writeDays(warehouse, [
      ['2024-01-01', 1, 40],
      ['2024-01-02', 2, 30],
      ['2024-01-03', 3, 20],
    ]);
    await landAndCommit(
      warehouse,
      'sales',
      'orders',
      first.files.map((f) => f.path),
    );
    const dir = join(warehouse.stage, '..');
    serve = await asthaServe(dir, `file:${join(dir, 'registry.db')}`, warehouse.stage);
  }, 120_000);

  afterAll(() => {
    serve?.child.kill('SIGTERM');
    warehouse?.close();
  });

  it('lists, loads and scans by name; a commit by other astha processes shows on reload', async () => {
    const before = await readThroughCatalog(serve.uri, [
      { mode: 'list' },
      { mode: 'pyiceberg', table: 'sales.orders' },
      { mode: 'pyiceberg', table: 'sales.orders', filter: DAY_2 },
      { mode: 'duckdb', table: 'sales.orders' },
      { mode: 'duckdb', table: 'sales.orders', filter: DAY_2 },
    ]);
    const [list, full, day2, duck, duckDay2] = before;
    expect(list).toMatchObject({ namespaces: [['sales']], tables: { sales: ['sales.orders'] } });
    expect(scanned(full)).toEqual({ rows: first.total.rows, checksum: first.total.checksum });
    expect(full!.planned_files).toBe(3);
    expect(scanned(day2)).toEqual(first.total.filters[0]);
    expect(day2!.planned_files).toBe(1);
    expect(scanned(duck)).toEqual({ rows: first.total.rows, checksum: first.total.checksum });
    expect(scanned(duckDay2)).toEqual(first.total.filters[0]);

    // Another file, registered and committed by two more astha processes on the same registry.
    const more = await writeDays(warehouse, [['2024-01-02', 4, 25]]);
    const dir = join(warehouse.stage, '..');
    const flags = ['--registry', `file:${join(dir, 'registry.db')}`, '--warehouse', warehouse.stage];
    const path = join(warehouse.stage, more.files[0]!.path);
    expect((await runAstha(dir, ['register', path, ...flags])).code).toBe(0);
    const snapshot = await runAstha(dir, ['snapshot', 'sales.orders', ...flags]);
    expect(snapshot.code, snapshot.stderr).toBe(0);

    const [after, afterDay2] = await readThroughCatalog(serve.uri, [
      { mode: 'pyiceberg', table: 'sales.orders' },
      { mode: 'pyiceberg', table: 'sales.orders', filter: DAY_2 },
    ]);
    expect(after!.snapshots).toBe(full!.snapshots! + 1);
    expect(after!.metadata_location).not.toBe(full!.metadata_location);
    const rows = first.total.rows + more.total.rows;
    const checksum = ((BigInt(first.total.checksum) + BigInt(more.total.checksum)) % 2n ** 64n).toString();
    expect(scanned(after)).toEqual({ rows, checksum });
    expect(afterDay2!.rows).toBe(first.total.filters[0]!.rows + more.total.rows);
  }, 120_000);
});

describe('REST catalog over a LocalStack S3 warehouse', () => {
  let warehouse: Warehouse;
  let server: CatalogServer;
  let written: WriteReport;

  beforeAll(async () => {
    warehouse = await openWarehouse('s3');
    written = await writeDays(warehouse, [
      ['2024-01-01', 5, 30],
      ['2024-01-02', 6, 20],
    ]);
    await landAndCommit(
      warehouse,
      'sales',
      'orders',
      written.files.map((f) => f.path),
    );
    server = await serveWarehouse(warehouse);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    warehouse?.close();
  });

  it('config gives engines the S3 region, endpoint and path-style addressing, and no credentials', async () => {
    const config = (await (await fetch(`${server.uri}/v1/config`)).json()) as {
      defaults: Record<string, string>;
    };
    expect(config.defaults).toEqual({
      's3.region': warehouse.s3!.region,
      'client.region': warehouse.s3!.region,
      's3.endpoint': warehouse.s3!.endpoint,
      's3.path-style-access': 'true',
    });
  });

  it('PyIceberg scans with the S3 endpoint the catalog config gives; DuckDB selects by name', async () => {
    const results = await readThroughCatalog(
      server.uri,
      [
        { mode: 'pyiceberg', table: 'sales.orders' },
        { mode: 'pyiceberg', table: 'sales.orders', filter: DAY_2 },
        { mode: 'duckdb', table: 'sales.orders' },
      ],
      warehouse.s3,
    );
    expect(scanned(results[0])).toEqual({ rows: written.total.rows, checksum: written.total.checksum });
    expect(scanned(results[1])).toEqual(written.total.filters[0]);
    expect(results[1]!.planned_files).toBe(1);
    expect(scanned(results[2])).toEqual({ rows: written.total.rows, checksum: written.total.checksum });
  }, 120_000);
});
