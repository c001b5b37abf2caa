/**
 * At-least-once, in order per table, against LocalStack SQS FIFO queues: injected send
 * failures and a 5 s outage lose nothing and delete nothing early; random registry changes
 * reach exactly their subscribers.
 */
import { describe, expect, it } from 'vitest';
import type { DrainDeps } from '../../lib/astha/drain.js';
import { decodeMessage } from '../../lib/astha/events.js';
import type { PassResult } from '../../lib/astha/metrics.js';
import { runFor } from '../../lib/astha/runFor.js';
import { COMPONENTS, isSubscribed } from '../../lib/astha/subscriptions.js';
import { componentQueues, FaultyQueue, logIds, registryPerTest, testLogger } from './helpers.js';
import { changeWriter, keepLogCopy, loggedChanges } from './registryChanges.js';
import { createComponentQueues, deliveryProblems, receiveAll } from './sqsHelpers.js';

const registry = registryPerTest(keepLogCopy);

describe('drain into LocalStack SQS FIFO', () => {
  it('loses no row and deletes none early when every 3rd send fails and then the queues are down for 5 s', async () => {
    const { queues: sqs } = await createComponentQueues('faults');
    const queues = componentQueues((c) => new FaultyQueue(sqs[c]));
    for (const q of Object.values(queues)) q.failEvery = 3;
    const writer = await changeWriter(await registry.connect(), 7);
    await writer.write(300, 10);
    const expected = await loggedChanges(registry.client);

    const violations: string[] = [];
    let outage: 'before' | 'during' | 'after' = 'before';
    let outageEnded: Promise<void> = Promise.resolve();
    const remainingDuringOutage: number[] = [];
    const committedPasses: PassResult[] = [];
    const onPass = async (pass: PassResult) => {
      // Invariant after every pass: a row gone from the log was accepted by all its subscribers.
      const remaining = new Set(await logIds(registry.client));
      for (const change of expected) {
        if (remaining.has(change.id)) continue;
        for (const component of COMPONENTS) {
          if (!isSubscribed(component, change.table)) continue;
          const accepted = queues[component].accepted.some((m) => m.deduplicationId === String(change.id));
          if (!accepted) violations.push(`${change.id} deleted before ${component} accepted it`);
        }
      }
      if (pass.committed) committedPasses.push(pass);
      if (outage === 'during') remainingDuringOutage.push(remaining.size);
      if (outage === 'before' && committedPasses.length === 3) {
        outage = 'during';
        for (const q of Object.values(queues)) q.down = true;
        outageEnded = new Promise((resolve) =>
          setTimeout(() => {
            for (const q of Object.values(queues)) q.down = false;
            outage = 'after';
            resolve();
          }, 5_000),
        );
      }
    };
    const deps: DrainDeps = {
      registry: registry.client,
      queues,
      logger: testLogger().logger,
      // The breaker would (rightly) give up on a queue down this long; this test is about the log.
      limits: {
        batchSize: 20,
        failureThreshold: 1_000_000,
        maxSendRetries: 2,
        retryBaseMs: 20,
        retryMaxMs: 100,
      },
    };
    const summary = await runFor(deps, 45_000, { untilEmpty: true, onPass });
    await outageEnded;

    expect(summary.stopped).toBe('empty');
    expect(violations).toEqual([]);
    expect(remainingDuringOutage.length).toBeGreaterThan(0);
    expect(Math.min(...remainingDuringOutage)).toBeGreaterThan(0);
    expect(summary.metrics.retries).toBeGreaterThan(0);
    expect(summary.metrics.changesFailed).toBeGreaterThan(0);
    expect(await logIds(registry.client)).toEqual([]);
    for (const component of COMPONENTS) {
      expect(deliveryProblems(component, expected, await receiveAll(sqs[component]))).toEqual([]);
    }
  }, 180_000);

  it('delivers random registry changes to exactly their subscribers, in order per table', async () => {
    const { queues } = await createComponentQueues('random');
    const writer = await changeWriter(await registry.connect(), 11);
    let writing = true;
    const written = writer.write(600, 20).finally(() => {
      writing = false;
    });
    const deps: DrainDeps = { registry: registry.client, queues, logger: testLogger().logger };
    while (writing || (await logIds(registry.client)).length > 0)
      await runFor(deps, 30_000, { untilEmpty: true });
    await written;
    const expected = await loggedChanges(registry.client);
    expect(expected.length).toBeGreaterThanOrEqual(600);
    for (const component of COMPONENTS) {
      const delivered = await receiveAll(queues[component]);
      expect(deliveryProblems(component, expected, delivered)).toEqual([]);
      expect(delivered.every((m) => decodeMessage(m.body).kind === 'change')).toBe(true);
    }
  }, 180_000);
});
