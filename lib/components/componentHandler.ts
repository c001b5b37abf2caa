/**
 * The shared body of every component function: a FIFO SQS batch of Astha messages in (a change,
 * a table's changes of one drain pass, a control message), partial batch failures out. Messages
 * of one table (one message group) run in order and a failure stops the rest of that group in
 * this batch; other tables carry on. A message that cannot be decoded fails every time, so SQS
 * moves it to the dead-letter queue after maxReceiveCount receives while the other tables keep
 * flowing.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { decodeMessage } from '../astha/events.js';
import { errorMessage } from '../errors.js';
import { processFifoBatch } from '../lambda/sqsBatch.js';
import type { Logger } from '../log.js';
import type { ComponentLogic } from './component.js';

export interface ComponentBatchSummary {
  processed: number;
  failed: number;
  skipped: number;
}

export type ComponentHandler = (
  event: SQSEvent,
) => Promise<SQSBatchResponse & { summary: ComponentBatchSummary }>;

export function createComponentHandler(component: ComponentLogic, logger: Logger): ComponentHandler {
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const message = decodeMessage(record.body);
    if (message.kind === 'change' || message.kind === 'changes') {
      // A ChangeBatch is a table's changes of one drain pass, in log order: handled in that order.
      for (const event of message.kind === 'change' ? [message] : message.events) {
        if (component.subscribedTables.includes(event.table)) await component.onEvent(event);
      }
    } else if (message.kind === 'refresh') {
      await component.onRefresh();
    } else {
      const health = await component.onHealth();
      logger.info({ component: component.name, ...health }, 'health');
    }
  };
  return async (event) => {
    const result = await processFifoBatch(event.Records, handleRecord);
    let skipped = 0;
    for (const failure of result.failures) {
      if (failure.skipped) {
        skipped++;
        continue;
      }
      const record = event.Records.find((r) => r.messageId === failure.messageId);
      logger.warn(
        {
          component: component.name,
          messageId: failure.messageId,
          group: record?.attributes.MessageGroupId,
          receiveCount: Number(record?.attributes.ApproximateReceiveCount ?? 0),
          err: errorMessage(failure.error),
        },
        'message failed; it and the rest of its group will be retried',
      );
    }
    const summary = { processed: result.processed, failed: result.failures.length - skipped, skipped };
    return { ...result.response, summary };
  };
}
