/**
 * `astha start --until-idle` means scanned, drained and committed: files added and deleted while
 * astha was stopped are in the table when a later `--until-idle` run exits.
 */
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersParquet } from '../registry/parquetFiles.js';
import { runAstha, putWarehouseFile } from './runAstha.js';

let cwd: string;

async function tables(): Promise<{ table: string; rows: number; files: number; pending: number }[]> {
  return JSON.parse((await runAstha(cwd, ['tables', '--json'])).stdout);
}

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'astha-idle-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('astha start --until-idle on an existing registry', () => {
  it('picks up files added and deleted while astha was stopped', { timeout: 120_000 }, async () => {
    const first = putWarehouseFile(cwd, 'shop/orders/data/a.parquet', ordersParquet(10));
    const run1 = await runAstha(cwd, ['start', '--no-sample', '--until-idle', '--timeout', '40']);
    expect(run1.code, run1.stderr).toBe(0);
    expect(await tables()).toEqual([expect.objectContaining({ table: 'shop.orders', rows: 10, files: 1 })]);

    // Stopped: one file lands, the first one goes.
    putWarehouseFile(cwd, 'shop/orders/data/b.parquet', ordersParquet(7, { firstId: 100 }));
    putWarehouseFile(cwd, 'shop/orders/data/c.parquet', ordersParquet(3, { firstId: 200 }));
    unlinkSync(first);
    const run2 = await runAstha(cwd, ['start', '--no-sample', '--until-idle', '--timeout', '40']);
    expect(run2.code, run2.stderr).toBe(0);
    expect(run2.stdout).toContain('committed shop.orders: 10 rows in 2 files');
    expect(await tables()).toEqual([
      expect.objectContaining({ table: 'shop.orders', rows: 10, files: 2, pending: 0 }),
    ]);
  });
});
