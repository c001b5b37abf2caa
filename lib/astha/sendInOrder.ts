/**
 * Sends one component's messages so that per-group (per-table) order survives concurrency
 * and failures. Messages are packed into SQS-sized chunks in log order; a chunk goes out
 * only after every earlier chunk sharing a group with it has been accepted, so chunks of
 * different tables fly concurrently while one table's chunks queue behind each other.
 * A chunk whose entries fail is retried (only the failed entries) with bounded backoff;
 * if it still fails, every later chunk of its groups is held back, so a FIFO queue never
 * receives a table's change ahead of an earlier one that was not accepted.
 */
import { AsthaError, errorMessage } from '../errors.js';
import {
  type OutgoingMessage,
  type Queue,
  SQS_MAX_BATCH_BYTES,
  SQS_MAX_BATCH_ENTRIES,
} from '../queue/queue.js';
import { backoffDelay, type Clock } from './backoff.js';

export interface SendPolicy {
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Chunks of one component in flight at once. */
  concurrency: number;
  /** Epoch ms after which no retry is started (the pass must end before the invocation). */
  deadline: number;
  clock: Clock;
}

export interface SendOutcome {
  ok: boolean;
  sent: number;
  failed: number;
  retries: number;
  calls: number;
  /** Why the last failing chunk failed. */
  error?: string;
}

export interface SizedMessage extends OutgoingMessage {
  /** UTF-8 size of the body, computed once per event and shared by every component. */
  bytes: number;
}

export function chunkMessages(messages: readonly SizedMessage[]): SizedMessage[][] {
  const chunks: SizedMessage[][] = [];
  let current: SizedMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    if (
      current.length === SQS_MAX_BATCH_ENTRIES ||
      (current.length > 0 && bytes + message.bytes > SQS_MAX_BATCH_BYTES)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += message.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function limiter(concurrency: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}

export async function sendInOrder(
  queue: Queue,
  messages: readonly SizedMessage[],
  policy: SendPolicy,
): Promise<SendOutcome> {
  const outcome: SendOutcome = { ok: true, sent: 0, failed: 0, retries: 0, calls: 0 };
  const limit = limiter(policy.concurrency);
  const lastOfGroup = new Map<string, Promise<boolean>>();
  const tasks = chunkMessages(messages).map((chunk) => {
    const groups = new Set(chunk.map((m) => m.groupId ?? ''));
    const before = [...groups].flatMap((g) => lastOfGroup.get(g) ?? []);
    const task = (async () => {
      const earlierAccepted = (await Promise.all(before)).every(Boolean);
      if (!earlierAccepted) {
        outcome.failed += chunk.length;
        return false;
      }
      return limit(() => sendChunk(queue, chunk, policy, outcome));
    })();
    for (const g of groups) lastOfGroup.set(g, task);
    return task;
  });
  const accepted = await Promise.all(tasks);
  outcome.ok = accepted.every(Boolean);
  return outcome;
}

async function sendChunk(
  queue: Queue,
  chunk: readonly SizedMessage[],
  policy: SendPolicy,
  outcome: SendOutcome,
): Promise<boolean> {
  let pending: readonly OutgoingMessage[] = chunk.map(({ bytes: _, ...message }) => message);
  for (let attempt = 0; ; attempt++) {
    outcome.calls += 1;
    let failedIds: Set<string>;
    let retryable = true;
    try {
      const result = await queue.sendBatch(pending);
      failedIds = new Set(result.failed.map((f) => f.id));
      retryable = result.failed.every((f) => f.retryable);
      if (result.failed.length > 0) outcome.error = result.failed[0]?.message;
    } catch (error) {
      // A whole-call error (network, endpoint down) leaves every entry unsent.
      failedIds = new Set(pending.map((m) => m.id));
      // Errors the adapter did not classify (sockets, DNS) are worth another try.
      retryable = !(error instanceof AsthaError) || error.retryable;
      outcome.error = errorMessage(error);
    }
    outcome.sent += pending.length - failedIds.size;
    if (failedIds.size === 0) return true;
    pending = pending.filter((m) => failedIds.has(m.id));
    const delay = backoffDelay(attempt, { baseMs: policy.retryBaseMs, maxMs: policy.retryMaxMs });
    if (!retryable || attempt >= policy.maxRetries || policy.clock.now() + delay > policy.deadline) {
      outcome.failed += pending.length;
      return false;
    }
    outcome.retries += pending.length;
    await policy.clock.sleep(delay);
  }
}
