/**
 * Rejected files are shown with their reasons: `rejections` (text and --json), `status`,
 * `show`, and `register` of a file rejected before; `tables` keeps pending files apart from
 * committed ones; `backfill` says nothing commits until astha runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersParquet } from '../registry/parquetFiles.js';
import { runAstha, putWarehouseFile } from './runAstha.js';

let cwd: string;

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'astha-rejections-'));
  putWarehouseFile(cwd, 'shop/orders/data/a.parquet', ordersParquet(10));
  putWarehouseFile(cwd, 'shop/orders/data/broken.parquet', new TextEncoder().encode('PAR1 not really'));
  putWarehouseFile(cwd, 'lost/table/data/x.parquet', new TextEncoder().encode('nothing'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('rejected files and their reasons', () => {
  it('backfill registers, says nothing commits yet; tables keeps pending apart', {
    timeout: 60_000,
  }, async () => {
    const backfill = await runAstha(cwd, ['backfill']);
    expect(backfill.code).toBe(0);
    expect(backfill.stdout).toMatch(/3 data files, 1 registered, 0 already known, 2 rejected/);
    expect(backfill.stdout).toContain('the reasons: astha rejections');
    expect(backfill.stdout).toMatch(/until then nothing commits/);

    const tables = await runAstha(cwd, ['tables', '--json']);
    expect(JSON.parse(tables.stdout)).toEqual([
      expect.objectContaining({
        table: 'shop.orders',
        rows: 0,
        files: 0,
        pending: 1,
        pendingRows: 10,
        rejected: 1,
      }),
    ]);
  });

  it('register of a file rejected before says so, with the reason, and exits 1', {
    timeout: 30_000,
  }, async () => {
    const run = await runAstha(cwd, [
      'register',
      join(cwd, 'warehouse/shop/orders/data/broken.parquet'),
      '--json',
    ]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual([
      expect.objectContaining({
        status: 'previously rejected',
        detail: expect.stringMatching(/^rejected when first registered: cannot read Parquet footer/),
      }),
    ]);
  });

  it('lists rejections in rejections, status and show', { timeout: 60_000 }, async () => {
    const listed = await runAstha(cwd, ['rejections', '--json']);
    expect(listed.code).toBe(0);
    const rejections = JSON.parse(listed.stdout) as {
      kind: string;
      table: string | null;
      key: string;
      reason: string;
    }[];
    expect(rejections).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'file',
          table: 'shop.orders',
          key: 'shop/orders/data/broken.parquet',
        }),
        expect.objectContaining({ kind: 'object', table: null, key: 'lost/table/data/x.parquet' }),
      ]),
    );
    expect(rejections.every((r) => r.reason.startsWith('cannot read Parquet footer'))).toBe(true);

    const status = await runAstha(cwd, ['status']);
    expect(status.stdout).toMatch(
      /shop\.orders {2}shop\/orders\/data\/broken\.parquet: cannot read Parquet footer/,
    );
    expect(status.stdout).toMatch(/rejected +1 files in tables, 1 objects outside any table/);

    const show = await runAstha(cwd, ['show', 'shop.orders']);
    expect(show.stdout).toMatch(
      /rejected files[^\n]*\n {2}shop\/orders\/data\/broken\.parquet: cannot read Parquet footer/,
    );
  });
});
