/**
 * Queue on Amazon SQS (standard or FIFO; LocalStack in tests). SDK errors become QueueError
 * here; per-entry send failures are reported, never thrown.
 */
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type AwsOptions, sqsClientConfig } from '../aws/awsOptions.js';
import { QueueError } from '../errors.js';
import {
  type OutgoingMessage,
  type Queue,
  type QueueStats,
  type ReceivedMessage,
  type ReceiveOptions,
  SQS_MAX_BATCH_BYTES,
  SQS_MAX_BATCH_ENTRIES,
  type SendFailure,
  type SendResult,
} from './queue.js';

/** Standard-queue batches sent at once; FIFO batches go one after another to keep group order. */
const PARALLEL_BATCHES = 8;
const THROTTLING = new Set([
  'ThrottlingException',
  'RequestThrottled',
  'KmsThrottled',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
]);

/** Entry errors that resending the same entry cannot fix, whatever SenderFault says (LocalStack omits it). */
const SENDER_ERRORS = new Set([
  'InvalidMessageContents',
  'MissingParameter',
  'InvalidParameterValue',
  'MessageTooLong',
  'InvalidBatchEntryId',
  'BatchEntryIdsNotDistinct',
]);

export class SqsQueue implements Queue {
  readonly client: SQSClient;
  readonly fifo: boolean;

  constructor(
    readonly url: string,
    client: SQSClient | AwsOptions,
  ) {
    this.client = client instanceof SQSClient ? client : new SQSClient(sqsClientConfig(client));
    this.fifo = url.endsWith('.fifo');
  }

  async sendBatch(messages: readonly OutgoingMessage[]): Promise<SendResult> {
    const oversized = messages.filter((m) => bodyBytes(m) > SQS_MAX_BATCH_BYTES);
    const failed: SendFailure[] = oversized.map((m) => ({
      id: m.id,
      message: `message body is ${bodyBytes(m)} bytes, over the ${SQS_MAX_BATCH_BYTES} limit`,
      retryable: false,
    }));
    const batches = splitBatches(messages.filter((m) => !oversized.includes(m)));
    let sent = 0;
    if (this.fifo) {
      const failedGroups = new Set<string>();
      for (const batch of batches) {
        // After a failure in a group, its later messages are held back so a retry keeps the order.
        const held = batch.filter((m) => m.groupId !== undefined && failedGroups.has(m.groupId));
        for (const m of held)
          failed.push({ id: m.id, message: 'an earlier message of its group failed', retryable: true });
        const result = await this.sendOne(batch.filter((m) => !held.includes(m)));
        for (const f of result.failed) failedGroups.add(batch.find((m) => m.id === f.id)?.groupId ?? '');
        sent += result.sent;
        failed.push(...result.failed);
      }
      return { sent, failed };
    }
    for (let i = 0; i < batches.length; i += PARALLEL_BATCHES) {
      const results = await Promise.all(
        batches.slice(i, i + PARALLEL_BATCHES).map((batch) => this.sendOne(batch)),
      );
      for (const result of results) {
        sent += result.sent;
        failed.push(...result.failed);
      }
    }
    return { sent, failed };
  }

  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const output = await this.call('receive', () =>
      this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.url,
          MaxNumberOfMessages: options.maxMessages ?? 10,
          WaitTimeSeconds: options.waitSeconds ?? 0,
          VisibilityTimeout: options.visibilitySeconds,
          MessageSystemAttributeNames: [
            'ApproximateReceiveCount',
            'SentTimestamp',
            'MessageGroupId',
            'MessageDeduplicationId',
          ],
        }),
      ),
    );
    return (output.Messages ?? []).map(toReceived);
  }

  async ack(receiptHandle: string): Promise<void> {
    await this.call('ack', () =>
      this.client.send(new DeleteMessageCommand({ QueueUrl: this.url, ReceiptHandle: receiptHandle })),
    );
  }

  async ackBatch(receiptHandles: readonly string[]): Promise<void> {
    for (let start = 0; start < receiptHandles.length; start += SQS_MAX_BATCH_ENTRIES) {
      const entries = receiptHandles
        .slice(start, start + SQS_MAX_BATCH_ENTRIES)
        .map((handle, i) => ({ Id: String(i), ReceiptHandle: handle }));
      const output = await this.call('ackBatch', () =>
        this.client.send(new DeleteMessageBatchCommand({ QueueUrl: this.url, Entries: entries })),
      );
      const failed = output.Failed ?? [];
      if (failed.length > 0) {
        const first = failed[0]!;
        const why = `${first.Code ?? 'unknown'}: ${first.Message ?? ''}`.trim();
        throw new QueueError(
          'backend',
          `could not delete ${failed.length} message(s) from ${this.url} (${why})`,
          {
            retryable: true,
            details: { failures: failed.map((f) => `${f.Code}: ${f.Message}`) },
          },
        );
      }
    }
  }

  async nack(receiptHandle: string, delaySeconds = 0): Promise<void> {
    await this.call('nack', () =>
      this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.url,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: delaySeconds,
        }),
      ),
    );
  }

  /** Queue depth; the oldest message's age is a CloudWatch metric, not a queue attribute, so it is left out. */
  async stats(): Promise<QueueStats> {
    const output = await this.call('stats', () =>
      this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      ),
    );
    return {
      visible: Number(output.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(output.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  /** One SendMessageBatch; a whole-call error fails every entry of it. */
  private async sendOne(batch: readonly OutgoingMessage[]): Promise<SendResult> {
    if (batch.length === 0) return { sent: 0, failed: [] };
    // SQS entry ids allow only [A-Za-z0-9_-]{1,80}; the caller's ids are mapped back from positions.
    const entries: SendMessageBatchRequestEntry[] = batch.map((m, i) => ({
      Id: String(i),
      MessageBody: m.body,
      ...(this.fifo ? { MessageGroupId: m.groupId, MessageDeduplicationId: m.deduplicationId } : {}),
    }));
    try {
      const output = await this.client.send(
        new SendMessageBatchCommand({ QueueUrl: this.url, Entries: entries }),
      );
      const failed = (output.Failed ?? []).map((f) => ({
        id: batch[Number(f.Id)]?.id ?? String(f.Id),
        message: `${f.Code ?? 'error'}: ${f.Message ?? ''}`.trim(),
        retryable: !f.SenderFault && !SENDER_ERRORS.has(f.Code ?? ''),
      }));
      return { sent: output.Successful?.length ?? 0, failed };
    } catch (error) {
      const translated = toQueueError(error, 'sendBatch', this.url);
      return {
        sent: 0,
        failed: batch.map((m) => ({
          id: m.id,
          message: translated.message,
          retryable: translated.retryable,
        })),
      };
    }
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw toQueueError(error, operation, this.url);
    }
  }
}

export interface CreateSqsQueueOptions {
  /** Queue name; `.fifo` is appended for a FIFO queue when missing. */
  name: string;
  fifo: boolean;
  /** Default visibility timeout, seconds. */
  visibilityTimeout?: number;
  /** Redrive: after `maxReceiveCount` receives a message moves to this queue (ARN or URL). */
  deadLetter?: { arn?: string; url?: string; maxReceiveCount: number };
}

/** Creates (or finds, if it exists with the same attributes) a queue; returns its URL. */
export async function createSqsQueue(client: SQSClient, options: CreateSqsQueueOptions): Promise<string> {
  const name = options.fifo && !options.name.endsWith('.fifo') ? `${options.name}.fifo` : options.name;
  const attributes: Record<string, string> = {};
  if (options.fifo) {
    attributes.FifoQueue = 'true';
    // astha always names its duplicates (the CDC log id); hashing bodies would drop real repeats.
    attributes.ContentBasedDeduplication = 'false';
  }
  if (options.visibilityTimeout !== undefined)
    attributes.VisibilityTimeout = String(options.visibilityTimeout);
  if (options.deadLetter) {
    const deadLetterTargetArn = options.deadLetter.arn ?? (await queueArn(client, options.deadLetter.url));
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn,
      maxReceiveCount: options.deadLetter.maxReceiveCount,
    });
  }
  try {
    const output = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    if (!output.QueueUrl) throw new Error('CreateQueue returned no QueueUrl');
    return output.QueueUrl;
  } catch (error) {
    throw toQueueError(error, 'createQueue', name);
  }
}

