/**
 * What the drainer costs when nothing happens: one simulated idle hour (no file lands, no
 * nudge) of (1) the local runtime's drainer (its scheduler on a simulated clock, the real
 * `runFor` on a real `file:` registry) and (2) the Lambda handler `functions/drain.ts`, invoked
 * as often as the stack's safety-net schedule would in an hour. Each run is timed for real;
 * the registry round trips of an idle run are counted. Prints invocations, billed ms and $/month.
 * Run: npx tsx bench/idle.ts [registryRttMs=20]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Client } from '@libsql/client';
import { DRAIN_SCHEDULE } from '../infra/constructs/drainer.js';
import { silentLogger } from '../lib/log.js';
import { MemoryQueue } from '../lib/queue/memoryQueue.js';
import { openRegistry, type Registry } from '../lib/registry/registry.js';
import { LocalRuntime, LOCAL_DRAIN_SCHEDULE_MS } from '../lib/runtime/localRuntime.js';
import { MemoryStore } from '../lib/store/memoryStore.js';
import { lambdaContext, scheduledEvent } from '../test/lambda/lambdaContext.js';

const HOUR_MS = 3_600_000;
const MONTH_HOURS = 720;
const rttMs = Number(process.argv[2] ?? 20);
/** us-east-1 arm64 prices. */
const GB_SECOND = 0.0000133334;
const PER_REQUEST = 0.2 / 1_000_000;

/** Counts every statement sent to the registry (one round trip each over HTTP). */
function counting(registry: Registry): { registry: Registry; calls: () => number } {
  let calls = 0;
  const client = new Proxy(registry.client, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property === 'execute' || property === 'batch' || property === 'transaction') {
        return (...args: unknown[]) => {
          calls++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value.bind(target);
    },
  }) as Client;
  return { registry: { ...registry, client }, calls: () => calls };
}

async function localHour(url: string) {
  const opened = await openRegistry(url);
  const { registry, calls } = counting(opened);
  let simulated = 0;
  const runMs: number[] = [];
  const queue = () => new MemoryQueue('idle', { fifo: true });
  const runtime = new LocalRuntime({
    registry,
    store: new MemoryStore(),
    bucket: 'idle',
    warehousePrefix: '',
    registrationQueue: new MemoryQueue('registration'),
    componentQueues: {
      iceberg_updater: queue(),
      metadata_orchestrator: queue(),
      snapshotter: queue(),
      compactor: queue(),
    },
    components: [],
    logger: silentLogger(),
    drainSleep: async (ms) => {
      simulated += ms;
      await new Promise((r) => setImmediate(r));
    },
  });
  // Time each run: wrap the scheduler's run through its count and the wall clock.
  let before = performance.now();
  let runsSeen = 0;
  runtime.drainer.start();
  while (simulated < HOUR_MS) {
    await new Promise((r) => setImmediate(r));
    if (runtime.drainer.runs > runsSeen) {
      runsSeen = runtime.drainer.runs;
      const now = performance.now();
      runMs.push(now - before);
      before = now;
    }
  }
  await runtime.drainer.stop();
  opened.close();
  const runs = runtime.drainer.runs;
  return { runs, calls: calls(), runMs };
}

async function lambdaHour(url: string) {
  Object.assign(process.env, {
    ASTHA_REGISTRY_URL: url,
    ASTHA_LOG_LEVEL: 'warn',
    ASTHA_COMPONENT_QUEUES: '{}',
  });
  const { handler } = await import('../functions/drain.js');
  const invocations = HOUR_MS / DRAIN_SCHEDULE.toMilliseconds();
  const billed: number[] = [];
  const stopped = new Set<string>();
  for (let i = 0; i < invocations; i++) {
    const started = performance.now();
    const response = await handler(scheduledEvent(String(i)), lambdaContext(60_000));
    billed.push(Math.ceil(performance.now() - started));
    stopped.add(response.stopped);
  }
  return { invocations, billed, stopped: [...stopped] };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'astha-idle-'));
  const url = `file:${join(dir, 'registry.db')}`;
  try {
    (await openRegistry(url)).close();
    const local = await localHour(url);
    const perRun = local.calls / local.runs;
    console.log(
      `local runtime, one idle hour (schedule every ${LOCAL_DRAIN_SCHEDULE_MS / 1000} s, no nudges): ` +
        `${local.runs} drainer runs, ${local.calls} registry statements (${perRun.toFixed(2)} per run), ` +
        `${sum(local.runMs).toFixed(1)} ms of runs in total (${(sum(local.runMs) / local.runs).toFixed(3)} ms per run, ` +
        'measured between run starts on a simulated clock)',
    );
    const lambda = await lambdaHour(url);
    const warm = lambda.billed.slice(1);
    const warmMs = sum(warm) / warm.length;
    console.log(
      `Lambda handler, one idle hour (schedule ${DRAIN_SCHEDULE.toMinutes()} min): ${lambda.invocations} invocations, ` +
        `billed ms measured here: first ${lambda.billed[0]} (opens the registry), then ${warmMs.toFixed(2)} on average; ` +
        `stopped: ${lambda.stopped.join(', ')}`,
    );
    // Deployed, each registry statement is one HTTPS round trip; an idle run sends `perRun` of them.
    const deployedMs = Math.ceil(warmMs + perRun * rttMs);
    const perMonth = lambda.invocations * MONTH_HOURS;
    const gbSeconds = (perMonth * deployedMs * 0.25) / 1000;
    const dollars = gbSeconds * GB_SECOND + perMonth * PER_REQUEST;
    console.log(
      `deployed estimate at ${rttMs} ms per registry round trip: ${deployedMs} ms billed per idle run × ${perMonth} runs/month ` +
        `× 0.25 GB = ${gbSeconds.toFixed(0)} GB-s → $${(gbSeconds * GB_SECOND).toFixed(4)} compute + ` +
        `$${(perMonth * PER_REQUEST).toFixed(4)} requests = $${dollars.toFixed(4)}/month`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
