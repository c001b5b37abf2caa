/**
 * Registration throughput with data verification on and off (ASTHA_VERIFY_DATA), and the peak
 * memory of verifying a 1 GiB file: `npx tsx bench/register.ts [files]` (npm run bench:register).
 *
 * 1. `files` (default 300) files of about 1 MB (hyparquet-writer, SNAPPY, 6 columns, 2 row groups)
 *    registered through `registerBatch` in batches of 50 into a file: registry, from the local
 *    filesystem store and, when LocalStack answers on 127.0.0.1:4566, from S3. Prints files/s and
 *    MB/s per mode and the ratio verify / footer-only.
 * 2. A 1 GiB file (random strings, SNAPPY) written to disk row group by row group; a child process
 *    inspects it footer-only and then verified, and prints its peak RSS for each.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ColumnSource, ParquetWriter, parquetWriteBuffer } from 'hyparquet-writer';
import { fileWriter } from 'hyparquet-writer/src/node.js';
import { inspectParquet } from '../lib/parquet/inspectParquet.js';
import type { S3ObjectRef } from '../lib/registry/planRegistration.js';
import { openRegistry } from '../lib/registry/registry.js';
import { FsStore } from '../lib/store/fsStore.js';
import type { ObjectStore } from '../lib/store/objectStore.js';
import { LOCALSTACK, localstackS3 } from './localstack.js';

const FILES = Number(process.argv[2] ?? 300);
const BATCH = 50;
const ROWS = 40_000;
const GiB = 1024 ** 3;

/** About 1 MB of SNAPPY Parquet: ids, amounts, timestamps, low- and high-cardinality strings. */
function oneMegabyteFile(seed: number): Uint8Array {
  const columns: ColumnSource[] = [
    {
      name: 'id',
      data: BigInt64Array.from({ length: ROWS }, (_, i) => BigInt(seed * ROWS + i)),
      type: 'INT64',
    },
    {
      name: 'amount',
      data: Float64Array.from({ length: ROWS }, (_, i) => ((i * 7919 + seed) % 100_003) / 7),
      type: 'DOUBLE',
    },
    {
      name: 'at',
      data: Array.from({ length: ROWS }, (_, i) => new Date(1.7e12 + i * 997 + seed)),
      type: 'TIMESTAMP',
    },
    { name: 'country', data: Array.from({ length: ROWS }, (_, i) => `c${(i * 31) % 40}`), type: 'STRING' },
    {
      name: 'note',
      data: Array.from({ length: ROWS }, (_, i) => `${seed}-${(i * 2654435761) % 4294967296}-n`),
      type: 'STRING',
    },
    { name: 'qty', data: Int32Array.from({ length: ROWS }, (_, i) => (i * 13 + seed) % 1000), type: 'INT32' },
  ];
  return new Uint8Array(parquetWriteBuffer({ columnData: columns, rowGroupSize: ROWS / 2 }));
}

