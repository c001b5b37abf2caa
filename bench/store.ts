/**
 * ObjectStore throughput of each adapter: put/get of 1 KiB objects (ops/s), put/get of
 * 1 MiB objects (ops/s and MB/s) and listing (keys/s). Run: `npx tsx bench/store.ts`.
 * Bounded: every phase stops at its count or after PHASE_BUDGET_MS, whichever comes first.
 * LocalStack S3 is measured when it answers on 127.0.0.1:4566, otherwise a line says so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStore } from '../lib/store/fsStore.js';
import { MemoryStore } from '../lib/store/memoryStore.js';
import type { ObjectStore } from '../lib/store/objectStore.js';
import { LOCALSTACK, localstackS3 } from './localstack.js';

const SMALL_COUNT = 500;
const LARGE_COUNT = 40;
const CONCURRENCY = 8;
const PHASE_BUDGET_MS = 3_000;
const MiB = 1024 * 1024;

interface Phase {
  ops: number;
  seconds: number;
}

/** Runs `op(i)` for i = 0..count-1 with CONCURRENCY workers until done or out of time. */
async function timed(count: number, op: (i: number) => Promise<unknown>): Promise<Phase> {
  const started = performance.now();
  const deadline = started + PHASE_BUDGET_MS;
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count && performance.now() < deadline) {
      const i = next;
      next += 1;
      await op(i);
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { ops: done, seconds: (performance.now() - started) / 1000 };
}

function report(adapter: string, what: string, phase: Phase, bytesPerOp?: number): void {
  const opsPerSecond = phase.ops / phase.seconds;
  const mbPerSecond =
    bytesPerOp === undefined ? '' : `  ${((opsPerSecond * bytesPerOp) / 1e6).toFixed(1)} MB/s`;
  console.log(
    `${adapter.padEnd(9)} ${what.padEnd(14)} ${String(phase.ops).padStart(5)} ops in ${phase.seconds.toFixed(2)} s  ${opsPerSecond.toFixed(0).padStart(7)} ops/s${mbPerSecond}`,
  );
}

async function bench(adapter: string, store: ObjectStore): Promise<void> {
  const small = new Uint8Array(1024).fill(7);
  const large = new Uint8Array(MiB).fill(9);
  const smallPut = await timed(SMALL_COUNT, (i) => store.put(`small/${String(i).padStart(5, '0')}`, small));
  report(adapter, 'put 1 KiB', smallPut);
  report(
    adapter,
    'get 1 KiB',
    await timed(smallPut.ops, (i) => store.get(`small/${String(i).padStart(5, '0')}`)),
  );
  const listStarted = performance.now();
  let listed = 0;
  for await (const _ of store.list('small/')) listed += 1;
  report(adapter, 'list', { ops: listed, seconds: (performance.now() - listStarted) / 1000 });
  const largePut = await timed(LARGE_COUNT, (i) => store.put(`large/${i}`, large));
  report(adapter, 'put 1 MiB', largePut, MiB);
  report(adapter, 'get 1 MiB', await timed(largePut.ops, (i) => store.get(`large/${i}`)), MiB);
}

async function main(): Promise<void> {
  console.log(
    `store benchmark: ${SMALL_COUNT} x 1 KiB, ${LARGE_COUNT} x 1 MiB, ${CONCURRENCY} concurrent, ${PHASE_BUDGET_MS / 1000} s cap per phase`,
  );
  await bench('memory', new MemoryStore('bench'));
  const root = mkdtempSync(join(tmpdir(), 'astha-bench-'));
  try {
    await bench('fs', new FsStore(root));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const s3 = await localstackS3('bench');
  if (s3) await bench('s3', s3);
  else console.log(`s3        LocalStack is not reachable at ${LOCALSTACK}: skipped`);
}

await main();
