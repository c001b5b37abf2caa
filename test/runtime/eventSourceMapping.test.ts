import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { processFifoBatch } from '../../lib/lambda/sqsBatch.js';
import { silentLogger } from '../../lib/log.js';
import { MemoryQueue } from '../../lib/queue/memoryQueue.js';
import type { Queue } from '../../lib/queue/queue.js';
import { createSqsQueue, SqsQueue } from '../../lib/queue/sqsQueue.js';
import { EventSourceMapping } from '../../lib/runtime/eventSourceMapping.js';
import { localstack, uniqueName } from '../harness/services.js';

const MAX_RECEIVES = 30;

/** A FIFO handler that fails one poison body forever and records everything else it saw. */
function poisonHandler(seen: string[]) {
  return async (event: SQSEvent) =>
    (
      await processFifoBatch(event.Records, async (record) => {
        if (record.body === 'poison') throw new Error('always fails');
        seen.push(record.body);
      })
    ).response;
}

async function drainUntil(mapping: EventSourceMapping, done: () => Promise<boolean>, maxPolls: number) {
  for (let i = 0; i < maxPolls && !(await done()); i++) await mapping.pollOnce();
}

async function poisonScenario(queue: Queue, dlq: Queue) {
  await queue.sendBatch([
    { id: '1', body: 'poison', groupId: 'table-1', deduplicationId: 'p' },
    { id: '2', body: 'after-poison', groupId: 'table-1', deduplicationId: 'a' },
    { id: '3', body: 'other-1', groupId: 'table-2', deduplicationId: 'o1' },
    { id: '4', body: 'other-2', groupId: 'table-2', deduplicationId: 'o2' },
  ]);
  const seen: string[] = [];
  const mapping = new EventSourceMapping({
    name: 'poison',
    queue,
    handler: poisonHandler(seen),
    logger: silentLogger(),
    waitSeconds: 0,
    failedVisibilitySeconds: 0,
  });
  // The other table is not blocked by the poison message.
  await drainUntil(mapping, async () => seen.includes('other-2'), 10);
  expect(seen).toEqual(['other-1', 'other-2']);
  // SQS may hand the poison message and the one behind it (same group) over in one batch; the
  // handler then returns both as failed, so both collect receives. Either way nothing is lost:
  // every message of the poisoned table is processed or in the dead-letter queue.
  const dead: string[] = [];
  const settled = async () => {
    for (const m of await dlq.receive({ maxMessages: 10, waitSeconds: 0 })) {
      dead.push(m.body);
      await dlq.ack(m.receiptHandle);
    }
    return dead.includes('poison') && (seen.includes('after-poison') || dead.includes('after-poison'));
  };
  await drainUntil(mapping, settled, MAX_RECEIVES * 4);
  expect(dead).toContain('poison');
  expect(dead.every((body) => body === 'poison' || body === 'after-poison')).toBe(true);
  expect([...seen, ...dead].sort()).toEqual(['after-poison', 'other-1', 'other-2', 'poison']);
  expect(mapping.stats.failed).toBeGreaterThanOrEqual(MAX_RECEIVES);
}

describe('event source mapping', () => {
  it('memory FIFO: a poison message reaches the DLQ after 30 receives without blocking other tables', async () => {
    const dlq = new MemoryQueue(uniqueName('dlq'), { fifo: true });
    const queue = new MemoryQueue(uniqueName('q'), {
      fifo: true,
      redrive: { deadLetterQueue: dlq, maxReceiveCount: MAX_RECEIVES },
    });
    await poisonScenario(queue, dlq);
  });

  it('LocalStack SQS FIFO: the same, with the real redrive policy', async () => {
    const { endpoint, region, credentials } = localstack();
    const client = new SQSClient({ endpoint, region, credentials });
    const name = uniqueName('esm');
    const dlqUrl = await createSqsQueue(client, { name: `${name}-dlq`, fifo: true });
    const url = await createSqsQueue(client, {
      name,
      fifo: true,
      deadLetter: { url: dlqUrl, maxReceiveCount: MAX_RECEIVES },
    });
    await poisonScenario(new SqsQueue(url, client), new SqsQueue(dlqUrl, client));
  });

  it('a handler that throws leaves the whole batch for redelivery', async () => {
    const queue = new MemoryQueue(uniqueName('q'), { fifo: false });
    await queue.sendBatch([{ id: '1', body: 'x' }]);
    let calls = 0;
    const mapping = new EventSourceMapping({
      name: 'throws',
      queue,
      logger: silentLogger(),
      waitSeconds: 0,
      failedVisibilitySeconds: 0,
      handler: async () => {
        calls++;
        if (calls === 1) throw new Error('crash');
        return { batchItemFailures: [] };
      },
    });
    expect(await mapping.pollOnce()).toBe(1);
    expect(mapping.stats.handlerErrors).toBe(1);
    expect(await mapping.pollOnce()).toBe(1);
    expect(mapping.stats.succeeded).toBe(1);
    expect(await mapping.pollOnce()).toBe(0);
  });

  it("deletes a batch's succeeded messages in one request, not one per message", async () => {
    const queue = new MemoryQueue(uniqueName('q'), { fifo: false });
    await queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ id: String(i), body: `m${i}` })));
    const deletes = { single: 0, batches: 0 };
    const ack = queue.ack.bind(queue);
    queue.ack = async (handle) => {
      deletes.single++;
      await ack(handle);
    };
    queue.ackBatch = async (handles) => {
      deletes.batches++;
      for (const handle of handles) await ack(handle);
    };
    const mapping = new EventSourceMapping({
      name: 'batched',
      queue,
      logger: silentLogger(),
      waitSeconds: 0,
      handler: async (event) => ({
        batchItemFailures: event.Records.filter((r) => r.body === 'm3').map((r) => ({
          itemIdentifier: r.messageId,
        })),
      }),
    });
    expect(await mapping.pollOnce()).toBe(10);
    expect(deletes).toEqual({ single: 0, batches: 1 });
    expect(mapping.stats).toMatchObject({ succeeded: 9, failed: 1 });
    expect(await queue.stats()).toMatchObject({ visible: 0, inFlight: 1 });
  });
});
