import { describe, expect, it } from 'vitest';
import { Lease } from '../../lib/astha/lease.js';
import { runFor } from '../../lib/astha/runFor.js';
import { drain } from '../../lib/astha/drain.js';
import type { PassResult } from '../../lib/astha/metrics.js';
import {
  appendLog,
  appendLogs,
  asQueues,
  componentQueues,
  FifoSink,
  inOrderPerGroup,
  images,
  type LogEntry,
  logIds,
  manualClock,
  RecordingQueue,
  sortedIds,
  registryPerTest,
  testLogger,
} from './helpers.js';

const registry = registryPerTest();

const tableChanges = (n: number, tables = 3): LogEntry[] =>
  Array.from({ length: n }, (_, i) => [
    'tables',
    'UPDATE',
    images.tables(i % tables),
    images.tables(i % tables),
  ]);

describe('Lease', () => {
  it('has one holder at a time; a crashed holder’s lease expires; release frees it at once', async () => {
    const clock = manualClock();
    const other = await registry.connect();
    const a = new Lease(registry.client, { owner: 'a', ttlMs: 1_000, clock });
    const b = new Lease(other, { owner: 'b', ttlMs: 1_000, clock });

    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await a.acquire()).toBe(true); // re-acquiring your own lease extends it
    clock.advance(999);
    expect(await b.acquire()).toBe(false);
    clock.advance(1); // a "crashed": it stopped renewing
    expect(await b.acquire()).toBe(true);
    expect(await a.renew()).toBe(false);
    expect(await a.acquire()).toBe(false);
    await b.release();
    expect(await a.acquire()).toBe(true);
  });

  it('acquireBefore waits for the holder until its deadline', async () => {
    const clock = manualClock();
    const a = new Lease(registry.client, { owner: 'a', ttlMs: 500, clock });
    const b = new Lease(registry.client, { owner: 'b', ttlMs: 500, clock });
    expect(await a.acquire()).toBe(true);
    expect(await b.acquireBefore(clock.now() + 300, 100)).toBe(false);
    expect(await b.acquireBefore(clock.now() + 1_000, 100)).toBe(true);
  });
});

describe('runFor', () => {
  function setup() {
    const queues = componentQueues((c) => new RecordingQueue(new FifoSink(c)));
    const clock = manualClock();
    const deps = {
      registry: registry.client,
      queues: asQueues(queues),
      logger: testLogger().logger,
      clock,
      limits: { batchSize: 50 },
    };
    return { queues, clock, deps };
  }

  it('drains back to back while rows remain and stops before the deadline', async () => {
    const { queues, clock, deps } = setup();
    const ids = await appendLogs(registry.client, tableChanges(420));
    const passes: PassResult[] = [];
    const started = clock.now();
    const summary = await runFor(deps, 10_000, { onPass: (p) => void passes.push(p) });

    expect(summary).toMatchObject({ acquired: true, stopped: 'deadline' });
    expect(clock.now()).toBeLessThanOrEqual(started + 10_000);
    expect(passes.map((p) => p.rows)).toEqual([50, 50, 50, 50, 50, 50, 50, 50, 20]);
    expect(summary.metrics).toMatchObject({ batches: 9, changesProcessed: 420, averageBatchSize: 420 / 9 });
    expect(summary.backlog).toEqual({ count: 0, oldestAgeSeconds: 0 });
    expect(sortedIds(queues.metadata_orchestrator.accepted)).toEqual(ids);
    expect(inOrderPerGroup(queues.metadata_orchestrator.accepted)).toBe(true);
    expect(await logIds(registry.client)).toEqual([]);
  });

  it('never starts a pass it cannot finish inside the deadline', async () => {
    const { deps } = setup();
    await appendLogs(registry.client, tableChanges(10));
    const summary = await runFor({ ...deps, limits: { safetyMarginMs: 1_000 } }, 900);
    expect(summary.stopped).toBe('deadline');
    expect(summary.metrics.passes).toBe(0);
    expect(await logIds(registry.client)).toHaveLength(10);
  });

  it('exits at once when another drainer holds the lease (whenLeased: exit)', async () => {
    const { deps, clock } = setup();
    await appendLogs(registry.client, tableChanges(10));
    const holder = new Lease(await registry.connect(), { owner: 'other', ttlMs: 30_000, clock });
    expect(await holder.acquire()).toBe(true);
    const summary = await runFor(deps, 5_000, { whenLeased: 'exit' });
    expect(summary).toMatchObject({ acquired: false, stopped: 'not_acquired' });
    expect(summary.metrics.passes).toBe(0);
    expect(await logIds(registry.client)).toHaveLength(10);
  });

  it('waits for the holder’s lease to expire, then drains (whenLeased: wait)', async () => {
    const { deps, clock, queues } = setup();
    const ids = await appendLogs(registry.client, tableChanges(10));
    const holder = new Lease(await registry.connect(), { owner: 'crashed', ttlMs: 2_000, clock });
    expect(await holder.acquire()).toBe(true);
    const summary = await runFor(deps, 5_000, { whenLeased: 'wait' });
    expect(summary).toMatchObject({ acquired: true, stopped: 'deadline' });
    expect(sortedIds(queues.compactor.accepted)).toEqual(ids);
    expect(inOrderPerGroup(queues.compactor.accepted)).toBe(true);
  });

  it('stops without deleting when its lease was taken over mid-run (fenced delete)', async () => {
    const { deps } = setup();
    const ids = await appendLogs(registry.client, tableChanges(120));
    const thief = await registry.connect();
    const passes: PassResult[] = [];
    const summary = await runFor(deps, 10_000, {
      onPass: async (p) => {
        passes.push(p);
        // After the first batch another drainer takes the lease (as if ours had expired).
        await thief.execute("UPDATE __astha_lease SET owner = 'thief'");
      },
    });
    expect(summary.stopped).toBe('lease_lost');
    expect(passes).toHaveLength(1);
    expect(await logIds(registry.client)).toEqual(ids.slice(50));
  });

  it('a pass whose lease was lost writes nothing: no delete, no dead rows', async () => {
    const { deps, clock } = setup();
    const good = await appendLog(registry.client, 'tables', 'INSERT', undefined, images.tables(1));
    const bad = await appendLog(registry.client, 'table_files', 'INSERT', undefined, {
      id: 'x',
      table_id: 1,
    });
    const lease = new Lease(registry.client, { owner: 'me', ttlMs: 30_000, clock });
    expect(await lease.acquire()).toBe(true);
    await registry.client.execute("UPDATE __astha_lease SET owner = 'thief'");

    await expect(drain(deps, { lease })).rejects.toMatchObject({ code: 'lease_lost' });
    expect(await logIds(registry.client)).toEqual([good, bad]);
    expect((await registry.client.execute('SELECT count(*) AS n FROM __cdc_dead')).rows[0]?.['n']).toBe(0);
  });
});
