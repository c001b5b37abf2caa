/**
 * Glue sync benchmark: `npx tsx bench/glue.ts [commits]` (default 200).
 *
 * One table on a filesystem warehouse with a `file:` registry; catalog_sync talks to the Glue
 * emulator (moto on 127.0.0.1 behind the test proxy, which counts requests). Each round lands
 * one file and commits it; then the registry's own change events since the last round are
 * handed to catalog_sync, as its queue would deliver them. Measured per commit:
 *   - commit → Glue updated: from the commit's return to catalog_sync having written Glue
 *     (reads the change log, GetTable, UpdateTable). Drainer and queue delays are not in it:
 *     in a deployment add the drain poll interval and the FIFO queue's delivery;
 *   - Glue requests per commit, by operation.
 * The first commit (CreateDatabase + CreateTable) is reported on its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAwsGlueCatalog } from '../lib/catalogSync/awsGlueCatalog.js';
import { createCatalogSync } from '../lib/catalogSync/catalogSync.js';
import { commitPending } from '../lib/iceberg/commitPending.js';
import { silentLogger } from '../lib/log.js';
import { openRegistry } from '../lib/registry/registry.js';
import { FsStore } from '../lib/store/fsStore.js';
import { feedChanges } from '../test/catalogSync/glueHarness.js';
import { hyparquetFile } from '../test/conformance/astha.js';
import { startGlueEmulator } from '../test/harness/glueEmulator.js';

const COMMITS = Number(process.argv[2] ?? 200);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'astha-bench-glue-'));
  const emulator = await startGlueEmulator();
  try {
    const store = new FsStore(join(dir, 'warehouse'));
    const registry = await openRegistry(`file:${join(dir, 'registry.db')}`);
    const glue = createAwsGlueCatalog({
      endpoint: emulator.endpoint,
      region: 'us-east-1',
      credentials: emulator.credentials,
    });
    const component = createCatalogSync({ registry, glue, databasePrefix: 'bench_', logger: silentLogger() });
    console.log(
      `glue: moto behind the counting proxy (${emulator.endpoint}); ${COMMITS} commits of one file`,
    );
    let logId = 0;
    const latencies: number[] = [];
    let firstMs = 0;
    let firstCounts = new Map<string, number>();
    for (let c = 0; c < COMMITS; c++) {
      const key = `bench/orders/data/part-${c}.parquet`;
      const info = await store.put(key, hyparquetFile(20, c));
      await registry.registerBatch([{ bucket: 'warehouse', key, size: info.size, etag: info.etag }], store);
      const tableId = (await registry.tableByName('bench', 'orders'))!.id;
      if (c === 1) emulator.resetCounts();
      await commitPending(tableId, { registry, store });
      const start = performance.now();
      logId = await feedChanges(registry, component, logId);
      const elapsed = performance.now() - start;
      if (c === 0) {
        firstMs = elapsed;
        firstCounts = new Map(emulator.counts);
      } else latencies.push(elapsed);
    }
    const table = await glue.getTable('bench_bench', 'orders');
    const pointer = (await registry.tableByName('bench', 'orders'))!.metadata_location;
    if (table?.Parameters.metadata_location !== pointer) throw new Error('Glue is not at the last commit');
    const steady = [...emulator.counts].sort();
    const total = steady.reduce((n, [, v]) => n + v, 0);
    const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
    console.log(
      `first commit (creates database + table): ${fmt(firstMs)}, requests ${JSON.stringify(Object.fromEntries(firstCounts))}`,
    );
    console.log(
      `commit → Glue updated over ${latencies.length} commits: p50 ${fmt(percentile(latencies, 50))}, p99 ${fmt(percentile(latencies, 99))}, max ${fmt(Math.max(...latencies))}`,
    );
    console.log(
      `Glue requests per commit: ${(total / latencies.length).toFixed(2)} (${steady.map(([op, n]) => `${op} ${(n / latencies.length).toFixed(2)}`).join(', ')})`,
    );
    registry.close();
  } finally {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
