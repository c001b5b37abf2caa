/**
 * Registry benchmarks: `npx tsx bench/registry.ts [files]`.
 *
 * 1. The registration write path into a `file:` registry with pre-read footers (plans built
 *    from one real footer inspection), in batches: with the CDC triggers, and the same writes
 *    with every `__cdc_*` trigger dropped. Prints both rates and the ratio.
 * 2. Footer read + Iceberg schema + column stats of a 50-column Parquet file through the
 *    filesystem ObjectStore (inspectParquet): files/s.
 * 3. End to end: registerBatch from the filesystem store (HEAD + footer + write): files/s.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ColumnSource, parquetWriteBuffer } from 'hyparquet-writer';
import { parseWarehouseKey } from '../lib/layout/warehousePath.js';
import { inspectParquet, type ParquetInspection } from '../lib/parquet/inspectParquet.js';
import { joinUri, type RegistrationPlan, type S3ObjectRef } from '../lib/registry/planRegistration.js';
import { openRegistry, type Registry } from '../lib/registry/registry.js';
import { writeRegistrations } from '../lib/registry/writeRegistrations.js';
import { FsStore } from '../lib/store/fsStore.js';

const FILES = Number(process.argv[2] ?? 20_000);
const BATCH = 500;
const TABLES = 10;
const COLUMNS = 50;
const FOOTER_READS = 2_000;
const END_TO_END = 2_000;

function fiftyColumnParquet(rows: number): Uint8Array {
  const columns: ColumnSource[] = Array.from({ length: COLUMNS }, (_, c) => {
    const name = `col_${c}`;
    if (c % 4 === 0) return { name, data: Int32Array.from({ length: rows }, (_, i) => i * c), type: 'INT32' };
    if (c % 4 === 1)
      return { name, data: BigInt64Array.from({ length: rows }, (_, i) => BigInt(i) << 20n), type: 'INT64' };
    if (c % 4 === 2)
      return { name, data: Array.from({ length: rows }, (_, i) => (i % 9 ? i / 3 : null)), type: 'DOUBLE' };
    return { name, data: Array.from({ length: rows }, (_, i) => `v${c}-${i % 500}`), type: 'STRING' };
  });
  return new Uint8Array(parquetWriteBuffer({ columnData: columns }));
}

function plans(
  inspection: ParquetInspection,
  storeUrl: string,
  from: number,
  count: number,
): RegistrationPlan[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const key = `bench/t${n % TABLES}/data/day=2024-01-${String((n % 28) + 1).padStart(2, '0')}/part-${n}.parquet`;
    const parsed = parseWarehouseKey(key, '');
    if (parsed.kind !== 'data') throw new Error(parsed.reason);
    const object: S3ObjectRef = { bucket: 'bench', key, size: inspection.fileSize, etag: `etag-${n}` };
    return {
      kind: 'file',
      object,
      inspection,
      location: {
        key: parsed.key,
        path: parsed.key.path,
        uri: joinUri(storeUrl, key),
        tableLocation: joinUri(storeUrl, parsed.key.tablePrefix),
      },
    };
  });
}

async function dropCdcTriggers(registry: Registry): Promise<number> {
  const triggers = await registry.client.execute(
    "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '\\_\\_cdc\\_%' ESCAPE '\\'",
  );
  for (const row of triggers.rows) await registry.client.execute(`DROP TRIGGER "${String(row.name)}"`);
  return triggers.rows.length;
}

/** Files/s of the write path into a fresh registry; `triggers: false` drops the CDC triggers first. */
async function writePath(
  dir: string,
  inspection: ParquetInspection,
  triggers: boolean,
): Promise<{ wall: number; cpu: number }> {
  const registry = await openRegistry(`file:${join(dir, `registry-${triggers ? 'cdc' : 'plain'}.db`)}`);
  try {
    if (!triggers) await dropCdcTriggers(registry);
    // Warm-up batch: creates the tables, so the timed part measures steady-state registration.
    await writeRegistrations(registry.client, plans(inspection, 'file:///bench', FILES, TABLES));
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (let from = 0; from < FILES; from += BATCH) {
      const outcomes = await writeRegistrations(
        registry.client,
        plans(inspection, 'file:///bench', from, BATCH),
      );
      if (outcomes.some((o) => o.status !== 'registered'))
        throw new Error(`unexpected outcome ${JSON.stringify(outcomes[0])}`);
    }
    const seconds = (performance.now() - start) / 1000;
    const cpu = cpuSeconds(cpuStart);
    const cdc = Number((await registry.client.execute('SELECT count(*) AS n FROM __cdc_log')).rows[0]?.n);
    console.log(
      `  ${triggers ? 'with CDC triggers   ' : 'without CDC triggers'}: ${Math.round(FILES / seconds)} files/s wall, ` +
        `${Math.round(FILES / cpu)} files/CPU-s (${FILES} files, ${seconds.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU, ` +
        `__cdc_log rows: ${cdc})`,
    );
    return { wall: seconds, cpu };
  } finally {
    registry.close();
  }
}

