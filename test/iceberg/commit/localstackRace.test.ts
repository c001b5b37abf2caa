/**
 * The Reliability proof on real parts: 8 updater processes commit 1,000 distinct registered
 * files to one table on LocalStack S3 (which enforces conditional writes) through a shared
 * sqld registry, racing on every metadata version. PyIceberg must see every file exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ClientConfig } from '../../../lib/aws/awsOptions.js';
import { commitPending } from '../../../lib/iceberg/commitPending.js';
import { openRegistry, type Registry } from '../../../lib/registry/registry.js';
import { openStore } from '../../../lib/store/openStore.js';
import { localstack, type SqldServer, startSqld, uniqueName } from '../../harness/services.js';
import { ordersParquet } from '../../registry/parquetFiles.js';
import { fileStates, readWithPyIceberg } from './commitFixtures.js';

const COMMITTERS = 8;
const FILES = 1_000;
const ROWS = 3;

let childScript = '';
let sqld: SqldServer;
let registry: Registry;
beforeAll(async () => {
  // Bundled once (dependencies stay external, resolved from the repo's node_modules).
  childScript = join(process.cwd(), '.cache', 'committerChild.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'committerChild.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: childScript,
  });
  sqld = await startSqld();
  registry = await openRegistry(sqld.url);
});
afterAll(async () => {
  registry?.close();
  await sqld?.stop();
});

function startChild(args: string[]): { process: ChildProcess; output: Promise<string> } {
  const child = spawn(process.execPath, [childScript, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const output = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) =>
      code === 0
        ? resolve(stdout.trim().split('\n').at(-1) ?? '')
        : reject(new Error(`child exited ${code}: ${stderr}`)),
    );
  });
  return { process: child, output };
}

async function waitReady(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
  });
}

describe('8 committers on LocalStack S3', () => {
  it('commit 1,000 distinct files; PyIceberg sees each exactly once', async () => {
    const { endpoint } = localstack();
    const bucket = uniqueName('astha-race');
    await new S3Client(s3ClientConfig(localstack())).send(new CreateBucketCommand({ Bucket: bucket }));
    const storeUrl = `s3://${bucket}/`;
    const store = openStore(storeUrl, { aws: localstack() });
    const refs = [];
    for (let start = 0; start < FILES; start += 50) {
      const batch = Array.from({ length: Math.min(50, FILES - start) }, (_, i) => start + i);
      refs.push(
        ...(await Promise.all(
          batch.map(async (n) => {
            const key = `race/orders/data/part-${String(n).padStart(4, '0')}.parquet`;
            const info = await store.put(key, ordersParquet(ROWS, { firstId: n * ROWS }));
            return { bucket, key, size: info.size, etag: info.etag };
          }),
        )),
      );
    }
    const outcomes = await registry.registerBatch(refs, store, { concurrency: 32 });
    expect(outcomes.filter((o) => o.status !== 'registered')).toEqual([]);
    const tableId = (await registry.tableByName('race', 'orders'))?.id ?? -1;

    // Started one after another (opening a registry migrates it, and concurrent migrations
    // time out on sqld), then released together.
    const children: Array<ReturnType<typeof startChild>> = [];
    for (let i = 0; i < COMMITTERS; i++) {
      const child = startChild([sqld.url, storeUrl, endpoint, String(tableId), '40']);
      children.push(child);
      await Promise.race([
        waitReady(child.process),
        child.output.then((line) => Promise.reject(new Error(`child ended before ready: ${line}`))),
      ]);
    }
    for (const child of children) child.process.stdin?.end('go\n');
    const results = (await Promise.all(children.map((c) => c.output))).map(
      (line) => JSON.parse(line) as { commits: Array<{ files: number; attempts: number }>; errors: string[] },
    );
    // Anything a child left behind (it gave up on an error) is swept here, as a later event would.
    while ((await commitPending(tableId, { registry, store })) !== 'nothing pending') {
      // keep committing
    }
    const commits = results.flatMap((r) => r.commits);
    expect(results.filter((r) => r.commits.length > 0).length).toBeGreaterThan(1);
    // The committers really raced: some commits needed more than one metadata PUT.
    expect(commits.some((c) => c.attempts > 1)).toBe(true);
    expect(await fileStates(registry, tableId)).toEqual({ committed: FILES });

    const row = await registry.tableById(tableId);
    const read = await readWithPyIceberg(row?.metadata_location ?? '', { endpoint });
    expect(read.files).toHaveLength(FILES);
    expect(new Set(read.files).size).toBe(FILES);
    expect(read.rows).toBe(FILES * ROWS);
    const ids = FILES * ROWS;
    expect(read.sum).toBe((ids * (ids - 1)) / 2);
  }, 600_000);
});
