import { describe, expect, it } from 'vitest';
import { processFifoBatch, processStandardBatch } from '../../lib/lambda/sqsBatch.js';
import { sqsRecord } from './sqsRecords.js';

describe('processStandardBatch', () => {
  it('reports only the records that failed', async () => {
    const records = ['ok', 'bad', 'ok', 'bad'].map((body, i) => sqsRecord(body, { messageId: `m${i}` }));
    const seen: string[] = [];
    const result = await processStandardBatch(records, async (r) => {
      seen.push(r.messageId);
      if (r.body === 'bad') throw new Error('poison');
    });
    expect(seen.sort()).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(result.response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm3' }]);
    expect(result.processed).toBe(2);
  });
});

describe('processFifoBatch', () => {
  it('stops a group at its first failure and keeps other groups going, in order', async () => {
    const records = [
      sqsRecord('a1', { messageId: 'a1', groupId: 'A' }),
      sqsRecord('b1', { messageId: 'b1', groupId: 'B' }),
      sqsRecord('a2-bad', { messageId: 'a2', groupId: 'A' }),
      sqsRecord('b2', { messageId: 'b2', groupId: 'B' }),
      sqsRecord('a3', { messageId: 'a3', groupId: 'A' }),
    ];
    const order: string[] = [];
    const result = await processFifoBatch(records, async (r) => {
      order.push(r.messageId);
      if (r.body.endsWith('bad')) throw new Error('fails');
    });
    expect(order.filter((id) => id.startsWith('a'))).toEqual(['a1', 'a2']);
    expect(order.filter((id) => id.startsWith('b'))).toEqual(['b1', 'b2']);
    expect(result.response.batchItemFailures).toEqual([{ itemIdentifier: 'a2' }, { itemIdentifier: 'a3' }]);
    expect(result.failures.find((f) => f.messageId === 'a3')?.skipped).toBe(true);
  });
});
