/**
 * verifyParquetData on files other tools wrote (pyarrow: every codec registration accepts, data
 * pages v1 and v2, page CRCs, nested and repeated columns) and on the same files broken inside
 * their pages with the footer intact; and its reads: forward, bounded by the window.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readParquetFooter } from '../../lib/parquet/parquetFooter.js';
import { memoryAsyncBuffer } from '../../lib/parquet/storeAsyncBuffer.js';
import { verifyParquetData } from '../../lib/parquet/verifyParquetData.js';
import { type FileSpec, writeFiles } from '../conformance/readers.js';
import { firstDataPage, flippedPageBody, garbledPageHeader } from './corruptParquet.js';

const CODECS = ['none', 'snappy', 'gzip', 'zstd', 'brotli', 'lz4'] as const;
let dir: string;
const files = new Map<string, Uint8Array>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'astha-verify-'));
  const specs: FileSpec[] = CODECS.flatMap((compression) => [
    {
      dir: 'v1',
      name: `${compression}.parquet`,
      profile: 'types',
      rows: 2000,
      seed: 1,
      row_group_size: 700,
      compression,
    },
    {
      dir: 'v2',
      name: `${compression}.parquet`,
      profile: 'types',
      rows: 2000,
      seed: 2,
      row_group_size: 700,
      compression,
      data_page_version: '2.0',
      page_checksum: true,
    },
  ]);
  const report = await writeFiles(dir, specs);
  for (const file of report.files) files.set(file.path, new Uint8Array(readFileSync(join(dir, file.path))));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function verify(bytes: Uint8Array, windowBytes?: number) {
  const footer = await readParquetFooter(memoryAsyncBuffer(bytes));
  const reads: [number, number][] = [];
  const report = await verifyParquetData(
    footer,
    bytes.length,
    async (start, end) => {
      reads.push([start, end]);
      return bytes.slice(start, end);
    },
    windowBytes === undefined ? {} : { windowBytes },
  );
  return { report, reads, footer };
}

describe('verifyParquetData', () => {
  test.each(['v1', 'v2'])(
    'pyarrow files of every codec pass (%s pages, nested and repeated columns)',
    async (pages) => {
      for (const codec of CODECS) {
        const bytes = files.get(`${pages}/${codec}.parquet`)!;
        const { report, footer } = await verify(bytes);
        const chunks = footer.rowGroups.reduce((n, g) => n + g.columns.length, 0);
        expect(footer.rowGroups).toHaveLength(3);
        expect(report.pages).toBeGreaterThanOrEqual(chunks);
      }
    },
  );

  test('reads go forward in windows of the given size: memory stays bounded whatever the file size', async () => {
    const bytes = files.get('v1/none.parquet')!;
    const window = 16 * 1024;
    const { reads, report } = await verify(bytes, window);
    expect(reads.length).toBeGreaterThan(3);
    for (let i = 1; i < reads.length; i++) expect(reads[i]![0]).toBeGreaterThanOrEqual(reads[i - 1]![0]);
    // A window, or one page where a page is bigger (pyarrow pages here are far below 1 MiB).
    for (const [start, end] of reads) expect(end - start).toBeLessThanOrEqual(Math.max(window, 1024 * 1024));
    // One pass: every byte of the data read about once.
    expect(report.bytesRead).toBeLessThan(bytes.length * 1.1);
  });

  test.each(CODECS)('a garbled page header in a %s file is corrupt_data naming the column', async (codec) => {
    const bad = await garbledPageHeader(files.get(`v1/${codec}.parquet`)!);
    await expect(verify(bad)).rejects.toMatchObject({
      code: 'corrupt_data',
      message: expect.stringMatching(/column "\w+" \(row group 0\) at byte \d+: page header/),
    });
  });

  // Without a page CRC only a codec with its own checksum is sure to notice flipped bytes (GZIP's
  // trailer); SNAPPY, LZ4, BROTLI and ZSTD (pyarrow writes no frame checksum) may still inflate.
  test('inverted bytes inside a GZIP page without CRC do not decompress', async () => {
    const good = files.get('v1/gzip.parquet')!;
    const page = await firstDataPage(good);
    const bad = await flippedPageBody(good, Math.min(64, Math.floor(page.compressedSize / 3)));
    await expect(verify(bad)).rejects.toMatchObject({ code: 'corrupt_data' });
  });

  test.each(CODECS)('one flipped byte in a %s page with a CRC fails the CRC', async (codec) => {
    const bad = await flippedPageBody(files.get(`v2/${codec}.parquet`)!, 1);
    await expect(verify(bad)).rejects.toMatchObject({
      code: 'corrupt_data',
      message: expect.stringMatching(/CRC-32/),
    });
  });

  test('a page whose size runs past its chunk, and value counts that do not add up, are caught', async () => {
    const good = files.get('v1/none.parquet')!;
    const page = await firstDataPage(good);
    const footer = await readParquetFooter(memoryAsyncBuffer(good));
    const read = async (start: number, end: number) => good.slice(start, end);
    const chunk = footer.rowGroups[0]!.columns[0]!;
    const shortChunk = {
      ...footer,
      rowGroups: [
        { ...footer.rowGroups[0]!, columns: [{ ...chunk, totalCompressedSize: page.headerLength + 1 }] },
      ],
    };
    await expect(verifyParquetData(shortChunk, good.length, read)).rejects.toThrow(/runs past the chunk end/);
    const moreRows = { ...footer, rowGroups: [{ ...footer.rowGroups[0]!, numRows: 701, columns: [chunk] }] };
    await expect(verifyParquetData(moreRows, good.length, read)).rejects.toThrow(
      /hold 700 values for 701 rows/,
    );
  });
});
