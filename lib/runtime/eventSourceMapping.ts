/**
 * Plays a Lambda SQS event-source mapping in one process: receive a batch, invoke the handler
 * with the same `SQSEvent` Lambda would build, delete the messages that succeeded and leave
 * the reported failures to come back after their visibility timeout (so receive counts grow
 * and the queue's redrive policy moves poison messages to the dead-letter queue).
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Queue, ReceivedMessage } from '../queue/queue.js';

export type BatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

export interface EventSourceMappingOptions {
  name: string;
  queue: Queue;
  handler: BatchHandler;
  logger: Logger;
  /** 1..10. Default 10. */
  batchSize?: number;
  /** Long-poll wait per receive; short so `stop()` is prompt. Default 1 s. */
  waitSeconds?: number;
  /**
   * When set, failed messages are made visible again after this many seconds instead of
   * waiting out the queue's visibility timeout (Lambda waits it out; a local runtime or a
   * test may not want to).
   */
  failedVisibilitySeconds?: number;
  /**
   * Receive-invoke-delete loops run side by side (default 1). Lambda polls a standard queue
   * with several concurrent batches; a FIFO queue keeps a group's order itself (one batch of
   * a group in flight at a time).
   */
  pollers?: number;
}

export interface MappingStats {
  batches: number;
  succeeded: number;
  failed: number;
  handlerErrors: number;
}

export class EventSourceMapping {
  readonly stats: MappingStats = { batches: 0, succeeded: 0, failed: 0, handlerErrors: 0 };
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: EventSourceMappingOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = Array.from({ length: Math.max(1, this.options.pollers ?? 1) }, () => this.run());
  }

  /** Stops after the batch in hand; resolves when the loop has exited. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** One receive-invoke-delete round; returns the number of messages received. */
  async pollOnce(): Promise<number> {
    const { queue, handler, logger, name } = this.options;
    const messages = await queue.receive({
      maxMessages: this.options.batchSize ?? 10,
      waitSeconds: this.options.waitSeconds ?? 1,
    });
    if (messages.length === 0) return 0;
    this.stats.batches++;
    let failedIds: Set<string>;
    try {
      const response = await handler(toSqsEvent(messages, queue));
      failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      // A handler that throws fails the whole batch, as in Lambda.
      this.stats.handlerErrors++;
      logger.error(
        { mapping: name, err: errorMessage(error) },
        'handler failed; whole batch will be retried',
      );
      failedIds = new Set(messages.map((m) => m.messageId));
    }
    const retryAfter = this.options.failedVisibilitySeconds;
    const succeeded: string[] = [];
    for (const message of messages) {
      if (failedIds.has(message.messageId)) {
        this.stats.failed++;
        if (retryAfter !== undefined) await queue.nack(message.receiptHandle, retryAfter);
      } else {
        succeeded.push(message.receiptHandle);
      }
    }
    // One delete for the batch, as Lambda's event-source mapping does, not one per message.
    if (queue.ackBatch) {
      if (succeeded.length > 0) await queue.ackBatch(succeeded);
    } else {
      for (const handle of succeeded) await queue.ack(handle);
    }
    this.stats.succeeded += succeeded.length;
    return messages.length;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.pollOnce();
      } catch (error) {
        this.options.logger.error({ mapping: this.options.name, err: errorMessage(error) }, 'poll failed');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}

export function toSqsEvent(messages: readonly ReceivedMessage[], queue: Pick<Queue, 'url'>): SQSEvent {
  return { Records: messages.map((m) => toSqsRecord(m, queue.url)) };
}

function toSqsRecord(message: ReceivedMessage, queueUrl: string): SQSRecord {
  const attributes: SQSRecord['attributes'] = {
    ApproximateReceiveCount: String(message.receiveCount),
    SentTimestamp: String(message.sentAt.getTime()),
    SenderId: 'astha-local',
    ApproximateFirstReceiveTimestamp: String(message.sentAt.getTime()),
  };
  if (message.groupId !== undefined) attributes.MessageGroupId = message.groupId;
  if (message.deduplicationId !== undefined) attributes.MessageDeduplicationId = message.deduplicationId;
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes,
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueUrl,
    awsRegion: 'local',
  };
}
