/**
 * Sends one component's messages so that per-group (per-table) order survives concurrency
 * and failures. Messages are grouped into lanes (one per message group, in log order) and
 * whole lanes are packed into sendBatch calls, so no two calls share a group: calls fly
 * concurrently while each table's changes stay in one ordered call. The adapter splits a
 * call into SQS-sized batches in order and holds back a group's later entries after a
 * failure; the failed entries are retried (only those, in order) with bounded backoff.
 */
import { AsthaError, errorMessage } from '../errors.js';
import { type OutgoingMessage, type Queue, SQS_MAX_BATCH_ENTRIES } from '../queue/queue.js';
import { backoffDelay, type Clock } from './backoff.js';

export interface SendPolicy {
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** sendBatch calls of one component in flight at once. */
  concurrency: number;
  /** Entries per sendBatch call, unless one table alone has more. */
  entriesPerCall: number;
  /** Epoch ms after which no retry is started (the pass must end before the invocation). */
  deadline: number;
  clock: Clock;
}

/** Counts are of changes, whether each went alone or in a ChangeBatch. */
export interface SendOutcome {
  ok: boolean;
  sent: number;
  failed: number;
  retries: number;
  /** sendBatch calls made. */
  calls: number;
  /** SQS SendMessageBatch requests those calls amount to (10 entries each). */
  apiBatches: number;
  /** Why the last failing call failed. */
  error?: string;
}

export interface SizedMessage extends OutgoingMessage {
  /** UTF-8 size of the body, computed once per event and shared by every component. */
  bytes: number;
  /** Changes the message carries (a ChangeBatch carries several); 1 when absent. */
  events?: number;
}

/** The changes `messages` carry: what `sent`, `failed` and `skipped` count. */
export function eventsIn(messages: readonly { events?: number }[]): number {
  return messages.reduce((sum, m) => sum + (m.events ?? 1), 0);
}

/** Packs whole groups into calls of about `capacity` entries; a call never splits a group. */
export function packCalls(messages: readonly OutgoingMessage[], capacity: number): OutgoingMessage[][] {
  const lanes = new Map<string, OutgoingMessage[]>();
  for (const message of messages) {
    const group = message.groupId ?? '';
    const lane = lanes.get(group);
    if (lane) lane.push(message);
    else lanes.set(group, [message]);
  }
  const calls: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  for (const lane of lanes.values()) {
    if (current.length > 0 && current.length + lane.length > capacity) {
      calls.push(current);
      current = [];
    }
    for (const message of lane) current.push(message);
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

export async function sendInOrder(
  queue: Queue,
  messages: readonly SizedMessage[],
  policy: SendPolicy,
): Promise<SendOutcome> {
  const outcome: SendOutcome = { ok: true, sent: 0, failed: 0, retries: 0, calls: 0, apiBatches: 0 };
  const events = new Map(messages.map((m) => [m.id, m.events ?? 1]));
  const bare = messages.map(({ bytes: _, events: __, ...message }) => message);
  const pending = packCalls(bare, policy.entriesPerCall);
  const workers = Array.from({ length: Math.min(policy.concurrency, pending.length) }, async () => {
    let accepted = true;
    for (let call = pending.shift(); call; call = pending.shift()) {
      accepted = (await sendCall(queue, call, policy, outcome, events)) && accepted;
    }
    return accepted;
  });
  outcome.ok = (await Promise.all(workers)).every(Boolean);
  return outcome;
}

async function sendCall(
  queue: Queue,
  call: readonly OutgoingMessage[],
  policy: SendPolicy,
  outcome: SendOutcome,
  events: ReadonlyMap<string, number>,
): Promise<boolean> {
  const count = (list: readonly OutgoingMessage[]) =>
    list.reduce((sum, m) => sum + (events.get(m.id) ?? 1), 0);
  let pending = call;
  for (let attempt = 0; ; attempt++) {
    outcome.calls += 1;
    outcome.apiBatches += Math.ceil(pending.length / SQS_MAX_BATCH_ENTRIES);
    let failedIds: Set<string>;
    let retryable = true;
    try {
      const result = await queue.sendBatch(pending);
      failedIds = new Set(result.failed.map((f) => f.id));
      retryable = result.failed.every((f) => f.retryable);
      if (result.failed.length > 0) outcome.error = result.failed[0]?.message;
    } catch (error) {
      // A whole-call error (network, endpoint down) leaves every entry unsent. Errors the
      // adapter did not classify (sockets, DNS) are worth another try.
      failedIds = new Set(pending.map((m) => m.id));
      retryable = !(error instanceof AsthaError) || error.retryable;
      outcome.error = errorMessage(error);
    }
    outcome.sent += count(pending.filter((m) => !failedIds.has(m.id)));
    if (failedIds.size === 0) return true;
    pending = pending.filter((m) => failedIds.has(m.id));
    const delay = backoffDelay(attempt, { baseMs: policy.retryBaseMs, maxMs: policy.retryMaxMs });
    if (!retryable || attempt >= policy.maxRetries || policy.clock.now() + delay > policy.deadline) {
      outcome.failed += count(pending);
      return false;
    }
    outcome.retries += count(pending);
    await policy.clock.sleep(delay);
  }
}
