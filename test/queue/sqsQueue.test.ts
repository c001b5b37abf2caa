import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sqsClientConfig } from '../../lib/aws/awsOptions.js';
import { QueueError } from '../../lib/errors.js';
import type { OutgoingMessage } from '../../lib/queue/queue.js';
import { createSqsQueue, SqsQueue, splitBatches } from '../../lib/queue/sqsQueue.js';
import { localstack, uniqueName } from '../harness/services.js';
import { queueContract } from './queueContract.js';

let client: SQSClient;
beforeAll(() => {
  client = new SQSClient(sqsClientConfig(localstack()));
});

for (const fifo of [false, true]) {
  queueContract(`SQS ${fifo ? 'FIFO' : 'standard'} on LocalStack`, {
    fifo,
    async open(options = {}) {
      const name = uniqueName(fifo ? 'fifo' : 'std');
      const visibilityTimeout = options.visibilityTimeout ?? 30;
      if (options.maxReceiveCount === undefined) {
        const url = await createSqsQueue(client, { name, fifo, visibilityTimeout });
        return { queue: new SqsQueue(url, client) };
      }
      const dlqUrl = await createSqsQueue(client, { name: `${name}-dlq`, fifo, visibilityTimeout });
      const url = await createSqsQueue(client, {
        name,
        fifo,
        visibilityTimeout,
        deadLetter: { url: dlqUrl, maxReceiveCount: options.maxReceiveCount },
      });
      return { queue: new SqsQueue(url, client), deadLetter: new SqsQueue(dlqUrl, client) };
    },
    pollSeconds: 1,
    elapse: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
  });
}

const msg = (id: string, bytes: number): OutgoingMessage => ({ id, body: 'x'.repeat(bytes) });

describe('splitBatches', () => {
  it('keeps order and cuts at 10 entries', () => {
    const batches = splitBatches(Array.from({ length: 25 }, (_, i) => msg(String(i), 10)));
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches.flat().map((m) => m.id)).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
  });

  it('cuts before a batch would pass 256 KiB, counting UTF-8 bytes', () => {
    const kib = 1024;
    expect(
      splitBatches([msg('a', 200 * kib), msg('b', 56 * kib), msg('c', 1)]).map((b) => b.map((m) => m.id)),
    ).toEqual([['a', 'b'], ['c']]);
    // 'é' is two bytes: 100 Ki of them is 200 KiB, so two such bodies cannot share a batch.
    const wide = { id: 'w', body: 'é'.repeat(100 * kib) };
    expect(splitBatches([wide, { ...wide, id: 'v' }]).map((b) => b.length)).toEqual([1, 1]);
  });
});

describe('SqsQueue', () => {
  it('creates FIFO queues with explicit deduplication and a redrive policy', async () => {
    const dlq = await createSqsQueue(client, { name: uniqueName('made-dlq'), fifo: true });
    const url = await createSqsQueue(client, {
      name: uniqueName('made'),
      fifo: true,
      visibilityTimeout: 45,
      deadLetter: { url: dlq, maxReceiveCount: 30 },
    });
    expect(url.endsWith('.fifo')).toBe(true);
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
    );
    const { Attributes: dlqAttributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }),
    );
    expect(Attributes).toMatchObject({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'false',
      VisibilityTimeout: '45',
    });
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: dlqAttributes?.QueueArn,
      maxReceiveCount: 30,
    });
  });

  it('fails every entry of a call the service rejects as a whole, not retryable for a missing queue', async () => {
    const url = `${localstack().endpoint}/000000000000/${uniqueName('never-created')}`;
    const queue = new SqsQueue(url, client);
    const result = await queue.sendBatch(Array.from({ length: 12 }, (_, i) => msg(`e${i}`, 5)));
    expect(result.sent).toBe(0);
    expect(result.failed.map((f) => f.id)).toEqual(Array.from({ length: 12 }, (_, i) => `e${i}`));
    expect(result.failed.every((f) => f.retryable === false)).toBe(true);
    const error = await queue.receive().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueError);
    expect(error).toMatchObject({ code: 'not_found' });
  });

  it('marks entries of an unreachable endpoint retryable', async () => {
    const unreachable = new SQSClient({
      ...sqsClientConfig({ ...localstack(), endpoint: 'http://127.0.0.1:9' }),
      maxAttempts: 1,
    });
    const queue = new SqsQueue('http://127.0.0.1:9/000000000000/nowhere', unreachable);
    const result = await queue.sendBatch([msg('only', 3)]);
    expect(result).toEqual({
      sent: 0,
      failed: [{ id: 'only', message: expect.any(String), retryable: true }],
    });
  });
});
