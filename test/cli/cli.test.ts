/**
 * The `astha` command as a person uses it: the README's first command on an empty directory
 * gives a committed table that DuckDB reads; read commands answer in text and --json; user
 * mistakes are one line and exit code 2, never a stack trace.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTables } from '../conformance/readers.js';
import { ordersParquet } from '../registry/parquetFiles.js';
import { type Run, runAstha, putWarehouseFile } from './runAstha.js';

let cwd: string;

function astha(args: string[], timeoutMs?: number): Promise<Run> {
  return runAstha(cwd, args, timeoutMs);
}

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'astha-cli-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('astha CLI', () => {
  it('start on an empty directory commits the sample table, and DuckDB reads it', {
    timeout: 120_000,
  }, async () => {
    const run = await astha(['start', '--until-idle', '--timeout', '90', '--port', '0']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('wrote a sample table demo.trips');
    const location = /committed demo\.trips: 600 rows in 3 files, (\S+)/.exec(run.stdout)?.[1];
    expect(location).toMatch(/^file:\/\/.*\/demo\/trips\/metadata\/v\d+\.metadata\.json$/);
    // The catalog way first, the metadata path as the fallback.
    expect(run.stdout).toMatch(/catalog {4}http:\/\/127\.0\.0\.1:\d+ \(Iceberg REST catalog\)/);
    expect(run.stdout).toMatch(
      /ATTACH 'astha' AS astha \(TYPE iceberg, ENDPOINT 'http:\/\/127\.0\.0\.1:\d+'/,
    );
    expect(run.stdout).toContain('catalog.load_table("demo.trips")');
    expect(run.stdout.indexOf('ATTACH')).toBeLessThan(run.stdout.indexOf("iceberg_scan('"));
    expect(run.stdout).toContain("iceberg_scan('");
    const [duck, py] = await readTables([
      { mode: 'duckdb', metadata: location! },
      { mode: 'pyiceberg', metadata: location! },
    ]);
    expect(duck?.error).toBeUndefined();
    expect(duck?.rows).toBe(600);
    expect(py?.rows).toBe(600);
    expect(duck?.checksum).toBe(py?.checksum);
  });

  it('answers tables, show and status in text and JSON', { timeout: 60_000 }, async () => {
    const tables = await astha(['tables', '--json']);
    expect(tables.code).toBe(0);
    const listed = JSON.parse(tables.stdout) as {
      table: string;
      rows: number;
      files: number;
      pending: number;
    }[];
    expect(listed).toEqual([
      expect.objectContaining({ table: 'demo.trips', rows: 600, files: 3, pending: 0 }),
    ]);

    const show = await astha(['show', 'demo.trips', '--json']);
    const shown = JSON.parse(show.stdout) as {
      schema: { name: string }[];
      partitionFields: { name: string }[];
      snapshots: unknown[];
      query: { duckdb: string; pyiceberg: string; catalog: { pyiceberg: string } };
    };
    expect(shown.schema.map((f) => f.name)).toEqual(
      expect.arrayContaining(['trip_id', 'city', 'distance_km', 'fare', 'started_at', 'day']),
    );
    expect(shown.partitionFields.map((f) => f.name)).toEqual(['day']);
    expect(shown.snapshots.length).toBeGreaterThanOrEqual(1);
    expect(shown.query.pyiceberg).toContain('StaticTable.from_metadata');
    expect(shown.query.catalog.pyiceberg).toContain('catalog.load_table("demo.trips")');

    const text = await astha(['show', 'demo.trips']);
    expect(text.stdout).toMatch(
      /demo\.trips\s+\(active\) 600 rows in 3 committed files; 0 files \(0 rows\) pending/,
    );
    expect(text.stdout).toContain('partitioned by day (identity)');

    const changed = await astha(['properties', 'demo.trips', 'astha.commit.min-files=5', '--json']);
    expect(changed.code).toBe(0);
    expect(JSON.parse(changed.stdout)).toMatchObject({ 'astha.commit.min-files': '5' });
    const unset = await astha(['properties', 'demo.trips', '--unset', 'astha.commit.min-files', '--json']);
    expect(JSON.parse(unset.stdout)).not.toHaveProperty('astha.commit.min-files');
    const bad = await astha(['properties', 'demo.trips', 'Bad Key=1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^astha: invalid property name/);
    const wrong = await astha(['properties', 'demo.trips', 'astha.commit.min-files=abc', 'format-version=3']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /min-files must be a positive integer, not "abc"; format-version is reserved/,
    );

    const status = await astha(['status', '--json']);
    const parsed = JSON.parse(status.stdout) as {
      tables: number;
      files: Record<string, number>;
      cdc: { deadRows: number };
    };
    expect(parsed.tables).toBe(1);
    expect(parsed.files.committed).toBe(3);
  });

  it('backfill registers what is already there and reports rejects; register explains --sync without a runtime', {
    timeout: 90_000,
  }, async () => {
    putWarehouseFile(cwd, 'shop/orders/data/a.parquet', ordersParquet(10));
    putWarehouseFile(cwd, 'shop/orders/data/b.parquet', ordersParquet(5, { firstId: 100 }));
    putWarehouseFile(cwd, 'shop/orders/data/broken.parquet', new TextEncoder().encode('PAR1 not really'));
    const backfill = await astha(['backfill', 'shop', '--json']);
    expect(backfill.code).toBe(0);
    expect(JSON.parse(backfill.stdout)).toMatchObject({ listed: 3, registered: 2, rejected: 1, failed: 0 });

    const again = await astha(['backfill', 'shop']);
    // A rejected file is known too: its rejection (with the reason) is not repeated.
    expect(again.stdout).toMatch(/3 data files, 0 registered, 3 already known, 0 rejected/);

    const path = putWarehouseFile(cwd, 'shop/orders/data/c.parquet', ordersParquet(3, { firstId: 500 }));
    const sync = await astha(['register', path, '--sync', '--timeout', '1']);
    expect(sync.code).toBe(1);
    expect(sync.stdout).toMatch(/not committed: .*astha start/);

    // With no runtime running, a manual snapshot commits the three pending files itself.
    const snapshot = await astha(['snapshot', 'shop.orders', '--json']);
    expect(snapshot.code).toBe(0);
    const made = JSON.parse(snapshot.stdout) as {
      committed: boolean;
      filesAdded: number;
      metadataLocation: string;
    };
    expect(made).toMatchObject({ committed: true, filesAdded: 3 });
    const [read] = await readTables([{ mode: 'pyiceberg', metadata: made.metadataLocation }]);
    expect(read?.rows).toBe(18);
  });

  it('turns user mistakes into one line and exit code 2', { timeout: 60_000 }, async () => {
    // Each spawn costs seconds: one mistake of each kind (unknown table, unknown command, bad flag).
    for (const args of [['show', 'no.such'], ['frobnicate'], ['status', '--bogus']]) {
      const run = await astha(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n')[0]).toMatch(/^astha: /);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
