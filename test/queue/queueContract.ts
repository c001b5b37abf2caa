/**
 * The Queue contract: one `describe` block run against every adapter (memory, SQS standard
 * and FIFO on LocalStack), so they behave alike where astha depends on it.
 */
import { describe, expect, it } from 'vitest';
import type { OutgoingMessage, Queue, ReceivedMessage } from '../../lib/queue/queue.js';

export interface QueueUnderTest {
  queue: Queue;
  /** Present when opened with `maxReceiveCount`. */
  deadLetter?: Queue;
}

export interface QueueContractSubject {
  fifo: boolean;
  /** A new, empty queue (default visibility timeout 30 s unless given). */
  open(options?: { visibilityTimeout?: number; maxReceiveCount?: number }): Promise<QueueUnderTest>;
  /** Long-poll wait used to collect messages: 0 under a manual clock (which never moves on its own). */
  pollSeconds: number;
  /** Lets `seconds` pass: a manual clock moves, or real time is waited for. */
  elapse(seconds: number): Promise<void>;
}

let counter = 0;
function message(body: string, group = 'g1'): OutgoingMessage {
  counter += 1;
  return { id: `m${counter}`, body, groupId: group, deduplicationId: `dedup-${Date.now()}-${counter}` };
}

/** Receives (and acks) until `count` messages came or nothing more arrives. */
async function drain(queue: Queue, count: number, waitSeconds: number): Promise<ReceivedMessage[]> {
  const received: ReceivedMessage[] = [];
  for (let empty = 0; received.length < count && empty < 3; ) {
    const batch = await queue.receive({ maxMessages: 10, waitSeconds });
    if (batch.length === 0) empty += 1;
    for (const m of batch) await queue.ack(m.receiptHandle);
    received.push(...batch);
  }
  return received;
}

/** Receives without acking until `count` messages came or nothing more arrives. */
async function receiveUnacked(queue: Queue, count: number, waitSeconds: number): Promise<ReceivedMessage[]> {
  const received: ReceivedMessage[] = [];
  for (let empty = 0; received.length < count && empty < 3; ) {
    const batch = await queue.receive({ maxMessages: 10, waitSeconds, visibilitySeconds: 30 });
    if (batch.length === 0) empty += 1;
    received.push(...batch);
  }
  return received;
}

async function receiveOne(queue: Queue, options: { visibilitySeconds?: number; waitSeconds?: number } = {}) {
  const [first, ...rest] = await queue.receive({ maxMessages: 1, ...options });
  expect(rest).toEqual([]);
  return first;
}

