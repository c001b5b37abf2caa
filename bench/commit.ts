/**
 * Commit benchmark: `npx tsx bench/commit.ts [commits] [filesPerCommit] [samples]`.
 *
 * Commit time must not grow with table size. On one filesystem warehouse store and one
 * `file:` registry, side by side in one run:
 *   - empty:  commitPending of 10 freshly registered files into a table with no snapshot
 *             (v1 already created), on `samples` fresh tables;
 *   - large:  the same into a table built by 1,000 commits of 10 files (10,000 files),
 *             `samples` times in a row.
 * Only commitPending is timed (registration is not). Prints both medians and the ratio, for a
 * warm updater (the target) and, for information, a cold one (metadata cache forgotten).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { definitionFromRegistry, ensureTable } from '../lib/iceberg/commit/ensureTable.js';
import { forgetCachedVersions } from '../lib/iceberg/commit/loadTable.js';
import { commitPending } from '../lib/iceberg/commitPending.js';
import { openRegistry, type Registry } from '../lib/registry/registry.js';
import { FsStore } from '../lib/store/fsStore.js';
import type { ObjectStore } from '../lib/store/objectStore.js';
import { ordersFile } from './ordersFile.js';

const COMMITS = Number(process.argv[2] ?? 1_000);
const FILES_PER_COMMIT = Number(process.argv[3] ?? 10);
const SAMPLES = Number(process.argv[4] ?? 21);

let nextId = 0;
/** Writes and registers `count` files under table `ns/name`; returns the table id. */
async function addFiles(
  registry: Registry,
  store: ObjectStore,
  table: string,
  count: number,
): Promise<number> {
  const refs = [];
  for (let i = 0; i < count; i++) {
    const key = `bench/${table}/data/part-${nextId}.parquet`;
    const info = await store.put(key, ordersFile(nextId * 20));
    nextId += 1;
    refs.push({ bucket: 'warehouse', key, size: info.size, etag: info.etag });
  }
  const outcomes = await registry.registerBatch(refs, store);
  const bad = outcomes.find((o) => o.status !== 'registered');
  if (bad) throw new Error(`registration failed: ${JSON.stringify(bad)}`);
  return (await registry.tableByName('bench', table))?.id ?? -1;
}

async function timedCommit(registry: Registry, store: ObjectStore, tableId: number): Promise<number> {
  const start = performance.now();
  const result = await commitPending(tableId, { registry, store });
  const elapsed = performance.now() - start;
  if (result === 'nothing pending' || result.filesAdded !== FILES_PER_COMMIT)
    throw new Error('commit did not add the files');
  return elapsed;
}

/** v1 of a registered table, so the timed commit is an append like the large table's. */
async function createWithoutSnapshot(registry: Registry, store: ObjectStore, tableId: number): Promise<void> {
  const row = await registry.tableById(tableId);
  const metadata = await registry.tableMetadata(tableId);
  if (!row || !metadata) throw new Error(`table ${tableId} is not registered`);
  await ensureTable(
    store,
    { keyPrefix: row.key_prefix, location: row.location },
    definitionFromRegistry(metadata),
  );
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'astha-bench-commit-'));
  try {
    const store = new FsStore(join(dir, 'warehouse'));
    const registry = await openRegistry(`file:${join(dir, 'registry.db')}`);
    console.log(`store: filesystem (${store.url}), registry: libSQL file`);

    const buildStart = performance.now();
    const large = await addFiles(registry, store, 'large', FILES_PER_COMMIT);
    await commitPending(large, { registry, store });
    for (let c = 1; c < COMMITS; c++) {
      await addFiles(registry, store, 'large', FILES_PER_COMMIT);
      await commitPending(large, { registry, store });
      if (c % 100 === 0) console.log(`  built ${c} commits (${c * FILES_PER_COMMIT} files)`);
    }
    console.log(
      `large table: ${COMMITS} commits, ${COMMITS * FILES_PER_COMMIT} files, built in ${((performance.now() - buildStart) / 1000).toFixed(1)} s`,
    );

    const series = {
      empty: [] as number[],
      large: [] as number[],
      emptyCold: [] as number[],
      largeCold: [] as number[],
    };
    for (let s = 0; s < SAMPLES; s++) {
      // Interleaved, so both see the same machine load. Warm = the updater process committed
      // to the table before (its metadata cached); cold = a fresh process reading it first.
      for (const cold of [false, true]) {
        const emptyId = await addFiles(
          registry,
          store,
          `empty_${s}_${cold ? 'cold' : 'warm'}`,
          FILES_PER_COMMIT,
        );
        await createWithoutSnapshot(registry, store, emptyId);
        if (cold) forgetCachedVersions();
        (cold ? series.emptyCold : series.empty).push(await timedCommit(registry, store, emptyId));
        await addFiles(registry, store, 'large', FILES_PER_COMMIT);
        if (cold) forgetCachedVersions();
        (cold ? series.largeCold : series.large).push(await timedCommit(registry, store, large));
      }
    }
    const files = COMMITS * FILES_PER_COMMIT;
    const report = (label: string, empty: number[], big: number[], target: string) => {
      const [e, l] = [median(empty), median(big)];
      console.log(
        `${label}: commit ${FILES_PER_COMMIT} files into an empty table: median ${e.toFixed(1)} ms (${SAMPLES} samples)`,
      );
      console.log(
        `${label}: commit ${FILES_PER_COMMIT} files into a table of ${files} files (${COMMITS} commits): median ${l.toFixed(1)} ms (${SAMPLES} samples)`,
      );
      console.log(`${label}: ratio large/empty ${(l / e).toFixed(2)}x${target}`);
    };
    report('warm updater', series.empty, series.large, ' (target <= 1.5x)');
    report(
      'cold updater',
      series.emptyCold,
      series.largeCold,
      ' (for information: first commit of a fresh process)',
    );
    registry.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
