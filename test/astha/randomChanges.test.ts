import { describe, expect, it } from 'vitest';
import type { ComponentQueues } from '../../lib/astha/drain.js';
import { runFor } from '../../lib/astha/runFor.js';
import { COMPONENTS } from '../../lib/astha/subscriptions.js';
import { MemoryQueue } from '../../lib/queue/memoryQueue.js';
import { componentQueues, logIds, registryPerTest, testLogger } from './helpers.js';
import { changeWriter, keepLogCopy, loggedChanges } from './registryChanges.js';
import { deliveryProblems, receiveAll } from './sqsHelpers.js';

const registry = registryPerTest(keepLogCopy);

describe('10,000 random registry changes (memory FIFO queues)', () => {
  it('every component receives exactly its subscribed tables’ changes, in id order per table', async () => {
    const queues = componentQueues((c) => new MemoryQueue(`${c}.fifo`, { fifo: true }));
    const writer = await changeWriter(await registry.connect(), 42);
    let writing = true;
    // Changes are written while the drainer runs, as registrations would be.
    const written = writer.write(10_000, 100).finally(() => {
      writing = false;
    });
    const deps = {
      registry: registry.client,
      queues: queues as ComponentQueues,
      logger: testLogger().logger,
      limits: { pollIntervalMs: 5 },
    };
    let passes = 0;
    while (writing || (await logIds(registry.client)).length > 0) {
      const summary = await runFor(deps, 60_000, { untilEmpty: true });
      passes += summary.metrics.batches;
    }
    await written;

    const expected = await loggedChanges(registry.client);
    expect(expected.length).toBeGreaterThanOrEqual(10_000);
    expect(new Set(expected.map((e) => e.table)).size).toBe(5);
    expect(passes).toBeGreaterThan(expected.length / 256);
    for (const component of COMPONENTS) {
      const delivered = await receiveAll(queues[component]);
      expect(deliveryProblems(component, expected, delivered)).toEqual([]);
    }
    expect(await logIds(registry.client)).toEqual([]);
  }, 180_000);
});
