/**
 * Drainers in their own processes against LocalStack SQS FIFO queues: killed at random
 * points (SIGKILL, so nothing is cleaned up), and two started at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { runFor } from '../../lib/astha/runFor.js';
import { COMPONENTS } from '../../lib/astha/subscriptions.js';
import type { ChildSettings } from './drainChild.js';
import { logIds, registryPerTest, testLogger } from './helpers.js';
import { changeWriter, keepLogCopy, loggedChanges, prng } from './registryChanges.js';
import { awsOptions, createComponentQueues, deliveryProblems, receiveAll } from './sqsHelpers.js';

// The child is bundled once (dependencies stay external), so each of the many processes
// starts in a fraction of the time a per-file TypeScript loader would take.
const CHILD = join(process.cwd(), '.cache', 'astha', 'drainChild.mjs');
beforeAll(async () => {
  await build({
    entryPoints: ['test/astha/drainChild.ts'],
    outfile: CHILD,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
});

const registry = registryPerTest(keepLogCopy);

interface ChildLine {
  event: 'started' | 'pass' | 'done';
  owner: string;
  firstId?: number;
  lastId?: number;
  committed?: boolean;
  stopped?: string;
}

interface Child {
  process: ChildProcess;
  lines: ChildLine[];
  /** Resolves with the first line matching `test`. */
  next(test: (line: ChildLine) => boolean): Promise<ChildLine | undefined>;
  exited: Promise<number | null>;
  stderr: () => string;
}

function startChild(settings: ChildSettings): Child {
  const child = spawn(process.execPath, [CHILD], {
    env: { ...process.env, ASTHA_DRAIN_CHILD: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: ChildLine[] = [];
  const waiters: { test: (l: ChildLine) => boolean; resolve: (l: ChildLine | undefined) => void }[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    // Only the child's own report lines; anything else a library prints is not ours to parse.
    if (!text.startsWith('{"event"')) return;
    const line = JSON.parse(text) as ChildLine;
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (!waiter.test(line)) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => {
    for (const waiter of waiters.splice(0)) waiter.resolve(undefined);
  });
  return {
    process: child,
    lines,
    next: (test) => {
      const found = lines.find(test);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
    exited,
    stderr: () => stderr,
  };
}

describe('drainer processes on LocalStack SQS FIFO', () => {
  it('survives SIGKILL at random points: every change delivered at least once, in order, log emptied', async () => {
    const { urls, queues } = await createComponentQueues('crash');
    const writer = await changeWriter(await registry.connect(), 3);
    const random = prng(20261127);
    const runs = 20;
    let killedWithRowsLeft = 0;
    let killedAfterCommits = 0;
    const settings = (run: number): ChildSettings => ({
      registryUrl: registry.url,
      queueUrls: urls,
      aws: awsOptions(),
      runMs: 60_000,
      batchSize: 4,
      leaseTtlMs: 500,
      whenLeased: 'wait',
      owner: `child-${run}`,
    });
    // The next drainer is started before the current one is killed, so it is warm (and
    // already waiting for the lease) when the victim dies: faster, and a realistic takeover.
    let child = startChild(settings(0));
    for (let run = 0; run < runs; run++) {
      await writer.write(24, 4);
      const victim = child;
      // Half the kills land at a random moment after start (maybe while waiting for the
      // lease), half a random moment after the first committed pass (mid-drain).
      const afterFirstPass = run % 2 === 1;
      await victim.next((l) => (afterFirstPass ? l.event === 'pass' : l.event === 'started'));
      if (run + 1 < runs) child = startChild(settings(run + 1));
      await new Promise((resolve) =>
        setTimeout(resolve, Math.floor(random() * (afterFirstPass ? 150 : 1_000))),
      );
      victim.process.kill('SIGKILL');
      expect(await victim.exited, victim.stderr()).toBe(null);
      if ((await logIds(registry.client)).length > 0) killedWithRowsLeft += 1;
      if (victim.lines.some((l) => l.event === 'pass' && l.committed)) killedAfterCommits += 1;
    }
    expect(killedWithRowsLeft).toBeGreaterThan(runs / 4);
    expect(killedAfterCommits).toBeGreaterThan(runs / 4);

    // A clean drain afterwards (it waits out the last victim's lease) empties the log.
    const summary = await runFor({ registry: registry.client, queues, logger: testLogger().logger }, 30_000, {
      whenLeased: 'wait',
      untilEmpty: true,
    });
    // 'idle' when the last victims had already emptied the log: the run then only looks.
    expect(['empty', 'idle']).toContain(summary.stopped);
    expect(await logIds(registry.client)).toEqual([]);
    const expected = await loggedChanges(registry.client);
    expect(expected.length).toBeGreaterThanOrEqual(runs * 24);
    for (const component of COMPONENTS) {
      expect(deliveryProblems(component, expected, await receiveAll(queues[component]))).toEqual([]);
    }
  }, 300_000);

  it('never interleaves two drainers started at once: batch ranges do not overlap, table order holds', async () => {
    const { urls, queues } = await createComponentQueues('pair');
    const writer = await changeWriter(await registry.connect(), 5);
    await writer.write(100, 10);
    const settings = (owner: string, runMs: number): ChildSettings => ({
      registryUrl: registry.url,
      queueUrls: urls,
      aws: awsOptions(),
      runMs,
      batchSize: 10,
      leaseTtlMs: 10_000,
      whenLeased: 'wait',
      owner,
    });
    const children = [startChild(settings('a', 2_500)), startChild(settings('b', 5_000))];
    // Changes keep arriving while both run.
    await Promise.all(children.map((c) => c.next((l) => l.event === 'started')));
    await writer.write(200, 10);
    const codes = await Promise.all(children.map((c) => c.exited));
    expect(codes, children.map((c) => c.stderr()).join('\n')).toEqual([0, 0]);

    const passes = children.flatMap((c) => c.lines).filter((l) => l.event === 'pass' && l.committed);
    const owners = new Set(passes.map((p) => p.owner));
    expect(owners.size).toBeGreaterThanOrEqual(1);
    const sorted = [...passes].sort((x, y) => (x.firstId ?? 0) - (y.firstId ?? 0));
    for (let i = 1; i < sorted.length; i++) {
      expect(
        sorted[i]!.firstId,
        `${JSON.stringify(sorted[i - 1])} vs ${JSON.stringify(sorted[i])}`,
      ).toBeGreaterThan(sorted[i - 1]!.lastId!);
    }
    // The drainer that lost the race waited, then drained after the first or gave up at its deadline.
    const done = children.flatMap((c) => c.lines).filter((l) => l.event === 'done');
    expect(done).toHaveLength(2);
    for (const d of done) expect(['deadline', 'not_acquired']).toContain(d.stopped);

    await runFor({ registry: registry.client, queues, logger: testLogger().logger }, 30_000, {
      whenLeased: 'wait',
      untilEmpty: true,
    });
    const expected = await loggedChanges(registry.client);
    for (const component of COMPONENTS) {
      expect(deliveryProblems(component, expected, await receiveAll(queues[component]))).toEqual([]);
    }
  }, 180_000);
});
