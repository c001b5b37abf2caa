/**
 * In-process Queue that behaves like SQS where astha relies on it: standard and FIFO,
 * visibility timeout, receive counts, long polling, a 5-minute deduplication window and
 * redrive to a dead-letter queue. Time comes from an injectable clock so tests can move it.
 *
 * FIFO: messages of a group come out in send order; one receive may take several of them (as
 * SQS's does), and while any is in flight the rest of the group waits until it is acked or
 * visible again. Each group keeps its own list, so a receive looks at the heads of the groups,
 * not at every message waiting behind a busy one.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { QueueError } from '../errors.js';
import {
  type OutgoingMessage,
  type Queue,
  type QueueStats,
  type ReceivedMessage,
  type ReceiveOptions,
  SQS_MAX_BATCH_BYTES,
  type SendFailure,
  type SendResult,
} from './queue.js';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or early (without error) when `signal` aborts. */
  wait(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  wait: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
};

export interface Redrive {
  /** Where a message goes on the receive that would exceed `maxReceiveCount`. */
  deadLetterQueue: Pick<Queue, 'sendBatch'>;
  maxReceiveCount: number;
}

export interface MemoryQueueOptions {
  fifo?: boolean;
  /** Default visibility timeout of a delivery, seconds (SQS default 30). */
  visibilityTimeoutSeconds?: number;
  redrive?: Redrive;
  clock?: Clock;
}

const DEDUP_WINDOW_MS = 5 * 60 * 1000;
/** Characters SQS refuses in a body (outside XML's character set). */
const INVALID_BODY_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

interface StoredMessage {
  messageId: string;
  body: string;
  groupId?: string;
  deduplicationId?: string;
  sentAt: number;
  receiveCount: number;
  /** Not deliverable before this time (in flight or delayed by a nack). */
  visibleAt: number;
  /** Handle of the latest delivery; older handles no longer act on the message. */
  receiptHandle?: string;
}

const namedQueues = new Map<string, MemoryQueue>();

export class MemoryQueue implements Queue {
  readonly url: string;
  readonly fifo: boolean;
  private readonly visibilityMs: number;
  private readonly redrive: Redrive | undefined;
  private readonly clock: Clock;
  /** By message id, in send order (Map keeps insertion order); FIFO group order falls out of it. */
  private messages = new Map<string, StoredMessage>();
  /** FIFO: each group's messages in send order (a group with none has no entry). */
  private groups = new Map<string, StoredMessage[]>();
  private readonly dedupUntil = new Map<string, number>();
  /** Long polls waiting for something to change. */
  private readonly waiters = new Set<() => void>();

  constructor(name = 'anonymous', options: MemoryQueueOptions = {}) {
    this.fifo = options.fifo ?? false;
    this.url = `memory://${name}${this.fifo ? '?fifo=true' : ''}`;
    this.visibilityMs = (options.visibilityTimeoutSeconds ?? 30) * 1000;
    this.redrive = options.redrive;
    this.clock = options.clock ?? systemClock;
  }

  /** The queue named `name` in this process, created on first use. */
  static named(name: string, options: MemoryQueueOptions = {}): MemoryQueue {
    const existing = namedQueues.get(name);
    if (existing) {
      if (existing.fifo !== (options.fifo ?? false)) {
        throw new QueueError('invalid_message', `memory queue ${name} exists with fifo=${existing.fifo}`);
      }
      return existing;
    }
    const queue = new MemoryQueue(name, options);
    namedQueues.set(name, queue);
    return queue;
  }

