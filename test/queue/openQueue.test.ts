import { describe, expect, it } from 'vitest';
import { AsthaError } from '../../lib/errors.js';
import { MemoryQueue } from '../../lib/queue/memoryQueue.js';
import { openQueue } from '../../lib/queue/openQueue.js';
import { SqsQueue } from '../../lib/queue/sqsQueue.js';

describe('openQueue', () => {
  it('opens named memory queues, FIFO when asked', () => {
    const standard = openQueue('memory://open-queue-std');
    expect(standard).toBeInstanceOf(MemoryQueue);
    expect(standard.fifo).toBe(false);
    expect(openQueue('memory://open-queue-std')).toBe(standard);
    const fifo = openQueue('memory://open-queue-fifo?fifo=true');
    expect(fifo.fifo).toBe(true);
    expect(fifo.url).toBe('memory://open-queue-fifo?fifo=true');
  });

  it('opens SQS queue URLs, FIFO by the .fifo suffix', () => {
    const aws = { region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' };
    const standard = openQueue('http://127.0.0.1:4566/000000000000/work', { aws });
    expect(standard).toBeInstanceOf(SqsQueue);
    expect(standard.fifo).toBe(false);
    expect(openQueue('https://sqs.eu-west-1.amazonaws.com/123456789012/work.fifo', { aws }).fifo).toBe(true);
  });

  it('names the URL and the supported forms when the scheme is unknown', () => {
    const attempt = () => openQueue('amqp://broker/queue');
    expect(attempt).toThrow(AsthaError);
    expect(attempt).toThrow(/unsupported queue URL "amqp:\/\/broker\/queue".*memory:\/\/name/);
  });
});
