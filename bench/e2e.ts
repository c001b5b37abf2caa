/**
 * End-to-end latency benchmark of the embedded default:
 *   npx tsx bench/e2e.ts [--rate 50] [--duration 60] [--tables 1] [--settle 120]
 *
 * `astha start` runs as its own process, exactly as `npm start` runs it (default drain period
 * and scan interval). This process lands Parquet files in its warehouse at `rate` per second
 * for `duration` seconds (each written under a hidden name and renamed, so it appears whole,
 * like an S3 PutObject), spread over `tables` tables. When every file is committed it reads
 * the registry and prints, per file, landing → registered and landing → committed latency
 * (p50/p95/p99/max; committed = when the file's registry row became `committed`, right after
 * the snapshot's metadata was written) and how many files each commit took (mean, max).
 * Target: p99 landing → committed under 2 s.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { openRegistry, type Registry } from '../lib/registry/registry.js';

const { values: flags } = parseArgs({
  options: {
    rate: { type: 'string', default: '50' },
    duration: { type: 'string', default: '60' },
    tables: { type: 'string', default: '1' },
    settle: { type: 'string', default: '120' },
  },
});
const RATE = Number(flags.rate);
const DURATION_S = Number(flags.duration);
const TABLES = Number(flags.tables);
const SETTLE_S = Number(flags.settle);
const ROWS_PER_FILE = 20;
const TARGET_P99_MS = 1_000;

interface Arrival {
  key: string;
  body: Uint8Array;
  landedAt: number;
}

function dataFile(firstId: number): Uint8Array {
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        {
          name: 'id',
          data: BigInt64Array.from({ length: ROWS_PER_FILE }, (_, i) => BigInt(firstId + i)),
          type: 'INT64',
        },
        {
          name: 'customer',
          data: Array.from({ length: ROWS_PER_FILE }, (_, i) => `c${(firstId + i) % 97}`),
          type: 'STRING',
        },
        { name: 'amount', data: Array.from({ length: ROWS_PER_FILE }, (_, i) => i * 1.25), type: 'DOUBLE' },
      ],
    }),
  );
}

/** Built before the clock starts, so writing a file costs only the write. */
function arrivals(count: number): Arrival[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `bench/events${i % TABLES}/data/day=2026-11-${20 + (i % 4)}/part-${String(i).padStart(6, '0')}.parquet`,
    body: dataFile(i * ROWS_PER_FILE),
    landedAt: 0,
  }));
}

function land(warehouse: string, arrival: Arrival): void {
  const target = join(warehouse, arrival.key);
  mkdirSync(dirname(target), { recursive: true });
  const temporary = join(dirname(target), `.${arrival.key.split('/').pop()}.tmp`);
  writeFileSync(temporary, arrival.body);
  renameSync(temporary, target);
  arrival.landedAt = Date.now();
}

/** Lands file i at start + i/rate; a late writer catches up at once. Returns the worst lag. */
async function landAtRate(warehouse: string, files: Arrival[]): Promise<number> {
  const start = Date.now();
  let worstLag = 0;
  for (let i = 0; i < files.length; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    worstLag = Math.max(worstLag, Date.now() - due);
    land(warehouse, files[i]!);
  }
  return worstLag;
}

function startAstha(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'astha.js'), 'start', '--no-sample'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`astha start exited with ${code} before it was running`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('astha running')) resolve(child);
    });
  });
}

/**
 * A file has arrived when its rows are in a committed snapshot: it is `committed`, or it was
 * committed and then compacted away (`removed` with the append snapshot it went into kept as
 * `snapshot_id`; its rows live on in the compaction output). The arrival time is when the
 * registry recorded that append snapshot (the same transaction that marked the file committed).
 */
const ARRIVED_SQL = `SELECT f.path, f.registered_at, f.snapshot_id,
         coalesce(s.created_at, e.committed_at) AS committed_at, s.created_at IS NULL AS expired
    FROM table_files f
    LEFT JOIN table_snapshots s ON s.table_id = f.table_id AND s.snapshot_id = f.snapshot_id
    LEFT JOIN expired_snapshots e ON e.table_id = f.table_id AND e.snapshot_id = f.snapshot_id
   WHERE f.astha_written = 0 AND f.snapshot_id IS NOT NULL
     AND (f.iceberg_state = 'committed' OR (f.iceberg_state = 'removed' AND f.target_snapshot_id IS NOT f.snapshot_id))`;

async function arrivedCount(registry: Registry): Promise<{ arrived: number; rejected: number }> {
  const arrived = await registry.client.execute(`SELECT count(*) AS n FROM (${ARRIVED_SQL})`);
  const rejected = await registry.client.execute(
    "SELECT count(*) AS n FROM table_files WHERE iceberg_state = 'rejected'",
  );
  return { arrived: Number(arrived.rows[0]?.n ?? 0), rejected: Number(rejected.rows[0]?.n ?? 0) };
}

