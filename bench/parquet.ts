/**
 * Footer read + Iceberg schema + column stats for a 50-column Parquet file on the local
 * filesystem, through the filesystem ObjectStore adapter: `npx tsx bench/parquet.ts [iterations]`.
 * Prints files/s, one file at a time and with several in flight (as a registration batch does).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { inspectParquet } from '../lib/parquet/inspectParquet.js';
import { FsStore } from '../lib/store/fsStore.js';

const COLUMNS = 50;
const ROWS = 20_000;
const ITERATIONS = Number(process.argv[2] ?? 3000);
const CONCURRENCY = 16;

type ColumnSpec = Parameters<typeof parquetWriteBuffer>[0]['columnData'][number];

function columnData(c: number): ColumnSpec {
  const name = `column_${String(c).padStart(2, '0')}`;
  switch (c % 5) {
    case 0:
      return {
        name,
        data: Array.from({ length: ROWS }, (_, i) => (i * 7919 + c) % 1_000_003),
        type: 'INT32',
      };
    case 1:
      return {
        name,
        data: Array.from({ length: ROWS }, (_, i) => BigInt(i) * 1_000_003n - BigInt(c)),
        type: 'INT64',
      };
    case 2:
      return {
        name,
        data: Array.from({ length: ROWS }, (_, i) => (i % 97 === 0 ? null : i / 7 - c)),
        type: 'DOUBLE',
      };
    case 3:
      return {
        name,
        data: Array.from({ length: ROWS }, (_, i) => `value-${c}-${(i * 31) % 5000}`),
        type: 'STRING',
      };
    default:
      return {
        name,
        data: Array.from({ length: ROWS }, (_, i) => new Date(1_700_000_000_000 + i * 1000)),
        type: 'TIMESTAMP',
      };
  }
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'astha-bench-parquet-'));
  try {
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: Array.from({ length: COLUMNS }, (_, c) => columnData(c)),
        rowGroupSize: 10_000,
      }),
    );
    writeFileSync(join(root, 'wide.parquet'), bytes);
    const footerLength = Buffer.from(bytes).readUInt32LE(bytes.length - 8);
    const store = new FsStore(root);

    const once = () => inspectParquet(store, 'wide.parquet', bytes.length);
    const check = await once();
    if (check.columns.length !== COLUMNS || check.recordCount !== ROWS)
      throw new Error('unexpected inspection');
    for (let i = 0; i < 200; i++) await once(); // warm-up (JIT, page cache)

    let start = performance.now();
    for (let i = 0; i < ITERATIONS; i++) await once();
    const sequentialMs = performance.now() - start;

    start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < ITERATIONS) await once();
      }),
    );
    const concurrentMs = performance.now() - start;

    const perSecond = (ms: number) => Math.round((ITERATIONS / ms) * 1000);
    console.log(`store: FsStore (${store.url})`);
    console.log(
      `file: ${COLUMNS} columns, ${ROWS} rows, ${check.splitOffsets.length} row groups, ` +
        `${bytes.length} bytes, footer ${footerLength} bytes, ${check.columns.filter((c) => c.lower).length} columns with bounds`,
    );
    console.log(
      `footer read + schema + stats, sequential: ${perSecond(sequentialMs)} files/s ` +
        `(${(sequentialMs / ITERATIONS).toFixed(3)} ms/file, ${ITERATIONS} files)`,
    );
    console.log(
      `footer read + schema + stats, ${CONCURRENCY} in flight: ${perSecond(concurrentMs)} files/s ` +
        `(${ITERATIONS} files)`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
