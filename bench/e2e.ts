/**
 * End-to-end latency benchmark:
 *   npx tsx bench/e2e.ts [--rate 50] [--duration 60] [--tables 1] [--settle 120]
 *                        [--latency [--registry-ms 10] [--store-ms 30]] [--profile DIR]
 *
 * `astha start` runs as its own process, exactly as `npm start` runs it (default drain period,
 * scan interval and components, compaction included). This process lands Parquet files at
 * `rate` per second for `duration` seconds, spread over `tables` tables: into the embedded
 * default's warehouse directory, or with `--latency` into LocalStack S3 with astha in queues
 * mode on a sqld registry, both behind a latency proxy (bench/e2eTargets.ts). When every file
 * has arrived it reads the registry and prints, per file, landing → registered and landing →
 * committed latency (p50/p95/p99/max, and p99 per window of arrivals), files per commit, how
 * many files compaction folded meanwhile, the size of metadata.json at the end and, with the
 * proxy, registry and store round trips per file and per commit.
 * Targets: p99 landing → committed under 1 s (2 s with the proxy), last window within 1.25×.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openRegistry, type Registry } from '../lib/registry/registry.js';
import { asthaArgv } from '../test/cli/runAstha.js';
import { type Arrival, type BenchTarget, embeddedTarget, latencyTarget } from './e2eTargets.js';
import { serviceOf } from './latencyProxy.js';
import { ordersFile } from './ordersFile.js';

const { values: flags } = parseArgs({
  options: {
    rate: { type: 'string', default: '50' },
    duration: { type: 'string', default: '60' },
    tables: { type: 'string', default: '1' },
    settle: { type: 'string', default: '120' },
    latency: { type: 'boolean', default: false },
    'registry-ms': { type: 'string', default: '10' },
    'store-ms': { type: 'string', default: '30' },
    profile: { type: 'string' },
  },
});
const RATE = Number(flags.rate);
const DURATION_S = Number(flags.duration);
const TABLES = Number(flags.tables);
const SETTLE_S = Number(flags.settle);
const ROWS_PER_FILE = 20;
const TARGET_P99_MS = flags.latency ? 2_000 : 1_000;

/** Built before the clock starts, so writing a file costs only the write. */
function arrivals(count: number): Arrival[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `bench/events${i % TABLES}/data/day=2026-11-${20 + (i % 4)}/part-${String(i).padStart(6, '0')}.parquet`,
    body: ordersFile(i * ROWS_PER_FILE, ROWS_PER_FILE),
    landedAt: 0,
  }));
}

/** Lands file i at start + i/rate; a late writer catches up at once. Returns the worst lag. */
async function landAtRate(target: BenchTarget, files: Arrival[]): Promise<number> {
  const start = Date.now();
  let worstLag = 0;
  const landing: Promise<void>[] = [];
  for (let i = 0; i < files.length; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    worstLag = Math.max(worstLag, Date.now() - due);
    landing.push(target.land(files[i]!));
  }
  await Promise.all(landing);
  return worstLag;
}