export async function queueArn(client: SQSClient, url: string | undefined): Promise<string> {
  if (!url) throw new QueueError('invalid_message', 'deadLetter needs an arn or a url');
  try {
    const output = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    const arn = output.Attributes?.QueueArn;
    if (!arn) throw new Error(`no QueueArn for ${url}`);
    return arn;
  } catch (error) {
    throw toQueueError(error, 'getQueueArn', url);
  }
}

/** Greedy split keeping send order: at most 10 entries and 256 KiB of bodies per batch. */
export function splitBatches(messages: readonly OutgoingMessage[]): OutgoingMessage[][] {
  const batches: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = bodyBytes(message);
    if (
      current.length === SQS_MAX_BATCH_ENTRIES ||
      (current.length > 0 && bytes + size > SQS_MAX_BATCH_BYTES)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function bodyBytes(message: OutgoingMessage): number {
  return Buffer.byteLength(message.body, 'utf8');
}

function toReceived(message: Message): ReceivedMessage {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    ...(attributes.MessageGroupId === undefined ? {} : { groupId: attributes.MessageGroupId }),
    ...(attributes.MessageDeduplicationId === undefined
      ? {}
      : { deduplicationId: attributes.MessageDeduplicationId }),
    receiveCount: Number(attributes.ApproximateReceiveCount ?? 1),
    sentAt: new Date(Number(attributes.SentTimestamp ?? 0)),
  };
}

interface SdkErrorShape {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function toQueueError(error: unknown, operation: string, where: string): QueueError {
  if (error instanceof QueueError) return error;
  const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = sdk.$metadata?.httpStatusCode;
  const name = sdk.Code ?? sdk.name ?? 'Error';
  const reason = error instanceof Error ? error.message : String(error);
  const options = { cause: error, details: { operation, where, status, name } };
  if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue') {
    return new QueueError('not_found', `${operation} ${where}: queue does not exist`, options);
  }
  if (
    name === 'ReceiptHandleIsInvalid' ||
    name === 'InvalidParameterValue' ||
    name === 'MessageNotInflight'
  ) {
    return new QueueError('invalid_message', `${operation} ${where}: ${name}: ${reason}`, options);
  }
  // No status means no answer (connection refused, reset, timeout): worth another try.
  const retryable = status === undefined || status >= 500 || THROTTLING.has(name);
  return new QueueError('backend', `${operation} ${where} failed: ${name}: ${reason}`, {
    ...options,
    retryable,
  });
}
