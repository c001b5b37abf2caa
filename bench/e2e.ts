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
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

async function waitUntilCommitted(registry: Registry, count: number): Promise<void> {
  const deadline = Date.now() + SETTLE_S * 1000;
  for (;;) {
    const files = (await registry.status()).filesByState;
    if (files.committed + files.rejected >= count) {
      if (files.rejected > 0) throw new Error(`${files.rejected} files were rejected`);
      return;
    }
    if (Date.now() > deadline)
      throw new Error(
        `only ${files.committed} of ${count} files committed ${SETTLE_S} s after the last landed`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function describeLatencies(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const ms = (p: number) => `${Math.round(percentile(sorted, p))} ms`;
  return `${label.padEnd(26)} p50 ${ms(50)}  p95 ${ms(95)}  p99 ${ms(99)}  max ${ms(100)}`;
}

/** Landing → committed per 10 s of arrivals: flat means astha keeps up, rising means a backlog grows. */
function printTimeline(samples: { landedAt: number; latency: number }[]): void {
  const start = Math.min(...samples.map((s) => s.landedAt));
  const windows = new Map<number, number[]>();
  for (const { landedAt, latency } of samples) {
    const window = Math.floor((landedAt - start) / 10_000);
    windows.set(window, [...(windows.get(window) ?? []), latency]);
  }
  for (const [window, latencies] of [...windows].sort(([a], [b]) => a - b)) {
    console.log(describeLatencies(`  landed ${window * 10}-${window * 10 + 10} s`, latencies));
  }
}

async function report(registry: Registry, files: readonly Arrival[]): Promise<boolean> {
  const landed = new Map(files.map((f) => [f.key, f.landedAt]));
  const rows = await registry.client.execute(
    "SELECT path, registered_at, updated_at, snapshot_id FROM table_files WHERE iceberg_state = 'committed'",
  );
  const registered: number[] = [];
  const committed: number[] = [];
  const perSnapshot = new Map<string, number>();
  for (const row of rows.rows) {
    const landedAt = landed.get(String(row.path));
    if (landedAt === undefined) throw new Error(`registry has a file the bench did not land: ${row.path}`);
    registered.push(Date.parse(String(row.registered_at)) - landedAt);
    committed.push(Date.parse(String(row.updated_at)) - landedAt);
    const snapshot = String(row.snapshot_id);
    perSnapshot.set(snapshot, (perSnapshot.get(snapshot) ?? 0) + 1);
  }
  const sizes = [...perSnapshot.values()];
  const p99 = percentile(
    [...committed].sort((a, b) => a - b),
    99,
  );
  const firstLanding = Math.min(...files.map((f) => f.landedAt));
  const lastRegistered = Math.max(...rows.rows.map((r) => Date.parse(String(r.registered_at))));
  const throughput = rows.rows.length / ((lastRegistered - firstLanding) / 1000);
  console.log(`registration throughput    ${throughput.toFixed(1)} files/s (arrival rate ${RATE}/s)`);
  console.log(describeLatencies('landing → registered', registered));
  console.log(describeLatencies('landing → committed', committed));
  console.log(
    `files per commit           mean ${(rows.rows.length / sizes.length).toFixed(1)}  max ${Math.max(...sizes)}  (${sizes.length} commits over ${TABLES} table(s))`,
  );
  printTimeline(
    rows.rows.map((row, i) => ({ landedAt: landed.get(String(row.path))!, latency: committed[i]! })),
  );
  const met = p99 < 2_000;
  console.log(`target p99 < 2000 ms: ${met ? 'met' : 'NOT met'} (${Math.round(p99)} ms)`);
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
    await waitUntilCommitted(registry, files.length);
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