async function waitUntilArrived(registry: Registry, count: number): Promise<void> {
  const deadline = Date.now() + SETTLE_S * 1000;
  for (;;) {
    const { arrived, rejected } = await arrivedCount(registry);
    if (rejected > 0) throw new Error(`${rejected} files were rejected`);
    if (arrived >= count) return;
    if (Date.now() > deadline)
      throw new Error(
        `only ${arrived} of ${count} files arrived in a snapshot ${SETTLE_S} s after the last landed`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function p99Of(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    99,
  );
}

function describeLatencies(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const ms = (p: number) => `${Math.round(percentile(sorted, p))} ms`;
  return `${label.padEnd(26)} p50 ${ms(50)}  p95 ${ms(95)}  p99 ${ms(99)}  max ${ms(100)}`;
}

/** Landing → arrived per window of arrivals: flat means astha keeps up, rising means a backlog grows. */
function timeline(samples: { landedAt: number; latency: number }[], windowS: number): number[][] {
  const start = Math.min(...samples.map((s) => s.landedAt));
  const windows: number[][] = [];
  for (const { landedAt, latency } of samples) {
    const window = Math.floor((landedAt - start) / (windowS * 1000));
    windows[window] = [...(windows[window] ?? []), latency];
  }
  return windows.map((w) => w ?? []);
}

/** Size of each table's current metadata.json (the embedded warehouse is a local directory). */
async function metadataSizes(registry: Registry): Promise<string> {
  const rows = await registry.client.execute(
    'SELECT name, metadata_location, metadata_version FROM tables WHERE metadata_location IS NOT NULL',
  );
  return rows.rows
    .map((row) => {
      const location = String(row.metadata_location);
      const bytes = location.startsWith('file://') ? statSync(fileURLToPath(location)).size : Number.NaN;
      return `${row.name} v${row.metadata_version} ${(bytes / 1024).toFixed(1)} KiB`;
    })
    .join(', ');
}

async function report(registry: Registry, files: readonly Arrival[]): Promise<boolean> {
  const landed = new Map(files.map((f) => [f.key, f.landedAt]));
  const rows = (await registry.client.execute(ARRIVED_SQL)).rows;
  const registered: number[] = [];
  const arrived: number[] = [];
  const perSnapshot = new Map<string, number>();
  let viaExpired = 0;
  for (const row of rows) {
    const landedAt = landed.get(String(row.path));
    if (landedAt === undefined) throw new Error(`registry has a file the bench did not land: ${row.path}`);
    registered.push(Date.parse(String(row.registered_at)) - landedAt);
    arrived.push(Date.parse(String(row.committed_at)) - landedAt);
    if (Number(row.expired) === 1) viaExpired++;
    const snapshot = String(row.snapshot_id);
    perSnapshot.set(snapshot, (perSnapshot.get(snapshot) ?? 0) + 1);
  }
  const compacted = await registry.client.execute(
    "SELECT count(*) AS n FROM table_files WHERE iceberg_state = 'removed' AND astha_written = 0",
  );
  const sizes = [...perSnapshot.values()];
  const p99 = p99Of(arrived);
  const firstLanding = Math.min(...files.map((f) => f.landedAt));
  const lastRegistered = Math.max(...rows.map((r) => Date.parse(String(r.registered_at))));
  const throughput = rows.length / ((lastRegistered - firstLanding) / 1000);
  console.log(`registration throughput    ${throughput.toFixed(1)} files/s (arrival rate ${RATE}/s)`);
  console.log(describeLatencies('landing → registered', registered));
  console.log(describeLatencies('landing → committed', arrived));
  console.log(
    `files per commit           mean ${(rows.length / sizes.length).toFixed(1)}  max ${Math.max(...sizes)}  (${sizes.length} append commits over ${TABLES} table(s))`,
  );
  console.log(
    `compaction                 ${Number(compacted.rows[0]?.n ?? 0)} of ${rows.length} landed files compacted away by the end (${viaExpired} timed from an expired snapshot)`,
  );
  console.log(`metadata.json at the end   ${await metadataSizes(registry)}`);
  const windowS = DURATION_S >= 120 ? 60 : 10;
  const samples = rows.map((row, i) => ({ landedAt: landed.get(String(row.path))!, latency: arrived[i]! }));
  const windows = timeline(samples, windowS);
  windows.forEach((latencies, w) => {
    console.log(describeLatencies(`  landed ${w * windowS}-${w * windowS + windowS} s`, latencies));
  });
  const drift = p99Of(windows.at(-1) ?? []) / p99Of(windows[0] ?? []);
  console.log(`last window p99 / first window p99: ${drift.toFixed(2)} (target ≤ 1.25)`);
  const met = p99 < TARGET_P99_MS;
  console.log(`target p99 < ${TARGET_P99_MS} ms: ${met ? 'met' : 'NOT met'} (${Math.round(p99)} ms)`);
  return met;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'astha-bench-e2e-'));
  const warehouse = join(dir, 'warehouse');
  const env = {
    ...process.env,
    ASTHA_REGISTRY_URL: `file:${join(dir, 'registry.db')}`,
    ASTHA_WAREHOUSE: `file://${warehouse}`,
    ASTHA_LOG_LEVEL: 'warn',
  };
  const files = arrivals(Math.round(RATE * DURATION_S));
  console.log(
    `bench/e2e: ${files.length} files (${ROWS_PER_FILE} rows each) at ${RATE}/s for ${DURATION_S} s into ${TABLES} table(s), embedded default, load average ${loadavg()[0]!.toFixed(1)}`,
  );
  const child = await startAstha(env);
  const registry = await openRegistry(env.ASTHA_REGISTRY_URL);
  try {
    const lag = await landAtRate(warehouse, files);
    console.log(`writer kept the rate within ${Math.round(lag)} ms`);
    await waitUntilArrived(registry, files.length);
    await report(registry, files);
  } finally {
    registry.close();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
