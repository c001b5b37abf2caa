/**
 * Sustained-commit benchmark: `npx tsx bench/sustained.ts [--commits 10000] [--window 1000]`.
 *
 * One table, one small file per commit, `commits` appends through the iceberg_updater's
 * `commitPending` (filesystem warehouse, `file:` registry), on a clock that starts six days ago
 * and moves one second per commit, as a table committing every second would age. The file of
 * each commit is registered before its commit starts and only `commitPending` is timed.
 * Prints per window of commits: commit p50/p99, snapshots held and metadata.json size, then
 * the size and p99 at the last commit against commit `window` (target: within 1.2×).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { CommitClock } from '../lib/iceberg/commit/commitBackoff.js';
import { loadTable } from '../lib/iceberg/commit/loadTable.js';
import { commitPending } from '../lib/iceberg/commitPending.js';
import { metadataKey, type TableRef } from '../lib/iceberg/tableLocation.js';
import { openRegistry } from '../lib/registry/registry.js';
import { FsStore } from '../lib/store/fsStore.js';
import { ordersFile } from './ordersFile.js';

const { values: flags } = parseArgs({
  options: {
    commits: { type: 'string', default: '10000' },
    window: { type: 'string', default: '1000' },
  },
});
const COMMITS = Number(flags.commits);
const WINDOW = Number(flags.window);

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

interface WindowStat {
  upTo: number;
  p50: number;
  p99: number;
  snapshots: number;
  bytes: number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'astha-bench-sustained-'));
  const registry = await openRegistry(`file:${join(dir, 'registry.db')}`);
  const store = new FsStore(join(dir, 'warehouse'));
  let nowMs = Date.now() - 6 * 24 * 60 * 60 * 1000;
  const clock: CommitClock = { now: () => nowMs, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
  console.log(
    `bench/sustained: ${COMMITS} commits of 1 file to one table, clock 1 s per commit, load average ${loadavg()[0]!.toFixed(1)}`,
  );
  const stats: WindowStat[] = [];
  let times: number[] = [];
  let ref: TableRef | undefined;
  try {
    for (let i = 1; i <= COMMITS; i++) {
      const key = `bench/steady/data/part-${i}.parquet`;
      const info = await store.put(key, ordersFile(i * 5, 5));
      const [outcome] = await registry.registerBatch(
        [{ bucket: 'warehouse', key, size: info.size, etag: info.etag }],
        store,
      );
      if (outcome?.status !== 'registered')
        throw new Error(`registration failed: ${JSON.stringify(outcome)}`);
      nowMs += 1_000;
      const started = performance.now();
      const result = await commitPending(1, { registry, store, clock });
      times.push(performance.now() - started);
      if (result === 'nothing pending') throw new Error(`commit ${i} found nothing pending`);
      if (i % WINDOW !== 0) continue;
      const row = (await registry.tableById(1))!;
      ref ??= { keyPrefix: row.key_prefix, location: row.location };
      const loaded = (await loadTable(store, ref, { knownVersion: result.version }))!;
      const bytes = (await store.head(metadataKey(ref, result.version)))!.size;
      const stat = {
        upTo: i,
        p50: percentile(times, 50),
        p99: percentile(times, 99),
        snapshots: loaded.metadata.snapshots.length,
        bytes,
      };
      stats.push(stat);
      times = [];
      console.log(
        `commits ${String(i - WINDOW + 1).padStart(5)}-${String(i).padEnd(5)}  p50 ${stat.p50.toFixed(1)} ms  p99 ${stat.p99.toFixed(1)} ms  snapshots ${stat.snapshots}  metadata.json ${(bytes / 1024).toFixed(1)} KiB  load ${loadavg()[0]!.toFixed(1)}`,
      );
    }
    const first = stats[0]!;
    const last = stats.at(-1)!;
    console.log(
      `metadata.json at commit ${last.upTo} / at commit ${first.upTo}: ${(last.bytes / first.bytes).toFixed(2)} (target ≤ 1.2)`,
    );
    console.log(
      `commit p99 of the last window / first window: ${(last.p99 / first.p99).toFixed(2)} (${last.p99.toFixed(1)} ms vs ${first.p99.toFixed(1)} ms)`,
    );
  } finally {
    registry.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
