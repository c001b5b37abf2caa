/**
 * Registration verifies what it registers (issue 14 items 1, 2, 4, 5): files other tools wrote
 * (pyarrow), broken in ways the footer does not show, land in one batch beside good ones. Each
 * bad one is rejected with its reason, alone; the good ones commit, and PyIceberg and DuckDB read
 * exactly the good rows afterwards.
 */
import { closeSync, openSync, readFileSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addSummaries, readTables, seen, writeFiles, type WriteReport } from '../conformance/readers.js';
import { commitAll, tableId } from '../conformance/astha.js';
import { openWarehouse, type Warehouse } from '../conformance/warehouse.js';
import type { S3ObjectRef } from '../../lib/registry/planRegistration.js';
import { MemoryStore } from '../../lib/store/memoryStore.js';
import { ordersParquet } from './parquetFiles.js';
import { freshRegistry } from './registryBackends.js';
import {
  flippedPageBody,
  garbledPageHeader,
  withNumRows,
  withoutLeadingMagic,
} from '../parquet/corruptParquet.js';

const DIR = 'shop/orders/data';
let warehouse: Warehouse;
let written: WriteReport;

beforeAll(async () => {
  warehouse = await openWarehouse('fs');
  const file = (name: string, seed: number, extra: object = {}) =>
    ({ dir: DIR, name, profile: 'simple', rows: 300, seed, ...extra }) as const;
  written = await writeFiles(warehouse.stage, [
    file('good-1.parquet', 1),
    file('good-2.parquet', 2, { compression: 'zstd', data_page_version: '2.0' }),
    file('header.parquet', 3),
    file('gzip-body.parquet', 4, { compression: 'gzip' }),
    file('crc-body.parquet', 5, { compression: 'none', page_checksum: true }),
    file('magic.parquet', 6),
    file('negative.parquet', 7),
    file('rows.parquet', 8),
  ]);
}, 60_000);
afterAll(() => warehouse?.close());

const path = (name: string) => join(warehouse.stage, DIR, name);
const rewrite = async (name: string, change: (good: Uint8Array) => Uint8Array | Promise<Uint8Array>) =>
  writeFileSync(path(name), await change(new Uint8Array(readFileSync(path(name)))));

/** A file declaring a footer of 1.2 GiB that really is that far from its end (sparse on disk). */
function hugeFooterFile(name: string): void {
  const footerLength = Math.floor(1.2 * 1024 ** 3);
  const fd = openSync(path(name), 'w');
  writeSync(fd, Buffer.from('PAR1'), 0, 4, 0);
  const size = footerLength + 4 + 8 + 1024;
  ftruncateSync(fd, size);
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(footerLength, 0);
  tail.write('PAR1', 4, 'latin1');
  writeSync(fd, tail, 0, 8, size - 8);
  closeSync(fd);
}

describe('registration verifies the file, not only its footer', () => {
  test('each broken file is rejected with its reason; the good ones in the same batch commit and read back', async () => {
    await rewrite('header.parquet', garbledPageHeader);
    await rewrite('gzip-body.parquet', (good) => flippedPageBody(good));
    await rewrite('crc-body.parquet', (good) => flippedPageBody(good, 1));
    await rewrite('magic.parquet', withoutLeadingMagic);
    await rewrite('negative.parquet', (good) => withNumRows(good, -5));
    await rewrite('rows.parquet', (good) => withNumRows(good, 1_000_000_000));
    hugeFooterFile('footer.parquet');
    const names = [
      'good-1.parquet',
      'header.parquet',
      'gzip-body.parquet',
      'crc-body.parquet',
      'magic.parquet',
      'negative.parquet',
      'rows.parquet',
      'footer.parquet',
      'good-2.parquet',
    ];
    const rssBefore = process.memoryUsage().rss;
    const outcomes = await warehouse.land(names.map((name) => `${DIR}/${name}`));
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    const byName = Object.fromEntries(outcomes.map((o, i) => [names[i]!, o]));
    const reason = (name: string) => {
      const outcome = byName[name];
      return outcome?.status === 'rejected' ? outcome.reason : `not rejected: ${outcome?.status}`;
    };
    expect(byName['good-1.parquet']?.status).toBe('registered');
    expect(byName['good-2.parquet']?.status).toBe('registered');
    expect(reason('header.parquet')).toMatch(
      /cannot read Parquet data: .*column "id" \(row group 0\).*page header/,
    );
    expect(reason('gzip-body.parquet')).toMatch(/GZIP page does not decompress/);
    expect(reason('crc-body.parquet')).toMatch(/CRC-32 does not match/);
    expect(reason('magic.parquet')).toMatch(/ends with "PAR1" but starts with "XXXX"/);
    expect(reason('negative.parquet')).toMatch(/num_rows is -5/);
    expect(reason('rows.parquet')).toMatch(/num_rows is 1000000000 but its 1 row group\(s\) hold 300/);
    expect(reason('footer.parquet')).toMatch(/footer of 1288490188 bytes is above the .* limit.* not read/);
    // The 1.2 GiB footer was not read (the old code allocated it whole).
    expect(rssGrowth).toBeLessThan(256 * 1024 * 1024);

    const id = await tableId(warehouse, 'shop', 'orders');
    const committed = await commitAll(warehouse, id);
    expect(committed.filesAdded).toBe(2);
    const good = written.files.filter((f) => f.path.includes('/good-'));
    const metadata = committed.metadataLocation;
    const loaded = await readTables([
      { mode: 'pyiceberg', metadata },
      { mode: 'duckdb', metadata },
    ]);
    const expected = addSummaries(good);
    expect(loaded.map(seen)).toEqual([expected, expected]);
  }, 120_000);
});

describe('a footer whose num_rows is negative', () => {
  test('is rejected alone: the good file of the same batch registers and the table counts only its rows', async () => {
    // Before, the negative count reached tables.row_count, whose CHECK (row_count >= 0) failed
    // the batch's transaction: every file of the invocation failed with it, on every retry.
    const registry = await freshRegistry('file');
    const store = new MemoryStore();
    const files = {
      'sales/orders/data/good.parquet': ordersParquet(8),
      'sales/orders/data/negative.parquet': withNumRows(ordersParquet(4, { firstId: 100 }), -1000),
    };
    const events: S3ObjectRef[] = [];
    for (const [key, bytes] of Object.entries(files)) {
      const info = await store.put(key, bytes);
      events.push({ bucket: 'lake', key, size: info.size, etag: info.etag });
    }
    const outcomes = await registry.registerBatch(events, store);
    expect(outcomes.map((o) => o.status)).toEqual(['registered', 'rejected']);
    expect(outcomes[1]).toMatchObject({ reason: expect.stringMatching(/num_rows is -1000/) });
    expect(await registry.tableByName('sales', 'orders')).toMatchObject({ row_count: 8, file_count: 1 });
    registry.close();
  });
});
