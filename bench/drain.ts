/**
 * Drainer throughput, end to end (read the log, convert, route, send, delete):
 *   1. memory FIFO queues + a `file:` registry - the target is >= 20,000 events/s;
 *   2. LocalStack SQS FIFO queues - events/s and SendMessageBatch calls per 256-row batch.
 * Run: npx tsx bench/drain.ts [events=50000] [localstackEvents=2000]
 * LocalStack is expected on ASTHA_BENCH_LOCALSTACK (default http://127.0.0.1:4566).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import pino from 'pino';
import { ensureAsthaSchema } from '../lib/astha/asthaSchema.js';
import type { ComponentQueues } from '../lib/astha/drain.js';
import { writeTransaction } from '../lib/registry/writeTransaction.js';
import { runFor } from '../lib/astha/runFor.js';
import { COMPONENTS, type Component } from '../lib/astha/subscriptions.js';
import { sqsClientConfig } from '../lib/aws/awsOptions.js';
import { MemoryQueue } from '../lib/queue/memoryQueue.js';
import type { Queue } from '../lib/queue/queue.js';
import { createSqsQueue, SqsQueue } from '../lib/queue/sqsQueue.js';
import { openRegistry, type Registry } from '../lib/registry/registry.js';

const TABLES = ['tables', 'table_metadata', 'table_files', 'file_statistics', 'table_snapshots'] as const;

function image(table: (typeof TABLES)[number], i: number, tableId: number): Record<string, unknown> {
  switch (table) {
    case 'tables':
      return {
        id: tableId,
        namespace_id: 1,
        name: `t${tableId}`,
        state: 'active',
        row_count: i,
        location: 's3://b/w',
      };
    case 'table_metadata':
      return {
        table_id: tableId,
        schema_id: 0,
        schema_json: '{"type":"struct","fields":[]}',
        properties_json: '{}',
      };
    case 'table_files':
      return {
        id: i,
        table_id: tableId,
        path: `w/ns/t${tableId}/data/part-${i}.parquet`,
        uri: `s3://b/w/ns/t${tableId}/data/part-${i}.parquet`,
        size: 1_048_576,
        etag: 'e',
        row_count: 1000,
        iceberg_state: 'pending',
        partition_values_json: '{}',
      };
    case 'file_statistics':
      return { file_id: i, table_id: tableId, record_count: 1000, file_size: 1_048_576, column_count: 8 };
    case 'table_snapshots':
      return {
        table_id: tableId,
        snapshot_id: String(9_000_000_000_000_000n + BigInt(i)),
        sequence_number: i,
      };
  }
}

/** Fills `__cdc_log` as the triggers would: realistic images spread over 32 tables. */
async function fillLog(registry: Registry, events: number): Promise<void> {
  const chunk = 2_000;
  for (let start = 0; start < events; start += chunk) {
    await writeTransaction(registry.client, async (tx) => {
      for (let i = start; i < Math.min(events, start + chunk); i++) {
        const table = TABLES[i % TABLES.length]!;
        const after = JSON.stringify(image(table, i, 1 + (i % 32)));
        await tx.execute({
          sql: `INSERT INTO __cdc_log (timestamp, tablename, operation, before, after)
                VALUES (strftime('%Y-%m-%dT%H:%M:%fZ','now'), ?, 'INSERT', NULL, ?)`,
          args: [table, after],
        });
      }
    });
  }
}

/** Counts sendBatch calls (each is one SendMessageBatch on SQS). */
class CountingQueue implements Queue {
  calls = 0;
  constructor(private readonly inner: Queue) {}
  get url() {
    return this.inner.url;
  }
  get fifo() {
    return this.inner.fifo;
  }
  sendBatch(messages: Parameters<Queue['sendBatch']>[0]) {
    this.calls += 1;
    return this.inner.sendBatch(messages);
  }
  receive(options?: Parameters<Queue['receive']>[0]) {
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

/** Counts the SendMessageBatch requests an SQS client actually makes. */
function countSendMessageBatch(client: SQSClient): { count: number } {
  const counter = { count: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'SendMessageBatchCommand') counter.count += 1;
      return next(args);
    },
    { step: 'initialize', name: 'astha-bench-count' },
  );
  return counter;
}

async function measure(
  label: string,
  events: number,
  queues: Record<Component, CountingQueue>,
  apiCalls?: { count: number },
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'astha-bench-'));
  const registry = await openRegistry(`file:${join(dir, 'registry.db')}`);
  try {
    await ensureAsthaSchema(registry.client);
    await fillLog(registry, events);
    const logger = pino({ level: 'warn' });
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const summary = await runFor(
      { registry: registry.client, queues: queues as ComponentQueues, logger },
      600_000,
      {
        untilEmpty: true,
      },
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStarted);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const portCalls = COMPONENTS.reduce((sum, c) => sum + queues[c].calls, 0);
    const batches = summary.metrics.batches;
    const sqsCalls = apiCalls
      ? `${(apiCalls.count / batches).toFixed(1)} SendMessageBatch requests and `
      : '';
    const sent = COMPONENTS.reduce((sum, c) => sum + summary.metrics.components[c].sent, 0);
    const processed = summary.metrics.changesProcessed;
    console.log(
      [
        `${label}: ${processed} events (${sent} messages to ${COMPONENTS.length} queues) in ${seconds.toFixed(2)} s`,
        `  ${Math.round(processed / seconds)} events/s wall clock, ${Math.round(processed / cpuSeconds)} events per CPU-second` +
          ` (load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores)`,
        `  ${batches} batches of ${summary.metrics.averageBatchSize.toFixed(0)} rows: ${sqsCalls}` +
          `${(portCalls / batches).toFixed(1)} sendBatch calls per batch; avg pass ` +
          `${summary.metrics.averageDrainLatencyMs.toFixed(1)} ms, delete ${summary.metrics.averageCleanupMs.toFixed(1)} ms; ` +
          `backlog left ${summary.backlog.count}`,
      ].join('\n'),
    );
  } finally {
    registry.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const events = Number(process.argv[2] ?? 50_000);
  const localstackEvents = Number(process.argv[3] ?? 2_000);
  const memory = Object.fromEntries(
    COMPONENTS.map((c) => [c, new CountingQueue(new MemoryQueue(`${c}.fifo`, { fifo: true }))]),
  ) as Record<Component, CountingQueue>;
  await measure('memory queues + file: registry', events, memory);

  const endpoint = process.env.ASTHA_BENCH_LOCALSTACK ?? 'http://127.0.0.1:4566';
  const aws = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const client = new SQSClient(sqsClientConfig(aws));
  const suffix = Date.now().toString(36);
  const apiCalls = countSendMessageBatch(client);
  const sqs = {} as Record<Component, CountingQueue>;
  for (const c of COMPONENTS) {
    const url = await createSqsQueue(client, { name: `bench-${c.replace('_', '')}-${suffix}`, fifo: true });
    sqs[c] = new CountingQueue(new SqsQueue(url, client));
  }
  await measure('LocalStack SQS FIFO + file: registry', localstackEvents, sqs, apiCalls);
}

await main();
