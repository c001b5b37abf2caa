import { describe, expect, it } from 'vitest';
import { MemoryQueue } from '../../lib/queue/memoryQueue.js';
import { ManualClock } from './manualClock.js';
import { queueContract } from './queueContract.js';

for (const fifo of [false, true]) {
  const clock = new ManualClock();
  let count = 0;
  queueContract(`memory ${fifo ? 'FIFO' : 'standard'}`, {
    fifo,
    async open(options = {}) {
      count += 1;
      const deadLetter =
        options.maxReceiveCount === undefined ? undefined : new MemoryQueue(`dlq-${count}`, { fifo, clock });
      const queue = new MemoryQueue(`q-${count}`, {
        fifo,
        clock,
        visibilityTimeoutSeconds: options.visibilityTimeout ?? 30,
        ...(deadLetter
          ? { redrive: { deadLetterQueue: deadLetter, maxReceiveCount: options.maxReceiveCount ?? 0 } }
          : {}),
      });
      return deadLetter ? { queue, deadLetter } : { queue };
    },
    pollSeconds: 0,
    elapse: (seconds) => clock.advance(seconds * 1000),
  });
}

describe('MemoryQueue', () => {
  it('forgets a deduplicationId after 5 minutes', async () => {
    const clock = new ManualClock();
    const queue = new MemoryQueue('dedup-window', { fifo: true, clock });
    await queue.sendBatch([{ id: '1', body: 'first', groupId: 'g', deduplicationId: 'd' }]);
    await clock.advance(299_000);
    await queue.sendBatch([{ id: '2', body: 'within window', groupId: 'g', deduplicationId: 'd' }]);
    await clock.advance(2_000);
    await queue.sendBatch([{ id: '3', body: 'after window', groupId: 'g', deduplicationId: 'd' }]);
    const bodies = [];
    for (let i = 0; i < 3; i += 1) {
      for (const m of await queue.receive()) {
        bodies.push(m.body);
        await queue.ack(m.receiptHandle);
      }
    }
    expect(bodies).toEqual(['first', 'after window']);
  });

  it('uses the queue visibility timeout when a receive does not override it', async () => {
    const clock = new ManualClock();
    const queue = new MemoryQueue('visibility', { clock, visibilityTimeoutSeconds: 30 });
    await queue.sendBatch([{ id: '1', body: 'x' }]);
    expect(await queue.receive()).toHaveLength(1);
    await clock.advance(29_000);
    expect(await queue.receive()).toEqual([]);
    await clock.advance(1_000);
    expect((await queue.receive())[0]?.receiveCount).toBe(2);
  });

  it('reports the age of the oldest message', async () => {
    const clock = new ManualClock();
    const queue = new MemoryQueue('age', { clock });
    expect((await queue.stats()).oldestAgeSeconds).toBeUndefined();
    await queue.sendBatch([{ id: '1', body: 'x' }]);
    await clock.advance(12_000);
    expect(await queue.stats()).toEqual({ visible: 1, inFlight: 0, oldestAgeSeconds: 12 });
  });

  it('is one queue per name and refuses a second opening with another kind', () => {
    const queue = MemoryQueue.named('named-queue', { fifo: true });
    expect(MemoryQueue.named('named-queue', { fifo: true })).toBe(queue);
    expect(() => MemoryQueue.named('named-queue')).toThrow(/fifo=true/);
  });
});

describe('MemoryQueue FIFO', () => {
  it('a receive takes up to its maximum from one group, in order; the group waits while any is out', async () => {
    const clock = new ManualClock();
    const queue = new MemoryQueue('fifo-batch', { fifo: true, clock });
    const send = (group: string, body: string) =>
      queue.sendBatch([{ id: body, body, groupId: group, deduplicationId: `${group}-${body}` }]);
    for (let i = 0; i < 12; i++) await send('A', `a${i}`);
    await send('B', 'b0');
    const first = await queue.receive({ maxMessages: 10 });
    expect(first.map((m) => m.body)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9']);
    expect((await queue.receive({ maxMessages: 10 })).map((m) => m.body)).toEqual(['b0']);
    for (let i = 12; i < 20; i++) await send('A', `a${i}`);
    expect(await queue.receive({ maxMessages: 10 })).toEqual([]); // A is out, B too
    for (const m of first) await queue.ack(m.receiptHandle);
    expect((await queue.receive({ maxMessages: 2 })).map((m) => m.body)).toEqual(['a10', 'a11']);
  });
});
