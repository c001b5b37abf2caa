/**
 * Queue throughput: send (sendBatch of the whole set, split into SQS batches) and
 * receive + ack, in messages per second, for memory and LocalStack SQS (standard and FIFO).
 * Run: `npx tsx bench/queue.ts`. Bounded: fixed message counts and a time cap on receiving.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { sqsClientConfig } from '../lib/aws/awsOptions.js';
import { MemoryQueue } from '../lib/queue/memoryQueue.js';
import type { OutgoingMessage, Queue } from '../lib/queue/queue.js';
import { createSqsQueue, SqsQueue } from '../lib/queue/sqsQueue.js';

const LOCALSTACK = 'http://127.0.0.1:4566';
const RECEIVE_BUDGET_MS = 10_000;
/** Concurrent receive loops, as several Lambda pollers would run. */
const RECEIVERS = 4;

function messages(count: number, fifo: boolean): OutgoingMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    id: String(i),
    body: JSON.stringify({ table: `t${i % 10}`, logId: i, pad: 'x'.repeat(200) }),
    ...(fifo ? { groupId: `t${i % 10}`, deduplicationId: `${Date.now()}-${i}` } : {}),
  }));
}

function report(adapter: string, what: string, count: number, seconds: number): void {
  console.log(
    `${adapter.padEnd(13)} ${what.padEnd(14)} ${String(count).padStart(5)} msgs in ${seconds.toFixed(2)} s  ${(count / seconds).toFixed(0).padStart(7)} msgs/s`,
  );
}

async function bench(adapter: string, queue: Queue, count: number): Promise<void> {
  const sendStarted = performance.now();
  const result = await queue.sendBatch(messages(count, queue.fifo));
  report(adapter, 'send', result.sent, (performance.now() - sendStarted) / 1000);
  if (result.failed.length > 0) console.log(`${adapter.padEnd(13)} ${result.failed.length} sends failed`);
  const receiveStarted = performance.now();
  const deadline = receiveStarted + RECEIVE_BUDGET_MS;
  let received = 0;
  const receiver = async () => {
    while (received < result.sent && performance.now() < deadline) {
      const batch = await queue.receive({ maxMessages: 10, waitSeconds: 0 });
      received += batch.length;
      await Promise.all(batch.map((m) => queue.ack(m.receiptHandle)));
    }
  };
  await Promise.all(Array.from({ length: RECEIVERS }, receiver));
  report(adapter, 'receive + ack', received, (performance.now() - receiveStarted) / 1000);
}

async function localstackReachable(): Promise<boolean> {
  try {
    return (await fetch(`${LOCALSTACK}/_localstack/health`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  console.log(
    `queue benchmark: ${RECEIVERS} concurrent receivers, ${RECEIVE_BUDGET_MS / 1000} s cap on receiving`,
  );
  await bench('memory', new MemoryQueue('bench'), 20_000);
  await bench('memory FIFO', new MemoryQueue('bench-fifo', { fifo: true }), 20_000);
  if (!(await localstackReachable())) {
    console.log(`sqs           LocalStack is not reachable at ${LOCALSTACK}: skipped`);
    return;
  }
  const client = new SQSClient(
    sqsClientConfig({
      endpoint: LOCALSTACK,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
  );
  const suffix = Date.now().toString(36);
  const standard = await createSqsQueue(client, { name: `astha-bench-${suffix}`, fifo: false });
  await bench('sqs', new SqsQueue(standard, client), 1_000);
  const fifo = await createSqsQueue(client, { name: `astha-bench-${suffix}`, fifo: true });
  await bench('sqs FIFO', new SqsQueue(fifo, client), 1_000);
}

await main();