  async sendBatch(messages: readonly OutgoingMessage[]): Promise<SendResult> {
    const failed: SendFailure[] = [];
    let sent = 0;
    const now = this.clock.now();
    this.expireDedup(now);
    for (const message of messages) {
      const problem = this.rejectReason(message);
      if (problem) {
        failed.push({ id: message.id, message: problem, retryable: false });
        continue;
      }
      sent += 1;
      if (this.fifo && message.deduplicationId !== undefined) {
        if (this.dedupUntil.has(message.deduplicationId)) continue; // accepted, and dropped like SQS does
        this.dedupUntil.set(message.deduplicationId, now + DEDUP_WINDOW_MS);
      }
      const messageId = randomUUID();
      const stored: StoredMessage = {
        messageId,
        body: message.body,
        ...(this.fifo ? { groupId: message.groupId, deduplicationId: message.deduplicationId } : {}),
        sentAt: now,
        receiveCount: 0,
        visibleAt: now,
      };
      this.messages.set(messageId, stored);
      if (this.fifo) this.addToGroup(stored);
    }
    if (sent > 0) this.wake();
    return { sent, failed };
  }

  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const max = options.maxMessages ?? 10;
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw new QueueError('invalid_message', `maxMessages must be 1..10, got ${max}`);
    }
    const visibilityMs =
      options.visibilitySeconds === undefined ? this.visibilityMs : options.visibilitySeconds * 1000;
    const deadline = this.clock.now() + (options.waitSeconds ?? 0) * 1000;
    for (;;) {
      const delivered = await this.deliver(max, visibilityMs);
      const now = this.clock.now();
      if (delivered.length > 0 || now >= deadline) return delivered;
      await this.waitForChange(Math.min(deadline, this.nextVisibleAt(now)) - now);
    }
  }

  async ack(receiptHandle: string): Promise<void> {
    const message = this.delivery(receiptHandle);
    if (!message) return; // acked already, or redelivered under a newer handle
    this.remove(message);
    // Acking frees a FIFO group, so a long poll may now have something to take.
    this.wake();
  }

  async ackBatch(receiptHandles: readonly string[]): Promise<void> {
    for (const handle of receiptHandles) await this.ack(handle);
  }

  async nack(receiptHandle: string, delaySeconds = 0): Promise<void> {
    const message = this.delivery(receiptHandle);
    if (!message) return;
    message.visibleAt = this.clock.now() + delaySeconds * 1000;
    this.wake();
  }

  async stats(): Promise<QueueStats> {
    const now = this.clock.now();
    let inFlight = 0;
    for (const m of this.messages.values()) if (m.visibleAt > now) inFlight += 1;
    // Send order is insertion order, so the first message is the oldest.
    const oldest = this.messages.values().next().value;
    return {
      visible: this.messages.size - inFlight,
      inFlight,
      oldestAgeSeconds: oldest === undefined ? undefined : (now - oldest.sentAt) / 1000,
    };
  }

  private rejectReason(message: OutgoingMessage): string | undefined {
    const bytes = Buffer.byteLength(message.body, 'utf8');
    if (bytes === 0) return 'message body is empty';
    if (INVALID_BODY_CHARACTER.test(message.body)) return 'message body has a character SQS does not allow';
    if (bytes > SQS_MAX_BATCH_BYTES)
      return `message body is ${bytes} bytes, over the ${SQS_MAX_BATCH_BYTES} limit`;
    if (this.fifo && !message.groupId) return 'a FIFO queue needs a groupId';
    if (this.fifo && !message.deduplicationId)
      return 'a FIFO queue without content-based dedup needs a deduplicationId';
    return undefined;
  }

  /** Takes up to `max` deliverable messages; those past maxReceiveCount go to the dead-letter queue. */
  private async deliver(max: number, visibilityMs: number): Promise<ReceivedMessage[]> {
    if (this.fifo) return this.deliverFifo(max, visibilityMs);
    const now = this.clock.now();
    const delivered: ReceivedMessage[] = [];
    const dead: StoredMessage[] = [];
    for (const message of this.messages.values()) {
      if (delivered.length >= max) break;
      if (message.visibleAt > now) continue;
      if (this.redrive && message.receiveCount >= this.redrive.maxReceiveCount) {
        dead.push(message);
        continue;
      }
      this.take(message, now, visibilityMs);
      delivered.push(toReceived(message));
    }
    if (dead.length > 0) await this.moveToDeadLetter(dead);
    return delivered;
  }

  /** FIFO: from each group not in flight, its messages from the head on, in order. */
  private async deliverFifo(max: number, visibilityMs: number): Promise<ReceivedMessage[]> {
    const now = this.clock.now();
    const delivered: ReceivedMessage[] = [];
    const dead: StoredMessage[] = [];
    for (const group of this.groups.values()) {
      if (delivered.length >= max) break;
      if (inFlight(group, now)) continue;
      for (const message of group) {
        if (delivered.length >= max || message.visibleAt > now) break;
        if (this.redrive && message.receiveCount >= this.redrive.maxReceiveCount) {
          dead.push(message);
          continue;
        }
        this.take(message, now, visibilityMs);
        delivered.push(toReceived(message));
      }
    }
    if (dead.length > 0) await this.moveToDeadLetter(dead);
    return delivered;
  }

  private take(message: StoredMessage, now: number, visibilityMs: number): void {
    message.receiveCount += 1;
    message.visibleAt = now + visibilityMs;
    message.receiptHandle = `${message.messageId}/${randomUUID()}`;
  }

  private addToGroup(message: StoredMessage): void {
    const key = message.groupId ?? '';
    const group = this.groups.get(key);
    if (group) group.push(message);
    else this.groups.set(key, [message]);
  }

  private remove(message: StoredMessage): void {
    this.messages.delete(message.messageId);
    if (!this.fifo) return;
    const key = message.groupId ?? '';
    const group = this.groups.get(key);
    if (!group) return;
    // Acks come from the head: the search is short.
    const index = group.indexOf(message);
    if (index >= 0) group.splice(index, 1);
    if (group.length === 0) this.groups.delete(key);
  }

  private async moveToDeadLetter(dead: StoredMessage[]): Promise<void> {
    const redrive = this.redrive;
    if (!redrive) return;
    for (const m of dead) this.remove(m);
    const result = await redrive.deadLetterQueue.sendBatch(
      dead.map((m) => ({
        id: m.messageId,
        body: m.body,
        groupId: m.groupId,
        deduplicationId: m.deduplicationId,
      })),
    );
    // A message the dead-letter queue refused stays here rather than being lost.
    const refused = new Set(result.failed.map((f) => f.id));
    const back = dead.filter((m) => refused.has(m.messageId));
    if (back.length === 0) return;
    const all = [...back, ...this.messages.values()].sort((a, b) => a.sentAt - b.sentAt);
    this.messages = new Map(all.map((m) => [m.messageId, m]));
    this.groups = new Map();
    if (this.fifo) for (const m of all) this.addToGroup(m);
  }

  /** The message `receiptHandle` was issued for, if that is still its latest delivery. */
  private delivery(receiptHandle: string): StoredMessage | undefined {
    const message = this.messages.get(receiptHandle.slice(0, receiptHandle.indexOf('/')));
    return message?.receiptHandle === receiptHandle ? message : undefined;
  }

  private nextVisibleAt(now: number): number {
    let next = Number.POSITIVE_INFINITY;
    if (this.fifo) {
      // Only messages delivered before can be invisible, and those lead their group.
      for (const group of this.groups.values()) {
        for (const m of group) {
          if (m.receiveCount === 0) break;
          if (m.visibleAt > now) next = Math.min(next, m.visibleAt);
        }
      }
      return next;
    }
    for (const m of this.messages.values()) if (m.visibleAt > now) next = Math.min(next, m.visibleAt);
    return next;
  }

  private async waitForChange(ms: number): Promise<void> {
    const abort = new AbortController();
    const wake = () => abort.abort();
    this.waiters.add(wake);
    try {
      await this.clock.wait(Math.max(ms, 0), abort.signal);
    } finally {
      this.waiters.delete(wake);
    }
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private expireDedup(now: number): void {
    // Ids are inserted with a fixed window and never re-set while present, so the map is in
    // expiry order: stop at the first live one instead of scanning every entry on every send.
    for (const [id, until] of this.dedupUntil) {
      if (until > now) break;
      this.dedupUntil.delete(id);
    }
  }
}

/**
 * Whether any message of the group is in flight. Delivery goes from the head in order, so only
 * the leading messages that were ever received can be; the search stops at the first that was not.
 */
function inFlight(group: readonly StoredMessage[], now: number): boolean {
  for (const message of group) {
    if (message.receiveCount === 0) return false;
    if (message.visibleAt > now) return true;
  }
  return false;
}

function toReceived(message: StoredMessage): ReceivedMessage {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle ?? '',
    body: message.body,
    ...(message.groupId === undefined ? {} : { groupId: message.groupId }),
    ...(message.deduplicationId === undefined ? {} : { deduplicationId: message.deduplicationId }),
    receiveCount: message.receiveCount,
    sentAt: new Date(message.sentAt),
  };
}
