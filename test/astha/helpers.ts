/**
 * Shared pieces of the drainer's tests: a migrated `file:` registry, a captured pino logger,
 * queue decorators that record what was accepted or inject failures, and a minimal
 * in-process FIFO queue for unit tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Client } from '@libsql/client';
import pino, { type Logger } from 'pino';
import { afterEach, beforeEach } from 'vitest';
import { ensureAsthaSchema } from '../../lib/astha/asthaSchema.js';
import type { Clock } from '../../lib/astha/backoff.js';
import type { ComponentQueues } from '../../lib/astha/drain.js';
import { decodeMessage } from '../../lib/astha/events.js';
import { COMPONENTS, type Component } from '../../lib/astha/subscriptions.js';
import { QueueError } from '../../lib/errors.js';
import type {
  OutgoingMessage,
  Queue,
  QueueStats,
  ReceivedMessage,
  ReceiveOptions,
  SendResult,
} from '../../lib/queue/queue.js';
import { openRegistry, type Registry } from '../../lib/registry/registry.js';
import { writeTransaction } from '../../lib/registry/writeTransaction.js';

export interface TestRegistry {
  url: string;
  dir: string;
  /** The registry's client, opened as the drainer opens it. */
  client: Client;
  /** Another connection, as a second drainer or a writer would have. */
  connect(): Promise<Client>;
  close(): void;
}