function startAstha(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  // From the sources: bin/astha.js would run a dist/ that may predate them.
  const [node, ...args] = asthaArgv();
  const profile = flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${flags.profile}`] : [];
  const child = spawn(node!, [...profile, ...args, 'start', '--no-sample'], {
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
    if (Date.now() > deadline) {
      const registered = await registry.client.execute(
        'SELECT count(*) AS n FROM table_files WHERE astha_written = 0',
      );
      console.log(
        `NOT ALL ARRIVED: ${arrived} of ${count} files in a snapshot ${SETTLE_S} s after the last landed; ${count - Number(registered.rows[0]?.n ?? 0)} never registered (reporting on those that arrived)`,
      );
      return;
    }
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

/**
 * Landing → arrived per window of arrivals: flat means astha keeps up, rising means a backlog
 * grows. A file landed at the very end (a writer a few ms late) counts in the last window.
 */
function timeline(samples: { landedAt: number; latency: number }[], windowS: number): number[][] {
  const start = Math.min(...samples.map((s) => s.landedAt));
  const last = Math.max(0, Math.ceil(DURATION_S / windowS) - 1);
  const windows: number[][] = Array.from({ length: last + 1 }, () => []);
  for (const { landedAt, latency } of samples) {
    const window = Math.min(last, Math.floor((landedAt - start) / (windowS * 1000)));
    windows[window]!.push(latency);
  }
  return windows.map((w) => w ?? []);
}

/** Size of each table's current metadata.json. */
async function metadataSizes(registry: Registry, target: BenchTarget): Promise<string> {
  const rows = await registry.client.execute(
    'SELECT name, metadata_location, metadata_version FROM tables WHERE metadata_location IS NOT NULL',
  );
  const sizes: string[] = [];
  for (const row of rows.rows) {
    const bytes = await target.metadataBytes(String(row.metadata_location));
    sizes.push(`${row.name} v${row.metadata_version} ${(bytes / 1024).toFixed(1)} KiB`);
  }
  return sizes.join(', ');
}

/**
 * Round trips through the proxies over the run, per landed file and per commit of the table(s):
 * by service, then by operation beneath it (S3 GET, SQS SendMessageBatch, ...).
 */
function printRoundTrips(
  trips: Record<string, number>,
  times: Record<string, number[]>,
  files: number,
  commits: number,
): void {
  const line = (label: string, count: number) =>
    `${label.padEnd(26)} ${count}: ${(count / files).toFixed(2)} per file, ${(count / commits).toFixed(1)} per commit`;
  const byService = new Map<string, [string, number][]>();
  for (const [kind, count] of Object.entries(trips).sort()) {
    const service = serviceOf(kind);
    byService.set(service, [...(byService.get(service) ?? []), [kind, count]]);
  }
  for (const [service, kinds] of byService) {
    console.log(
      line(
        `${service} round trips`,
        kinds.reduce((sum, [, count]) => sum + count, 0),
      ),
    );
    if (kinds.length > 1 || kinds[0]![0] !== service) {
      for (const [kind, count] of kinds.sort((a, b) => b[1] - a[1])) console.log(line(`  ${kind}`, count));
    }
  }
  // The service's own time to answer (the proxy's delay excluded): a slow emulator under load
  // shows here, not in astha's round-trip counts.
  const timesByService = new Map<string, number[]>();
  for (const [kind, values] of Object.entries(times)) {
    const service = serviceOf(kind);
    timesByService.set(service, [...(timesByService.get(service) ?? []), ...values]);
  }
  for (const [service, values] of [...timesByService].sort()) {
    const sorted = values.sort((a, b) => a - b);
    const at = (p: number) => `${Math.round(percentile(sorted, p))} ms`;
    console.log(
      `${`${service} service time`.padEnd(26)} p50 ${at(50)}  p99 ${at(99)}  max ${Math.round(sorted.at(-1) ?? 0)} ms`,
    );
  }
}

async function report(registry: Registry, target: BenchTarget, files: readonly Arrival[]): Promise<boolean> {
  const trips = target.roundTrips();
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
  console.log(`metadata.json at the end   ${await metadataSizes(registry, target)}`);
  const versions = await registry.client.execute('SELECT sum(metadata_version) AS n FROM tables');
  printRoundTrips(trips, target.serviceTimes(), rows.length, Number(versions.rows[0]?.n ?? 0));
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
  const target = flags.latency
    ? await latencyTarget(dir, Number(flags['registry-ms']), Number(flags['store-ms']))
    : embeddedTarget(dir);
  const env = { ...process.env, ...target.env, ASTHA_LOG_LEVEL: process.env.ASTHA_LOG_LEVEL ?? 'warn' };
  const files = arrivals(Math.round(RATE * DURATION_S));
  console.log(
    `bench/e2e: ${files.length} files (${ROWS_PER_FILE} rows each) at ${RATE}/s for ${DURATION_S} s into ${TABLES} table(s), ${target.label}, load average ${loadavg()[0]!.toFixed(1)}`,
  );
  const child = await startAstha(env);
  const registry = await openRegistry(target.observeRegistryUrl);
  try {
    const lag = await landAtRate(target, files);
    console.log(`writer kept the rate within ${Math.round(lag)} ms`);
    await waitUntilArrived(registry, files.length);
    await report(registry, target, files);
  } finally {
    registry.close();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
