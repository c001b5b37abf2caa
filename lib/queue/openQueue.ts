/**
 * Picks the Queue adapter from a URL: an SQS queue URL (`http(s)://…`, FIFO when it ends in
 * `.fifo`) or `memory://name[?fifo=true]`.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsOptions } from '../aws/awsOptions.js';
import { AsthaError } from '../errors.js';
import { MemoryQueue, type MemoryQueueOptions } from './memoryQueue.js';
import type { Queue } from './queue.js';
import { SqsQueue } from './sqsQueue.js';

export interface OpenQueueOptions {
  /** Client settings for SQS URLs. */
  aws?: AwsOptions;
  /** A ready SQS client (wins over `aws`). */
  sqsClient?: SQSClient;
  /** Settings of a memory queue created by this call (ignored for one that exists). */
  memory?: Omit<MemoryQueueOptions, 'fifo'>;
}

export function openQueue(url: string, options: OpenQueueOptions = {}): Queue {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https')
    return new SqsQueue(url, options.sqsClient ?? options.aws ?? {});
  if (scheme === 'memory') {
    const parsed = new URL(url);
    const name = decodeURIComponent(parsed.host + parsed.pathname) || 'default';
    const fifo = parsed.searchParams.get('fifo') === 'true';
    return MemoryQueue.named(name, { ...options.memory, fifo });
  }
  throw new AsthaError(
    'unsupported_url',
    `unsupported queue URL ${JSON.stringify(url)}: use an SQS queue URL (https://…) or memory://name[?fifo=true]`,
    { details: { url } },
  );
}