/** A migrated registry (tables, triggers, `__cdc_log`) in a fresh temp directory. */
export async function tempRegistry(): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'astha-drain-'));
  const url = `file:${join(dir, 'registry.db')}`;
  const registries: Registry[] = [];
  const connect = async () => {
    const registry = await openRegistry(url);
    registries.push(registry);
    return registry.client;
  };
  const client = await connect();
  return {
    url,
    dir,
    client,
    connect,
    close() {
      for (const r of registries) r.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh migrated registry with Astha's own tables for every test of the file (`beforeEach`),
 * closed after it; `prepare` runs once it is open. Read it inside tests only.
 */
export function registryPerTest(prepare?: (client: Client) => Promise<void>): TestRegistry {
  let current: TestRegistry | undefined;
  beforeEach(async () => {
    current = await tempRegistry();
    await ensureAsthaSchema(current.client);
    await prepare?.(current.client);
  });
  afterEach(() => current?.close());
  const open = (): TestRegistry => {
    if (!current) throw new Error('the per-test registry is open only inside a test');
    return current;
  };
  return {
    get url() {
      return open().url;
    },
    get dir() {
      return open().dir;
    },
    get client() {
      return open().client;
    },
    connect: () => open().connect(),
    close: () => open().close(),
  };
}

export function testLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

export type LogEntry = [table: string, operation: string, before: unknown, after: unknown];

/** Appends raw log rows (what the triggers would write) in one transaction, returning their ids. */
export async function appendLogs(client: Client, entries: readonly LogEntry[]): Promise<number[]> {
  return writeTransaction(client, async (tx) => {
    const ids: number[] = [];
    for (const [table, operation, before, after] of entries) {
      const result = await tx.execute({
        sql: `INSERT INTO __cdc_log (timestamp, tablename, operation, before, after)
              VALUES (strftime('%Y-%m-%dT%H:%M:%fZ','now'), ?, ?, ?, ?)`,
        args: [
          table,
          operation,
          before === undefined ? null : JSON.stringify(before),
          after === undefined ? null : JSON.stringify(after),
        ],
      });
      ids.push(Number(result.lastInsertRowid));
    }
    return ids;
  });
}

export async function appendLog(
  client: Client,
  table: string,
  operation: string,
  before: unknown,
  after: unknown,
): Promise<number> {
  const [id] = await appendLogs(client, [[table, operation, before, after]]);
  return id!;
}

/** A clock whose sleeps advance time at once (yielding to the event loop), for deterministic loops. */
export function manualClock(start = 1_800_000_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    async sleep(ms: number) {
      now += Math.max(0, ms);
      await new Promise((resolve) => setImmediate(resolve));
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

export async function logIds(client: Client): Promise<number[]> {
  const result = await client.execute('SELECT id FROM __cdc_log ORDER BY id');
  return result.rows.map((r) => Number(r['id']));
}

export interface Accepted {
  body: string;
  groupId?: string;
  deduplicationId?: string;
}

/**
 * Minimal in-process FIFO queue: accepts everything, drops a repeated deduplication id
 * (as SQS does within its window), hands messages out in order. `stats` can be overridden.
 */
export class FifoSink implements Queue {
  readonly fifo = true;
  readonly messages: Accepted[] = [];
  private readonly seen = new Set<string>();
  statsOverride?: QueueStats;
  statsFail = false;

  constructor(readonly url: string) {}

  async sendBatch(messages: readonly OutgoingMessage[]): Promise<SendResult> {
    for (const m of messages) {
      const key = m.deduplicationId ?? m.body;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.messages.push({ body: m.body, groupId: m.groupId, deduplicationId: m.deduplicationId });
    }
    return { sent: messages.length, failed: [] };
  }

  async receive(_options?: ReceiveOptions): Promise<ReceivedMessage[]> {
    return [];
  }
  async ack(_receiptHandle: string): Promise<void> {}
  async nack(_receiptHandle: string): Promise<void> {}
  async stats(): Promise<QueueStats> {
    if (this.statsFail) throw new QueueError('backend', 'stats unavailable', { retryable: true });
    return this.statsOverride ?? { visible: this.messages.length, inFlight: 0 };
  }
}

/** Records every entry a queue accepted, in acceptance order, and counts sendBatch calls. */
export class RecordingQueue implements Queue {
  readonly accepted: Accepted[] = [];
  calls = 0;

  constructor(readonly inner: Queue) {}
  get url() {
    return this.inner.url;
  }
  get fifo() {
    return this.inner.fifo;
  }
  async sendBatch(messages: readonly OutgoingMessage[]): Promise<SendResult> {
    this.calls += 1;
    const result = await this.inner.sendBatch(messages);
    const failed = new Set(result.failed.map((f) => f.id));
    for (const m of messages) {
      if (!failed.has(m.id))
        this.accepted.push({ body: m.body, groupId: m.groupId, deduplicationId: m.deduplicationId });
    }
    return result;
  }
  receive(options?: ReceiveOptions) {
    return this.inner.receive(options);
  }
  ack(handle: string) {
    return this.inner.ack(handle);
  }
  nack(handle: string, delaySeconds?: number) {
    return this.inner.nack(handle, delaySeconds);
  }
  stats() {
    return this.inner.stats();
  }
}

/**
 * Fault injection: every `failEvery`-th sendBatch call fails all its entries (retryable),
 * and while `down` is set every call throws, as an unreachable endpoint would.
 */
export class FaultyQueue extends RecordingQueue {
  down = false;
  failEvery = 0;
  attempts = 0;
  failedCalls = 0;

  override async sendBatch(messages: readonly OutgoingMessage[]): Promise<SendResult> {
    this.attempts += 1;
    if (this.down) {
      this.failedCalls += 1;
      throw new QueueError('backend', 'injected outage', { retryable: true });
    }
    if (this.failEvery > 0 && this.attempts % this.failEvery === 0) {
      this.failedCalls += 1;
      return {
        sent: 0,
        failed: messages.map((m) => ({ id: m.id, message: 'injected failure', retryable: true })),
      };
    }
    return super.sendBatch(messages);
  }
}

export function componentQueues<Q extends Queue>(make: (component: Component) => Q): Record<Component, Q> {
  return Object.fromEntries(COMPONENTS.map((c) => [c, make(c)])) as Record<Component, Q>;
}

export function asQueues(queues: Record<string, Queue>): ComponentQueues {
  return queues as ComponentQueues;
}

/** Change ids per table, in the order a queue accepted them (first occurrence only). */
export function firstDeliveries(messages: readonly { body: string }[]): { ids: number[]; tables: string[] } {
  const seen = new Set<number>();
  const ids: number[] = [];
  const tables: string[] = [];
  for (const { body } of messages) {
    const message = decodeMessage(body);
    if (message.kind !== 'change' || seen.has(message.id)) continue;
    seen.add(message.id);
    ids.push(message.id);
    tables.push(message.table);
  }
  return { ids, tables };
}

/** Row images with the columns the drainer validates, for raw log rows. */
export const images = {
  tables: (id: number) => ({ id, namespace_id: 1, name: `t${id}`, state: 'active' }),
  table_metadata: (tableId: number) => ({ table_id: tableId, schema_id: 0 }),
  table_files: (id: number, tableId: number) => ({
    id,
    table_id: tableId,
    path: `p/${id}.parquet`,
    iceberg_state: 'pending',
  }),
  file_statistics: (fileId: number, tableId: number) => ({ file_id: fileId, table_id: tableId }),
  table_snapshots: (tableId: number, snapshotId: string) => ({ table_id: tableId, snapshot_id: snapshotId }),
};

/** Change ids per message group in acceptance order (first occurrence only). */
export function idsByGroup(messages: readonly Accepted[]): Map<string, number[]> {
  const seen = new Set<number>();
  const groups = new Map<string, number[]>();
  for (const m of messages) {
    const message = decodeMessage(m.body);
    if (message.kind !== 'change' || seen.has(message.id)) continue;
    seen.add(message.id);
    const list = groups.get(m.groupId ?? '') ?? [];
    list.push(message.id);
    groups.set(m.groupId ?? '', list);
  }
  return groups;
}

/** True when every group's ids are increasing: FIFO order per table. */
export function inOrderPerGroup(messages: readonly Accepted[]): boolean {
  return [...idsByGroup(messages).values()].every((ids) => ids.every((id, i) => i === 0 || id > ids[i - 1]!));
}

export const sortedIds = (messages: readonly Accepted[]): number[] =>
  firstDeliveries(messages).ids.sort((a, b) => a - b);
