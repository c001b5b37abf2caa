/**
 * Partial batch responses for SQS-triggered functions (`ReportBatchItemFailures`).
 * One bad record never fails the whole batch: only the records that failed (and, on FIFO
 * queues, the records queued behind them in the same message group) are returned, so SQS
 * redelivers exactly those and counts their receives toward the dead-letter queue.
 */
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';

export interface RecordFailure {
  messageId: string;
  error: unknown;
  /** True when the record was not attempted because an earlier record of its group failed. */
  skipped: boolean;
}

export interface BatchResult {
  response: SQSBatchResponse;
  failures: RecordFailure[];
  processed: number;
}

type RecordHandler = (record: SQSRecord) => Promise<void>;

/** Standard queue: records are independent; each is tried, failures are reported one by one. */
export async function processStandardBatch(
  records: readonly SQSRecord[],
  handle: RecordHandler,
  concurrency = 4,
): Promise<BatchResult> {
  const failures: RecordFailure[] = [];
  let next = 0;
  let processed = 0;
  const worker = async (): Promise<void> => {
    while (next < records.length) {
      const record = records[next++]!;
      try {
        await handle(record);
        processed++;
      } catch (error) {
        failures.push({ messageId: record.messageId, error, skipped: false });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, records.length)) }, worker));
  return toResult(records, failures, processed);
}

/**
 * FIFO queue: records of one message group run in order; after a failure the rest of that
 * group is returned unprocessed (so order is kept on redelivery), while other groups go on.
 * Groups run concurrently with each other.
 */
export async function processFifoBatch(
  records: readonly SQSRecord[],
  handle: RecordHandler,
): Promise<BatchResult> {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? '';
    const list = groups.get(group) ?? [];
    list.push(record);
    groups.set(group, list);
  }
  const failures: RecordFailure[] = [];
  let processed = 0;
  await Promise.all(
    [...groups.values()].map(async (group) => {
      let failed = false;
      for (const record of group) {
        if (failed) {
          failures.push({ messageId: record.messageId, error: undefined, skipped: true });
          continue;
        }
        try {
          await handle(record);
          processed++;
        } catch (error) {
          failed = true;
          failures.push({ messageId: record.messageId, error, skipped: false });
        }
      }
    }),
  );
  return toResult(records, failures, processed);
}

function toResult(records: readonly SQSRecord[], failures: RecordFailure[], processed: number): BatchResult {
  // Report in the batch's own order, which is what SQS expects for FIFO queues.
  const failed = new Set(failures.map((f) => f.messageId));
  const batchItemFailures = records
    .filter((r) => failed.has(r.messageId))
    .map((r) => ({ itemIdentifier: r.messageId }));
  return { response: { batchItemFailures }, failures, processed };
}