async function registerAll(
  store: ObjectStore,
  keys: string[],
  verifyData: boolean,
  dir: string,
  label: string,
) {
  const registry = await openRegistry(`file:${join(dir, `registry-${label}-${verifyData}.db`)}`);
  const refs: S3ObjectRef[] = [];
  let bytes = 0;
  for (const key of keys) {
    const info = (await store.head(key))!;
    refs.push({ bucket: 'bench', key, size: info.size, etag: info.etag.replaceAll('"', '') });
    bytes += info.size;
  }
  const started = performance.now();
  for (let i = 0; i < refs.length; i += BATCH) {
    const outcomes = await registry.registerBatch(refs.slice(i, i + BATCH), store, { verifyData });
    const bad = outcomes.find((o) => o.status !== 'registered');
    if (bad) throw new Error(`not registered: ${JSON.stringify(bad)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  registry.close();
  return { seconds, filesPerSecond: refs.length / seconds, mbPerSecond: bytes / 1e6 / seconds };
}

async function throughput(label: string, store: ObjectStore, dir: string): Promise<void> {
  const keys: string[] = [];
  let total = 0;
  for (let i = 0; i < FILES; i++) {
    const bytes = oneMegabyteFile(i);
    total += bytes.length;
    const key = `bench/t${label}/data/f${String(i).padStart(5, '0')}.parquet`;
    await store.put(key, bytes);
    keys.push(key);
  }
  console.log(`${label}: ${FILES} files, ${(total / FILES / 1e6).toFixed(2)} MB each on average`);
  // Warm-up (JIT, page cache, WASM), then alternate so neither mode gets a warmer machine.
  await registerAll(store, keys.slice(0, BATCH), true, dir, `${label}-warm`);
  const rounds: Record<string, { seconds: number; filesPerSecond: number; mbPerSecond: number }[]> = {
    off: [],
    on: [],
  };
  for (let round = 0; round < 2; round++) {
    rounds.off!.push(await registerAll(store, keys, false, dir, `${label}-${round}`));
    rounds.on!.push(await registerAll(store, keys, true, dir, `${label}-${round}`));
  }
  const best = (mode: string) => rounds[mode]!.reduce((a, b) => (a.seconds <= b.seconds ? a : b));
  for (const mode of ['off', 'on']) {
    const r = best(mode);
    const name = mode === 'on' ? 'verify data' : 'footer only';
    console.log(
      `${label.padEnd(10)} ${name.padEnd(12)} ${r.filesPerSecond.toFixed(0).padStart(6)} files/s  ${r.mbPerSecond.toFixed(1).padStart(7)} MB/s  (${r.seconds.toFixed(2)} s, best of 2)`,
    );
  }
  console.log(
    `${label.padEnd(10)} verify / footer-only time: ${(best('on').seconds / best('off').seconds).toFixed(2)}x`,
  );
}

/** ~1 GiB of SNAPPY Parquet on disk, written one row group at a time (random, barely compressible). */
function writeGigabyteFile(path: string): void {
  const writer = new ParquetWriter({
    writer: fileWriter(path),
    schema: [
      { name: 'root', num_children: 2 },
      { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
      { name: 'payload', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED' },
    ],
  });
  const rowsPerGroup = 64 * 1024;
  let state = 12345;
  const next = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state;
  };
  for (let group = 0; statSync(path).size < GiB; group++) {
    const payload = Array.from({ length: rowsPerGroup }, () => {
      const bytes = new Uint8Array(1000);
      const words = new Uint32Array(bytes.buffer);
      for (let w = 0; w < words.length; w++) words[w] = next();
      return bytes;
    });
    const ids = BigInt64Array.from({ length: rowsPerGroup }, (_, i) => BigInt(group * rowsPerGroup + i));
    writer.write({
      columnData: [
        { name: 'id', data: ids },
        { name: 'payload', data: payload },
      ],
      rowGroupSize: rowsPerGroup,
    });
  }
  writer.finish();
}

/** In a child: inspect `path` once (footer only or verified) and print the peak RSS. */
async function child(path: string, verifyData: boolean): Promise<void> {
  const size = statSync(path).size;
  const dir = join(path, '..');
  const store = new FsStore(dir);
  const started = performance.now();
  const inspection = await inspectParquet(store, 'big.parquet', size, { verifyData });
  const seconds = (performance.now() - started) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(
    `1 GiB file ${verifyData ? 'verify data' : 'footer only'}: ${inspection.recordCount} rows, ${seconds.toFixed(2)} s, ` +
      `${(size / 1e6 / seconds).toFixed(0)} MB/s, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`,
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]!, process.argv[4] === 'verify');
  const dir = mkdtempSync(join(tmpdir(), 'astha-bench-register-'));
  try {
    await throughput('fs', new FsStore(join(dir, 'warehouse')), dir);
    const s3 = await localstackS3('');
    if (s3) await throughput('s3', s3, dir);
    else console.log(`s3: LocalStack not answering on ${LOCALSTACK}, skipped`);
    const big = join(dir, 'big', 'big.parquet');
    spawnSync('mkdir', ['-p', join(dir, 'big')]);
    writeGigabyteFile(big);
    console.log(`1 GiB file: ${statSync(big).size} bytes written`);
    for (const mode of ['footer', 'verify']) {
      const run = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, '--child', big, mode], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      if (run.status !== 0) throw new Error(`child ${mode} failed with ${run.status}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
