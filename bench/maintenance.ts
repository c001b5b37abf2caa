/**
 * Maintenance benchmark: `npx tsx bench/maintenance.ts [--files 2000] [--rows 1000]
 * [--target-mb 32] [--reads 5]`, or the memory of one big rewrite group:
 * `node --max-old-space-size=1536 --import tsx bench/maintenance.ts --group-mb 1024 [--file-mb 24]`.
 *
 * On one filesystem warehouse and one `file:` registry:
 *   1. a table of `files` small Parquet files (`rows` rows each), registered and committed the
 *      way astha does it;
 *   2. DuckDB (`iceberg_scan`, aggregate over every column) read time, median of `reads` runs;
 *   3. compaction, one rewrite group per look: MB/s of Parquet rewritten and the peak RSS and
 *      heap sampled (every 10 ms and after every output row group) during each group;
 *   4. the DuckDB read again, and the before/after ratio.
 * Use `--files 200` for a quick run.
 *
 * `--group-mb N` instead builds a table of ~`file-mb` MB files totalling N MB (in a child
 * process, so building leaves nothing in this process's heap or RSS), sets the target file size
 * to the table's size so the planner packs every file into ONE rewrite group with ONE output,
 * and compacts it, printing the same per-group line. No DuckDB reads in this mode.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { compactTable } from '../lib/compactor/compactTable.js';
import { loadTable } from '../lib/iceberg/commit/loadTable.js';
import { commitPending } from '../lib/iceberg/commitPending.js';
import { openRegistry, type Registry } from '../lib/registry/registry.js';
import { FsStore } from '../lib/store/fsStore.js';
import type { ObjectStore } from '../lib/store/objectStore.js';

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const FILES = flag('files', 2000);
const ROWS = flag('rows', 1000);
const TARGET_BYTES = Math.round(flag('target-mb', 32) * 1024 * 1024);
const READS = flag('reads', 5);
const MB = 1024 * 1024;
/** Set only in the big-group mode. */
const GROUP_MB = process.argv.includes('--group-mb') ? flag('group-mb', 1024) : undefined;
const FILE_MB = flag('file-mb', 24);
/** What an events row takes in these files (measured: ~19 bytes with snappy and dictionaries). */
const BYTES_PER_ROW = 19.2;
/** Distinct big files generated; the rest are copies (generating rows is slow, rewriting them is the point). */
const BIG_TEMPLATES = 4;

/** A file of a typical event table: ids, strings, doubles, timestamps. */
function eventsFile(fileIndex: number, rows = ROWS): Uint8Array {
  const first = fileIndex * rows;
  const ids = Array.from({ length: rows }, (_, i) => first + i);
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: 'id', data: BigInt64Array.from(ids, BigInt), type: 'INT64' },
        { name: 'customer', data: ids.map((id) => `customer-${(id * 7919) % 5003}`), type: 'STRING' },
        { name: 'amount', data: ids.map((id) => ((id * 37) % 10_000) / 100), type: 'DOUBLE' },
        { name: 'qty', data: Int32Array.from(ids, (id) => id % 17), type: 'INT32' },
        { name: 'at', data: ids.map((id) => new Date(1_700_000_000_000 + id * 1000)), type: 'TIMESTAMP' },
        { name: 'note', data: ids.map((id) => (id % 3 === 0 ? null : `note ${id % 101}`)), type: 'STRING' },
      ],
    }),
  );
}

async function buildTable(
  registry: Registry,
  store: ObjectStore,
): Promise<{ tableId: number; bytes: number }> {
  let bytes = 0;
  let tableId = -1;
  for (let start = 0; start < FILES; start += 250) {
    const refs = [];
    for (let i = start; i < Math.min(FILES, start + 250); i++) {
      const key = `bench/events/data/part-${String(i).padStart(5, '0')}.parquet`;
      const info = await store.put(key, eventsFile(i));
      bytes += info.size;
      refs.push({ bucket: 'warehouse', key, size: info.size, etag: info.etag });
    }
    const outcomes = await registry.registerBatch(refs, store);
    const bad = outcomes.find((o) => o.status !== 'registered');
    if (bad) throw new Error(`registration failed: ${JSON.stringify(bad)}`);
    tableId = (await registry.tableByName('bench', 'events'))?.id ?? -1;
    await commitPending(tableId, { registry, store });
  }
  return { tableId, bytes };
}