/** CPU seconds (user + system) this process used since `start`: robust to a busy machine. */
function cpuSeconds(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

async function footerReads(store: FsStore, key: string): Promise<void> {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let columns = 0;
  for (let i = 0; i < FOOTER_READS; i++) columns = (await inspectParquet(store, key)).columns.length;
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `  ${Math.round(FOOTER_READS / seconds)} files/s wall, ${Math.round(FOOTER_READS / cpuSeconds(cpuStart))} files/CPU-s ` +
      `sequential (${columns} columns, ${FOOTER_READS} reads)`,
  );
}

async function endToEnd(dir: string, store: FsStore, bytes: Uint8Array): Promise<void> {
  const events: S3ObjectRef[] = [];
  for (let n = 0; n < END_TO_END; n++) {
    const key = `e2e/t${n % TABLES}/data/part-${n}.parquet`;
    const info = await store.put(key, bytes);
    events.push({ bucket: 'bench', key, size: info.size, etag: info.etag });
  }
  const registry = await openRegistry(`file:${join(dir, 'registry-e2e.db')}`);
  try {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (let from = 0; from < events.length; from += BATCH) {
      await registry.registerBatch(events.slice(from, from + BATCH), store);
    }
    const seconds = (performance.now() - start) / 1000;
    const cpu = cpuSeconds(cpuStart);
    const status = await registry.status();
    console.log(
      `  ${Math.round(END_TO_END / seconds)} files/s wall, ${Math.round(END_TO_END / cpu)} files/CPU-s ` +
        `(${status.filesByState.pending} pending files, ` +
        `batches of ${BATCH}, footer reads 8 at a time)`,
    );
  } finally {
    registry.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'astha-bench-registry-'));
  try {
    const store = new FsStore(join(dir, 'warehouse'));
    mkdirSync(store.root, { recursive: true });
    const bytes = fiftyColumnParquet(5_000);
    await store.put('footer/wide.parquet', bytes);
    const inspection = await inspectParquet(store, 'footer/wide.parquet');

    console.log(
      `registration write path, pre-read footers (${COLUMNS} columns, batches of ${BATCH}, ${TABLES} tables):`,
    );
    const withCdc = await writePath(dir, inspection, true);
    const without = await writePath(dir, inspection, false);
    console.log(
      `  CDC cost: ${(withCdc.cpu / without.cpu).toFixed(2)}x the CPU time, ` +
        `${(withCdc.wall / without.wall).toFixed(2)}x the wall time without triggers`,
    );

    console.log(
      `footer read + stats, ${COLUMNS}-column Parquet file (${bytes.length} bytes) from the filesystem store:`,
    );
    await footerReads(store, 'footer/wide.parquet');

    console.log(`end to end registerBatch from the filesystem store (${END_TO_END} files):`);
    await endToEnd(dir, store, bytes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
