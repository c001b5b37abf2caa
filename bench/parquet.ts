/**
 * Footer read + Iceberg schema + column stats for a 50-column Parquet file on the local
 * filesystem, through the ObjectStore port: `npx tsx bench/parquet.ts [iterations]`.
 * Uses the filesystem adapter (lib/store/fsStore.ts) when it is there, else a minimal
 * node:fs range reader with the same `get(key, {range})` behaviour. Prints files/s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { inspectParquet } from '../lib/parquet/inspectParquet.js';
import type { GetOptions, ObjectInfo, ObjectStore } from '../lib/store/objectStore.js';

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

/** Range reads on a local directory: the fallback while no filesystem adapter exists. */
function nodeFsStore(root: string): ObjectStore {
  const unsupported = (): never => {
    throw new Error('read-only bench store');
  };
  return {
    url: `file://${root}`,
    async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
      const handle = await open(join(root, key), 'r');
      try {
        const size = (await handle.stat()).size;
        const start = options.range?.start ?? 0;
        const end = Math.min(options.range?.end ?? size, size);
        const buffer = new Uint8Array(end - start);
        await handle.read(buffer, 0, buffer.length, start);
        return buffer;
      } finally {
        await handle.close();
      }
    },
    async head(key: string): Promise<ObjectInfo | undefined> {
      const info = await stat(join(root, key));
      return { key, size: info.size, etag: String(info.mtimeMs), lastModified: info.mtime };
    },
    list: unsupported,
    put: unsupported,
    putIfAbsent: unsupported,
    putIfMatch: unsupported,
    delete: unsupported,
  };
}

async function filesystemStore(root: string): Promise<{ store: ObjectStore; kind: string }> {
  // A computed specifier: the adapter is optional here, so its absence must not break typechecking.
  const specifier = '../lib/store/fsStore.js';
  try {
    const module: { FsStore?: new (root: string) => ObjectStore } = await import(specifier);
    if (module.FsStore) return { store: new module.FsStore(root), kind: 'FsStore' };
  } catch {
    // not there yet
  }
  return { store: nodeFsStore(root), kind: 'node:fs range reader' };
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
    const { store, kind } = await filesystemStore(root);

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
    console.log(`store: ${kind}`);
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