/** Median DuckDB wall time (ms) of an aggregate over every column, and its result. */
function duckdbRead(metadataPath: string): { medianMs: number; result: string } {
  const script = `
import json, sys, time
sys.path.insert(0, 'test/python/readers')
from read_table import duckdb_connection
request = json.load(sys.stdin)
con = duckdb_connection(None)
con.execute("SET enable_progress_bar = false")
sql = ("SELECT count(*), sum(id), round(sum(amount), 2), max(customer), sum(qty), max(\\"at\\")::VARCHAR, count(note) "
       "FROM iceberg_scan(?)")
times, result = [], None
for _ in range(request["reads"]):
    start = time.perf_counter()
    result = con.execute(sql, [request["metadata"]]).fetchone()
    times.append((time.perf_counter() - start) * 1000)
times.sort()
print(json.dumps({"medianMs": times[len(times) // 2], "result": str(result)}))
`;
  const python = join(process.cwd(), '.venv', 'bin', 'python');
  const run = spawnSync(python, ['-c', script], {
    input: JSON.stringify({ metadata: metadataPath, reads: READS }),
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (run.status !== 0) throw new Error(`duckdb read failed: ${run.stderr}`);
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as { medianMs: number; result: string };
}

/** Peak RSS and heap while `work` runs: sampled on a timer and whenever `sample` is called. */
async function withPeakMemory<T>(work: (sample: () => void) => Promise<T>) {
  const peak = { rss: 0, heap: 0 };
  const sample = () => {
    const usage = process.memoryUsage();
    peak.rss = Math.max(peak.rss, usage.rss);
    peak.heap = Math.max(peak.heap, usage.heapUsed + usage.arrayBuffers);
  };
  const timer = setInterval(sample, 10);
  try {
    sample();
    const value = await work(sample);
    sample();
    return { value, peak };
  } finally {
    clearInterval(timer);
  }
}

/**
 * The big-group table, built by a child process: files of ~FILE_MB, GROUP_MB in all (copies of
 * BIG_TEMPLATES distinct files), registered and committed. Prints `{ tableId, bytes, files }`.
 */
async function buildBigTable(dir: string): Promise<void> {
  const store = new FsStore(join(dir, 'warehouse'));
  const registry = await openRegistry(`file:${join(dir, 'registry.db')}`);
  const rows = Math.round((FILE_MB * MB) / BYTES_PER_ROW);
  const files = Math.max(2, Math.round(GROUP_MB! / FILE_MB));
  const templates: Uint8Array[] = [];
  const refs = [];
  let bytes = 0;
  for (let i = 0; i < files; i++) {
    if (templates.length < BIG_TEMPLATES) templates.push(eventsFile(i, rows));
    const key = `bench/events/data/part-${String(i).padStart(5, '0')}.parquet`;
    const info = await store.put(key, templates[i % templates.length]!);
    bytes += info.size;
    refs.push({ bucket: 'warehouse', key, size: info.size, etag: info.etag });
  }
  const outcomes = await registry.registerBatch(refs, store);
  const bad = outcomes.find((o) => o.status !== 'registered');
  if (bad) throw new Error(`registration failed: ${JSON.stringify(bad)}`);
  const tableId = (await registry.tableByName('bench', 'events'))?.id ?? -1;
  await commitPending(tableId, { registry, store });
  registry.close();
  console.log(JSON.stringify({ tableId, bytes, files, rows }));
}

/** Compacts one rewrite group per look until nothing is left, one printed line per group. */
async function compactAll(registry: Registry, store: ObjectStore, tableId: number): Promise<void> {
  console.log('group  inputs   MB in  MB out  outputs  seconds   MB/s  peak RSS MB  peak heap MB');
  let totalIn = 0;
  let totalSeconds = 0;
  for (let group = 1; ; group++) {
    const start = performance.now();
    const { value: report, peak } = await withPeakMemory((sample) =>
      compactTable(tableId, { registry, store, maxGroupsPerRun: 1, lookBudgetMs: 0, onRowGroup: sample }),
    );
    const seconds = (performance.now() - start) / 1000;
    const done = report.groups[0];
    if (!done) break;
    totalIn += done.bytesRead;
    totalSeconds += seconds;
    console.log(
      [
        String(group).padStart(5),
        String(done.inputFiles).padStart(7),
        (done.bytesRead / MB).toFixed(1).padStart(7),
        (done.bytesWritten / MB).toFixed(1).padStart(7),
        String(done.outputFiles).padStart(8),
        seconds.toFixed(2).padStart(8),
        (done.bytesRead / MB / seconds).toFixed(1).padStart(6),
        (peak.rss / MB).toFixed(0).padStart(12),
        (peak.heap / MB).toFixed(0).padStart(13),
      ].join(' '),
    );
  }
  console.log(
    `compaction: ${(totalIn / MB).toFixed(1)} MB in ${totalSeconds.toFixed(2)} s = ${(totalIn / MB / totalSeconds).toFixed(1)} MB/s`,
  );
}

async function setTargetFileSize(registry: Registry, tableId: number, bytes: number): Promise<void> {
  await registry.client.execute({
    sql: `UPDATE table_metadata SET properties_json = json_set(properties_json, '$."write.target-file-size-bytes"', ?)
          WHERE table_id = ?`,
    args: [String(bytes), tableId],
  });
}

async function liveFileCount(registry: Registry, tableId: number): Promise<number> {
  const files = await registry.client.execute({
    sql: "SELECT count(*) AS n FROM table_files WHERE table_id = ? AND iceberg_state = 'committed'",
    args: [tableId],
  });
  return Number(files.rows[0]!.n);
}

async function bigGroup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'astha-bench-group-'));
  try {
    const buildStart = performance.now();
    // Same node, flags (heap limit, tsx loader) and script; only the build happens there.
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, ...process.argv.slice(1), '--build-into', dir],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    if (child.status !== 0) throw new Error(`building the table failed (exit ${child.status})`);
    const built = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as {
      tableId: number;
      bytes: number;
      files: number;
      rows: number;
    };
    const store = new FsStore(join(dir, 'warehouse'));
    const registry = await openRegistry(`file:${join(dir, 'registry.db')}`);
    // Next-fit packing puts every file in one group when the target exceeds the table's size;
    // the output encodes ~5 % larger than these inputs, so a quarter more keeps it to one output.
    const target = Math.ceil(built.bytes * 1.25);
    await setTargetFileSize(registry, built.tableId, target);
    console.log(
      `table: ${built.files} files × ${built.rows} rows, ${(built.bytes / MB).toFixed(1)} MB, built in ${((performance.now() - buildStart) / 1000).toFixed(1)} s (child process); target file size ${(target / MB).toFixed(0)} MB (one group, one output)`,
    );
    const heapLimit = (await import('node:v8')).getHeapStatistics().heap_size_limit;
    console.log(
      `before compaction: RSS ${(process.memoryUsage().rss / MB).toFixed(0)} MB; V8 heap limit ${(heapLimit / MB).toFixed(0)} MB; ${process.execArgv.filter((a) => a.startsWith('--max')).join(' ') || 'no heap flags'}`,
    );
    await compactAll(registry, store, built.tableId);
    console.log(`live files ${built.files} → ${await liveFileCount(registry, built.tableId)}`);
    registry.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'astha-bench-maintenance-'));
  try {
    const store = new FsStore(join(dir, 'warehouse'));
    const registry = await openRegistry(`file:${join(dir, 'registry.db')}`);
    const buildStart = performance.now();
    const { tableId, bytes } = await buildTable(registry, store);
    const row = await registry.tableById(tableId);
    const table = { keyPrefix: row!.key_prefix, location: row!.location };
    const metadataPath = async () =>
      (await loadTable(store, table))!.metadataLocation.replace(/^file:\/\//, '');
    console.log(
      `table: ${FILES} files × ${ROWS} rows, ${(bytes / MB).toFixed(1)} MB, built in ${((performance.now() - buildStart) / 1000).toFixed(1)} s; target file size ${(TARGET_BYTES / MB).toFixed(0)} MB`,
    );

    const before = duckdbRead(await metadataPath());
    console.log(
      `duckdb read before: ${before.medianMs.toFixed(1)} ms (median of ${READS})  ${before.result}`,
    );

    await setTargetFileSize(registry, tableId, TARGET_BYTES);
    await compactAll(registry, store, tableId);

    const after = duckdbRead(await metadataPath());
    console.log(`duckdb read after:  ${after.medianMs.toFixed(1)} ms (median of ${READS})  ${after.result}`);
    console.log(
      `live files ${FILES} → ${await liveFileCount(registry, tableId)}; read time before/after = ${(before.medianMs / after.medianMs).toFixed(1)}×; same result: ${before.result === after.result}`,
    );
    registry.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const buildInto = process.argv.indexOf('--build-into');
if (buildInto >= 0) await buildBigTable(process.argv[buildInto + 1]!);
else if (GROUP_MB !== undefined) await bigGroup();
else await main();