export function queueContract(name: string, subject: QueueContractSubject): void {
  describe(`Queue contract: ${name}`, () => {
    it('sends 25 messages in batches of at most 10 and delivers them all', async () => {
      const { queue } = await subject.open();
      expect(queue.fifo).toBe(subject.fifo);
      const messages = Array.from({ length: 25 }, (_, i) => message(`body ${i}`));
      expect(await queue.sendBatch(messages)).toEqual({ sent: 25, failed: [] });
      const received = await drain(queue, 25, subject.pollSeconds);
      const bodies = received.map((m) => m.body);
      if (subject.fifo) expect(bodies).toEqual(messages.map((m) => m.body));
      else expect(bodies.sort()).toEqual(messages.map((m) => m.body).sort());
      for (const m of received) {
        expect(m.receiveCount).toBe(1);
        expect(m.sentAt.getTime()).toBeGreaterThan(0);
      }
    });

    it('splits by size: five 100 KiB messages go through, a message over 256 KiB is refused alone', async () => {
      const { queue } = await subject.open();
      const big = Array.from({ length: 5 }, (_, i) => message(`${i}`.repeat(100 * 1024)));
      const tooBig = message('x'.repeat(256 * 1024 + 1));
      const result = await queue.sendBatch([...big, tooBig]);
      expect(result.sent).toBe(5);
      expect(result.failed).toEqual([{ id: tooBig.id, message: expect.any(String), retryable: false }]);
      const received = await drain(queue, 5, subject.pollSeconds);
      expect(received.map((m) => m.body.length)).toEqual([102400, 102400, 102400, 102400, 102400]);
      expect(new Set(received.map((m) => m.body[0]))).toEqual(new Set(['0', '1', '2', '3', '4']));
    });

    it('reports an entry SQS would refuse as failed, not retryable, and sends the rest', async () => {
      const { queue } = await subject.open();
      const good = message('fine');
      const bad = message('bad \u0000 character');
      const result = await queue.sendBatch([good, bad]);
      expect(result.sent).toBe(1);
      expect(result.failed).toEqual([{ id: bad.id, message: expect.any(String), retryable: false }]);
      expect((await drain(queue, 1, subject.pollSeconds)).map((m) => m.body)).toEqual(['fine']);
    });

    it('redelivers after the visibility timeout with a growing receiveCount', async () => {
      const { queue } = await subject.open();
      await queue.sendBatch([message('again')]);
      const first = await receiveOne(queue, { visibilitySeconds: 1 });
      expect(first?.receiveCount).toBe(1);
      expect(await queue.receive({ maxMessages: 10 })).toEqual([]);
      await subject.elapse(1.5);
      const second = await receiveOne(queue, { visibilitySeconds: 1, waitSeconds: subject.pollSeconds });
      expect(second?.messageId).toBe(first?.messageId);
      expect(second?.receiveCount).toBe(2);
      expect(second?.receiptHandle).not.toBe(first?.receiptHandle);
    });

    it('ack removes the message for good', async () => {
      const { queue } = await subject.open({ visibilityTimeout: 1 });
      await queue.sendBatch([message('once')]);
      const received = await receiveOne(queue);
      expect(await queue.stats()).toMatchObject({ visible: 0, inFlight: 1 });
      await queue.ack(received?.receiptHandle ?? '');
      await subject.elapse(1.5);
      expect(await queue.receive({ maxMessages: 10 })).toEqual([]);
      expect(await queue.stats()).toMatchObject({ visible: 0, inFlight: 0 });
    });

    it('ackBatch removes every message of a delivery for good', async () => {
      const { queue } = await subject.open({ visibilityTimeout: 1 });
      await queue.sendBatch(Array.from({ length: 12 }, (_, i) => message(`m${i}`, `g${i}`)));
      const received = await receiveUnacked(queue, 12, subject.pollSeconds);
      expect(received).toHaveLength(12);
      await queue.ackBatch!(received.map((m) => m.receiptHandle));
      await subject.elapse(1.5);
      expect(await queue.receive({ maxMessages: 10 })).toEqual([]);
      expect(await queue.stats()).toMatchObject({ visible: 0, inFlight: 0 });
    });

    it('nack makes the message visible again at once, or after a delay', async () => {
      const { queue } = await subject.open();
      await queue.sendBatch([message('retry me')]);
      const first = await receiveOne(queue);
      await queue.nack(first?.receiptHandle ?? '');
      const second = await receiveOne(queue);
      expect(second?.body).toBe('retry me');
      expect(second?.receiveCount).toBe(2);
      await queue.nack(second?.receiptHandle ?? '', 1);
      expect(await queue.receive({ maxMessages: 10 })).toEqual([]);
      expect(await queue.stats()).toMatchObject({ visible: 0, inFlight: 1 });
      await subject.elapse(1.5);
      expect((await receiveOne(queue, { waitSeconds: subject.pollSeconds }))?.receiveCount).toBe(3);
    });

    it('long polling waits for a message to arrive, and returns empty when none does', async () => {
      const { queue } = await subject.open();
      const waiting = queue.receive({ waitSeconds: 5 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await queue.sendBatch([message('late')]);
      expect((await waiting).map((m) => m.body)).toEqual(['late']);
      const empty = queue.receive({ waitSeconds: 1 });
      await subject.elapse(1.2);
      expect(await empty).toEqual([]);
    });

    it('redrive: a message received more than maxReceiveCount times lands in the dead-letter queue', async () => {
      const { queue, deadLetter } = await subject.open({ maxReceiveCount: 3 });
      if (!deadLetter) throw new Error('open({ maxReceiveCount }) must give a dead-letter queue');
      await queue.sendBatch([message('poison')]);
      for (let receive = 1; receive <= 3; receive += 1) {
        const delivery = await receiveOne(queue);
        expect(delivery?.receiveCount).toBe(receive);
        await queue.nack(delivery?.receiptHandle ?? '');
      }
      // The fourth receive would exceed maxReceiveCount: the message moves instead of coming back.
      expect(await queue.receive({ maxMessages: 10, waitSeconds: subject.pollSeconds })).toEqual([]);
      const dead = await drain(deadLetter, 1, subject.pollSeconds);
      expect(dead.map((m) => m.body)).toEqual(['poison']);
      expect(await queue.stats()).toMatchObject({ visible: 0, inFlight: 0 });
    });

    if (!subject.fifo) return;

    it('FIFO: one message of a group in flight at a time, other groups interleave', async () => {
      const { queue } = await subject.open();
      await queue.sendBatch([message('a1', 'A'), message('a2', 'A'), message('b1', 'B'), message('b2', 'B')]);
      const a1 = await receiveOne(queue);
      expect(a1).toMatchObject({ body: 'a1', groupId: 'A' });
      const b1 = await receiveOne(queue);
      expect(b1).toMatchObject({ body: 'b1', groupId: 'B' });
      expect(await queue.receive({ maxMessages: 10 })).toEqual([]); // both groups busy
      await queue.ack(b1?.receiptHandle ?? '');
      expect((await receiveOne(queue))?.body).toBe('b2');
      await queue.nack(a1?.receiptHandle ?? '');
      const again = await receiveOne(queue);
      expect(again).toMatchObject({ body: 'a1', receiveCount: 2 });
      await queue.ack(again?.receiptHandle ?? '');
      expect((await receiveOne(queue))?.body).toBe('a2');
    });

    it('FIFO: one receive may take several messages of a group, in order; the rest waits while they are out', async () => {
      const { queue } = await subject.open();
      await queue.sendBatch(['a1', 'a2', 'a3', 'a4'].map((body) => message(body, 'A')));
      const first = await queue.receive({ maxMessages: 3, waitSeconds: subject.pollSeconds });
      // SQS may return fewer than asked; whatever it returns is the group's head, in order.
      expect(first.length).toBeGreaterThanOrEqual(1);
      expect(first.map((m) => m.body)).toEqual(['a1', 'a2', 'a3'].slice(0, first.length));
      expect(await queue.receive({ maxMessages: 10 })).toEqual([]); // the group is busy
      for (const m of first) await queue.ack(m.receiptHandle);
      const rest = await drain(queue, 4 - first.length, subject.pollSeconds);
      expect(rest.map((m) => m.body)).toEqual(['a1', 'a2', 'a3', 'a4'].slice(first.length));
    });

    it('FIFO: a deduplicationId seen within 5 minutes is accepted and dropped', async () => {
      const { queue } = await subject.open();
      const first = message('original');
      const duplicate = { ...message('duplicate'), deduplicationId: first.deduplicationId };
      expect(await queue.sendBatch([first])).toEqual({ sent: 1, failed: [] });
      expect(await queue.sendBatch([duplicate])).toEqual({ sent: 1, failed: [] });
      const received = await drain(queue, 2, subject.pollSeconds);
      expect(received.map((m) => m.body)).toEqual(['original']);
      expect(received[0]?.deduplicationId).toBe(first.deduplicationId);
    });

    it('FIFO: a message without a groupId is refused, not retryable', async () => {
      const { queue } = await subject.open();
      const { groupId: _, ...withoutGroup } = message('no group');
      const result = await queue.sendBatch([withoutGroup]);
      expect(result.sent).toBe(0);
      expect(result.failed).toEqual([{ id: withoutGroup.id, message: expect.any(String), retryable: false }]);
    });
  });
}
