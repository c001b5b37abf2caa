import { describe, expect, it } from 'vitest';
import { loadBreakers } from '../../lib/astha/circuitBreaker.js';
import { type DrainDeps, drain } from '../../lib/astha/drain.js';
import { decodeMessage } from '../../lib/astha/events.js';
import {
  appendLogs,
  asQueues,
  componentQueues,
  FaultyQueue,
  FifoSink,
  firstDeliveries,
  images,
  type LogEntry,
  logIds,
  manualClock,
  registryPerTest,
  testLogger,
} from './helpers.js';

const registry = registryPerTest();

const fileChanges = (n: number): LogEntry[] =>
  Array.from({ length: n }, (_, i) => ['table_files', 'INSERT', undefined, images.table_files(i, 1)]);

function setup(deadLetterQueues?: DrainDeps['deadLetterQueues']) {
  const queues = componentQueues((c) => new FaultyQueue(new FifoSink(c)));
  const clock = manualClock();
  const deps: DrainDeps = {
    registry: registry.client,
    queues: asQueues(queues),
    ...(deadLetterQueues ? { deadLetterQueues } : {}),
    logger: testLogger().logger,
    clock,
    limits: { failureThreshold: 3, coolDownMs: 10_000, maxSendRetries: 0, maxMessageAgeSeconds: 60 },
  };
  return { queues, clock, deps };
}

const sink = (q: FaultyQueue) => q.inner as FifoSink;

describe('circuit breaker', () => {
  it('opens after N failed sends; the others keep flowing; then probes with one refresh and closes', async () => {
    const { queues, clock, deps } = setup();
    queues.compactor.down = true;
    const first = await appendLogs(registry.client, fileChanges(5));

    // Failures 1 and 2: nothing deleted, the breaker counts.
    for (let i = 0; i < 2; i++) expect((await drain(deps)).committed).toBe(false);
    expect((await loadBreakers(registry.client)).get('compactor')).toMatchObject({
      state: 'closed',
      failures: 2,
    });
    // Failure 3 opens it; the rows are still kept by that pass.
    expect((await drain(deps)).committed).toBe(false);
    expect((await loadBreakers(registry.client)).get('compactor')).toMatchObject({
      state: 'open',
      failures: 3,
    });

    // While open: compactor is skipped, the others get the rows, the rows are deleted.
    const open = await drain(deps);
    expect(open).toMatchObject({ committed: true, processed: 5 });
    expect(open.components.compactor).toMatchObject({ sent: 0, skipped: 5 });
    expect(firstDeliveries(sink(queues.iceberg_updater).messages).ids).toEqual(first);
    expect(sink(queues.compactor).messages).toEqual([]);
    expect((await loadBreakers(registry.client)).get('compactor')).toMatchObject({
      state: 'open',
      needsRefresh: true,
    });
    expect(await logIds(registry.client)).toEqual([]);

    // Cool-down not over: still skipped, even though the queue is back.
    queues.compactor.down = false;
    const during = await appendLogs(registry.client, fileChanges(2));
    expect((await drain(deps)).components.compactor.skipped).toBe(2);

    // After the cool-down: one refresh, then the new events, and the breaker is closed.
    clock.advance(10_000);
    const after = await appendLogs(registry.client, fileChanges(3));
    const probe = await drain(deps);
    expect(probe).toMatchObject({ committed: true });
    const received = sink(queues.compactor).messages.map((m) => decodeMessage(m.body));
    expect(received[0]).toMatchObject({ kind: 'refresh', component: 'compactor' });
    expect(received.slice(1).map((m) => m.id)).toEqual(after);
    expect(received.filter((m) => m.kind === 'refresh')).toHaveLength(1);
    expect(firstDeliveries(sink(queues.snapshotter).messages).ids).toEqual([...first, ...during, ...after]);
    expect((await loadBreakers(registry.client)).get('compactor')).toMatchObject({
      state: 'closed',
      failures: 0,
      needsRefresh: false,
    });

    // Closed stays closed: no second refresh.
    await appendLogs(registry.client, fileChanges(1));
    await drain(deps);
    expect(
      sink(queues.compactor).messages.filter((m) => decodeMessage(m.body).kind === 'refresh'),
    ).toHaveLength(1);
  });

  it('keeps the breaker open when the probe fails, and restarts the cool-down', async () => {
    const { queues, clock, deps } = setup();
    queues.snapshotter.down = true;
    await appendLogs(registry.client, fileChanges(2));
    for (let i = 0; i < 3; i++) await drain(deps);
    const openedAt = (await loadBreakers(registry.client)).get('snapshotter')?.openedAt;
    clock.advance(10_000);
    const probe = await drain(deps);
    expect(probe.committed).toBe(true);
    expect(probe.components.snapshotter.skipped).toBe(2);
    const record = (await loadBreakers(registry.client)).get('snapshotter');
    expect(record).toMatchObject({ state: 'open', needsRefresh: true });
    expect(record?.openedAt).toBe(clock.now());
    expect(record?.openedAt).not.toBe(openedAt);
    expect(record?.reason).toMatch(/refresh probe failed: injected outage/);
  });

  it('opens when the component reports unhealthy: old messages, or a non-empty dead-letter queue', async () => {
    const dlq = new FifoSink('compactor-dlq');
    const { queues, deps } = setup({ compactor: dlq });
    sink(queues.iceberg_updater).statsOverride = { visible: 3, inFlight: 0, oldestAgeSeconds: 61 };
    await dlq.sendBatch([{ id: '1', body: 'gave up', groupId: 'g', deduplicationId: '1' }]);
    await appendLogs(registry.client, fileChanges(4));

    const pass = await drain(deps);
    expect(pass.committed).toBe(true);
    expect(pass.components.iceberg_updater.skipped).toBe(4);
    expect(pass.components.compactor.skipped).toBe(4);
    expect(pass.components.snapshotter.sent).toBe(4);
    const breakers = await loadBreakers(registry.client);
    expect(breakers.get('iceberg_updater')?.reason).toMatch(/oldest message is 61 s old \(limit 60 s\)/);
    expect(breakers.get('compactor')?.reason).toMatch(/dead-letter queue holds 1 messages/);
    expect(breakers.get('snapshotter')?.state).toBe('closed');
  });

  it('does not open on a health check that cannot be made; the send decides', async () => {
    const { queues, deps } = setup();
    sink(queues.compactor).statsFail = true;
    await appendLogs(registry.client, fileChanges(3));
    const pass = await drain(deps);
    expect(pass.committed).toBe(true);
    expect(pass.components.compactor.sent).toBe(3);
    expect((await loadBreakers(registry.client)).get('compactor')?.state).toBe('closed');
  });

  it('lives in the registry: a new drainer process sees the open breaker', async () => {
    const { queues, deps } = setup();
    queues.metadata_orchestrator.down = true;
    await appendLogs(registry.client, [['tables', 'INSERT', undefined, images.tables(1)]]);
    for (let i = 0; i < 3; i++) await drain(deps);
    const fresh = { ...deps, registry: await registry.connect() };
    const pass = await drain(fresh);
    expect(pass.committed).toBe(true);
    expect(pass.components.metadata_orchestrator.skipped).toBe(1);
  });
});
