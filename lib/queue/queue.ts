/**
 * The queue port: SQS (FIFO and standard) or in-process memory behind one interface.
 */
export interface OutgoingMessage {
  /** Caller's id for this entry, unique within one sendBatch call; echoed in failures. */
  id: string;
  body: string;
  /** FIFO only: messages of one group are delivered in order, one in flight at a time. */
  groupId?: string;
  /** FIFO only: a second send with the same id within 5 minutes is dropped. */
  deduplicationId?: string;
}

export interface SendFailure {
  id: string;
  message: string;
  /** True when resending may succeed (throttling, service errors). */
  retryable: boolean;
}

export interface SendResult {
  /** Entries accepted by the queue. */
  sent: number;
  /** Entries not accepted; empty when all went through. */
  failed: SendFailure[];
}

export interface ReceivedMessage {
  /** Stable id of the message. */
  messageId: string;
  /** Handle for ack/nack of this delivery. */
  receiptHandle: string;
  body: string;
  groupId?: string;
  deduplicationId?: string;
  /** 1 on first delivery; grows with each redelivery. */
  receiveCount: number;
  /** When the message was first sent. */
  sentAt: Date;
}

export interface ReceiveOptions {
  /** 1..10 (SQS limit). Default 10. */
  maxMessages?: number;
  /** Long-poll wait, 0..20 s. Default 0. */
  waitSeconds?: number;
  /** Override of the queue's visibility timeout for these deliveries. */
  visibilitySeconds?: number;
}

export interface QueueStats {
  /** Messages available to receive. */
  visible: number;
  /** Messages received and not yet acked or made visible again. */
  inFlight: number;
  /** Age of the oldest message in the queue in seconds, if known. */
  oldestAgeSeconds?: number;
}

export interface Queue {
  readonly url: string;
  readonly fifo: boolean;
  /** Splits into batches of at most 10 entries / 256 KiB; never throws for per-entry failures. */
  sendBatch(messages: readonly OutgoingMessage[]): Promise<SendResult>;
  receive(options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  /** Delete the delivered message. */
  ack(receiptHandle: string): Promise<void>;
  /**
   * Delete several delivered messages, up to 10 per request (SQS DeleteMessageBatch): one
   * round trip for a batch instead of one per message. Throws if any could not be deleted
   * (they come back after their visibility timeout, as an unacked message does). Both
   * adapters have it; a queue that only receives sends (a test sink) may leave it out.
   */
  ackBatch?(receiptHandles: readonly string[]): Promise<void>;
  /** Make the delivered message visible again after `delaySeconds` (default 0). */
  nack(receiptHandle: string, delaySeconds?: number): Promise<void>;
  stats(): Promise<QueueStats>;
}

/** SQS's limits, shared by every adapter so memory behaves like SQS. */
export const SQS_MAX_BATCH_ENTRIES = 10;
export const SQS_MAX_BATCH_BYTES = 256 * 1024;
